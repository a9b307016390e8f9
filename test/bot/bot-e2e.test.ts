import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/config.js';
import { createBot, type Bot } from '../../src/app/index.js';
import { runCli } from '../../src/app/cli/run.js';
import { openSqliteStore, type SqliteAuditStore } from '../../src/store/sqlite-store.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { createCaptureLogger } from '../fakes/capture-logger.js';
import { startFakeConnector, type FakeConnector } from '../fakes/fake-connector.js';
import { channelMessage, OTHER_TENANT, TENANT } from '../teams/helpers.js';
import { DATASET, M_WS042_NEW, M_WS042_OLD, NOW, SOAR_APP } from './dataset.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every text a card shows: TextBlock texts, fact titles and values, table cells, chart data, action titles. */
function cardText(card: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (typeof x === 'string' && ['text', 'title', 'value', 'x', 'legend', 'url'].includes(k)) out.push(x);
        else if (typeof x === 'number' && ['y', 'value'].includes(k)) out.push(String(x));
        else walk(x);
      }
    }
  };
  walk(card);
  return out.join('\n');
}

describe('the bot end to end: restify + CloudAdapter + fake Bot Connector, against a known dataset', function () {
  this.timeout(60_000);
  let dir: string;
  let store: SqliteAuditStore;
  let connector: FakeConnector;
  let bot: Bot;
  let url: string;
  const clock = new FakeClock(NOW);
  const logger = createCaptureLogger();
  const env = {
    REQUESTOR_NAMES: `${SOAR_APP}=SOAR playbooks`,
    BOT_ALLOWED_TENANTS: TENANT,
    PORT: '0',
    HOST: '127.0.0.1',
    MDE_POLL_INTERVAL: '30s',
    // One test user sends every command while the clock stands still.
    COMMAND_RATE_LIMIT: '1000',
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dab-bot-'));
    store = openSqliteStore({ path: join(dir, 'audit.db') });
    const runId = store.beginRun(new Date(NOW - 60_000).toISOString(), true);
    store.applyPage({
      runId,
      items: DATASET,
      quarantined: [],
      observedAt: new Date(NOW - 60_000).toISOString(),
      backfill: true,
      cursor: null,
    });
    store.finishRun(runId, {
      finishedAt: new Date(NOW - 30_000).toISOString(),
      ok: true,
      stats: { pages: 1, calls: 1, new: DATASET.length, statusChanged: 0, updated: 0, unchanged: 0, quarantined: 0 },
    });
    connector = await startFakeConnector();
    bot = await createBot(loadConfig(env), { store, clock, logger, ingestEnabled: false });
    url = (await bot.start()).url;
  });
  after(async () => {
    await bot.stop();
    await connector.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Sends a channel message with a bot mention and returns the card the bot posted in reply. */
  async function ask(text: string, tenant = TENANT): Promise<unknown> {
    const before = connector.cardsPosted().length;
    const activity = channelMessage(
      connector.url,
      text,
      tenant === TENANT
        ? {}
        : ({
            channelData: { tenant: { id: tenant } },
            conversation: { isGroup: true, conversationType: 'channel', tenantId: tenant, id: '19:x@thread.tacv2' },
          } as never),
    );
    const res = await fetch(`${url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(activity),
    });
    assert.ok(res.status === 200 || res.status === 201 || res.status === 202, `HTTP ${res.status}`);
    const cards = connector.cardsPosted();
    assert.equal(cards.length, before + 1, `one card for "${text}"`);
    return cards.at(-1)!.card;
  }

  it('actions for device: short name matches the FQDN, never a substring; a shared name is called out and grouped', async () => {
    const text = cardText(await ask('actions for device ws-042 90d'));
    assert.match(text, /is the name of 2 machines/);
    assert.ok(text.includes(M_WS042_NEW) && text.includes(M_WS042_OLD));
    assert.match(text, /Beaconing to 203\.0\.113\.7/);
    assert.ok(!text.includes('ws-0421'), 'ws-0421 is not ws-042');
    assert.match(text, /3 actions/);
    const fqdn = cardText(await ask('device WS-042.CONTOSO.COM 7d'));
    assert.match(fqdn, /2 actions/);
    assert.match(fqdn, /SOAR playbooks/, 'the app requestor shows with its configured name');
  });

  it('actions by: UPN in any case, app by name or GUID', async () => {
    assert.match(cardText(await ask('actions by ALEX.WILBER@contoso.com 30d')), /4 actions/);
    assert.match(cardText(await ask('actions by SOAR playbooks')), /3 actions/);
    assert.match(cardText(await ask(`actions by ${SOAR_APP.toUpperCase()} 30d`)), /3 actions/);
  });

  it('summary, requestors, devices and timeline count what the window holds (360 days vs older)', async () => {
    const s360 = cardText(await ask('summary 360d'));
    assert.match(s360, /12 actions/);
    assert.match(cardText(await ask('summary 7d')), /8 actions/);
    const req = cardText(await ask('requestors 360d'));
    assert.match(req, /megan\.bowen@contoso\.com/);
    assert.match(req, /SOAR playbooks/);
    const dev = cardText(await ask('devices 30d'));
    assert.match(dev, /lt-007\.contoso\.com/);
    assert.match(cardText(await ask('timeline 7d')), /8 actions/);
  });

  it('isolated: a failed release leaves the device isolated; a successful one releases it', async () => {
    const text = cardText(await ask('isolated'));
    assert.match(text, /lt-007\.contoso\.com/);
    assert.match(text, /Stolen laptop/);
    assert.match(text, /WS-042\.contoso\.com/);
    assert.ok(!text.includes('srv-sql-01'), 'srv-sql-01 was released');
    assert.match(text, /2 devices/);
  });

  it('failed, pending, action <id>, status and help', async () => {
    const failed = cardText(await ask('failed 360d'));
    assert.match(failed, /3 actions/);
    const pending = cardText(await ask('pending'));
    assert.match(pending, /2 actions/);
    const one = cardText(await ask(`action ${DATASET[10]!.id}`));
    assert.match(one, /StopAndQuarantineFile/);
    assert.match(one, /0x80190198/);
    const status = cardText(await ask('status'));
    assert.match(status, /Actions stored/);
    const help = cardText(await ask('what can you do'));
    assert.match(help, /actions for device/);
    const typo = cardText(await ask('isolatd'));
    assert.match(typo, /isolated/);
  });

  it('empty results and hostile input give a clean answer', async () => {
    assert.match(cardText(await ask('actions for device nosuchhost 7d')), /0 actions/);
    const evil = cardText(await ask('device ws-042\'|take 1//" 7d'));
    assert.match(evil, /0 actions/);
    const long = cardText(await ask(`device ${'x'.repeat(600)}`));
    assert.match(long, /Too long/);
  });

  it('digest answers with the digest card, and `digest --print` prints the same figures', async () => {
    const card = await ask('digest');
    const text = cardText(card);
    assert.match(JSON.stringify(card), /Chart\.VerticalBar/);
    assert.match(text, /lt-007\.contoso\.com/, 'isolated now');
    let printed = '';
    const code = await runCli(
      ['digest', '--print'],
      { ...env, STORE_PATH: join(dir, 'audit.db'), LOG_LEVEL: 'error' },
      { out: (t) => (printed += t), err: () => {}, tty: false, clock },
    );
    assert.equal(code, 0);
    assert.match(printed, /Daily digest 2026-11-29 \(UTC\)/);
    assert.match(printed, /Last 24 hours: 3 actions/);
    assert.match(printed, /Isolated now: 2/);
    let json = '';
    assert.equal(
      await runCli(
        ['digest', '--print', '--format', 'json'],
        { ...env, STORE_PATH: join(dir, 'audit.db') },
        { out: (t) => (json += t), err: () => {}, tty: false, clock },
      ),
      0,
    );
    assert.equal((JSON.parse(json) as { tiles: { total: number } }).tiles.total, 3);
    assert.equal(await runCli(['digest'], env, { out: () => {}, err: () => {}, tty: false, clock }), 2);
  });

  it('every result card carries the KQL behind it', async () => {
    const card = JSON.stringify(await ask('summary 30d'));
    assert.match(card, /Show query/);
    assert.match(card, /MDEMachineActions_CL/);
  });

  it('a foreign tenant gets no reply', async () => {
    const before = connector.calls.length;
    const activity = channelMessage(connector.url, 'summary');
    (activity.channelData as { tenant: { id: string } }).tenant.id = OTHER_TENANT;
    (activity.conversation as { tenantId: string }).tenantId = OTHER_TENANT;
    const res = await fetch(`${url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(activity),
    });
    assert.ok(res.status < 300);
    await ask('help'); // a later message is answered: the foreign one produced nothing in between
    assert.equal(connector.calls.length, before + 1);
    assert.ok(logger.lines.some((l) => l.level === 'warn' && JSON.stringify(l.fields).includes(OTHER_TENANT)));
  });

  it('`ask --format card` prints the same card the bot posts', async () => {
    for (const text of [
      'actions for device ws-042 90d',
      'summary 7d',
      'isolated',
      'timeline 30d',
      `action ${DATASET[0]!.id}`,
    ]) {
      const posted = await ask(text);
      let printed = '';
      const code = await runCli(
        ['ask', text, '--format', 'card'],
        { ...env, STORE_PATH: join(dir, 'audit.db'), LOG_LEVEL: 'error' },
        { out: (t) => (printed += t), err: () => {}, tty: false, clock },
      );
      assert.equal(code, 0);
      assert.deepEqual(JSON.parse(printed), posted, text);
    }
  });

  it('`ask` answers in text, JSON, CSV and KQL', async () => {
    const out: Record<string, string> = {};
    for (const format of ['text', 'json', 'csv', 'kql']) {
      let printed = '';
      const code = await runCli(
        ['ask', 'actions for device ws-042 90d', '--format', format],
        { ...env, STORE_PATH: join(dir, 'audit.db'), LOG_LEVEL: 'error' },
        { out: (t) => (printed += t), err: () => {}, tty: false, clock },
      );
      assert.equal(code, 0, format);
      out[format] = printed;
    }
    assert.match(out.text!, /Note: ws-042 is the name of 2 machines/);
    const rows = JSON.parse(out.json!) as {
      id: string;
      computerDnsName: string;
      requestor: string;
      creationDateTimeUtc: string;
    }[];
    assert.equal(rows.length, 3);
    assert.deepEqual(Object.keys(rows[0]!).slice(0, 2), ['id', 'type']);
    assert.equal(out.csv!.split('\r\n').filter(Boolean).length, 4);
    assert.match(out.kql!, /MDEMachineActions_CL/);
    let err = '';
    assert.equal(
      await runCli(
        ['ask', 'frobnicate'],
        { ...env, STORE_PATH: join(dir, 'audit.db') },
        { out: () => {}, err: (t) => (err += t), tty: false, clock },
      ),
      2,
    );
    assert.equal(
      await runCli(['ask', 'summary', '--format', 'xml'], env, { out: () => {}, err: () => {}, tty: false, clock }),
      2,
    );
  });
});

describe('the bot rate-limits each user', function () {
  this.timeout(30_000);
  it('answers "Slow down" once per window after COMMAND_RATE_LIMIT commands in a minute, not once per refused command', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    const connector = await startFakeConnector();
    const clock = new FakeClock(NOW);
    const bot = await createBot(loadConfig({ PORT: '0', COMMAND_RATE_LIMIT: '2' }), {
      store,
      clock,
      logger: createCaptureLogger(),
      ingestEnabled: false,
    });
    const { url } = await bot.start();
    const send = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const res = await fetch(`${url}/api/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(channelMessage(connector.url, 'help')),
        });
        assert.equal(res.status, 200);
      }
    };
    try {
      await send(80);
      let texts = connector.cardsPosted().map((c) => cardText(c.card));
      assert.equal(texts.length, 3, '2 answers and one "Slow down" for 80 commands');
      assert.ok(!texts[1]!.includes('Slow down'));
      assert.match(texts[2]!, /Slow down/);
      // A minute after the notice: answered again, and told again once when over the limit.
      await clock.advance(60_001);
      await send(10);
      texts = connector.cardsPosted().map((c) => cardText(c.card));
      assert.equal(texts.length, 6);
      assert.deepEqual(
        texts.slice(3).map((t) => t.includes('Slow down')),
        [false, false, true],
      );
    } finally {
      await bot.stop();
      await connector.close();
      store.close();
    }
  });
});

describe('the bot with Bot Framework authentication on', function () {
  this.timeout(30_000);
  it('refuses a POST without a valid token with 401, and will not run unauthenticated off loopback', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    const logger = createCaptureLogger();
    const bot = await createBot(
      loadConfig({
        BOT_ID: '22222222-2222-2222-2222-222222222222',
        SECRET_BOT_PASSWORD: 'pw',
        BOT_TENANT_ID: TENANT,
        PORT: '0',
      }),
      { store, clock: new FakeClock(NOW), logger, ingestEnabled: false },
    );
    const { url } = await bot.start();
    try {
      const res = await fetch(`${url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(channelMessage('http://127.0.0.1:9/', 'summary')),
      });
      assert.equal(res.status, 401);
    } finally {
      await bot.stop();
    }
    await assert.rejects(
      createBot(loadConfig({ HOST: '0.0.0.0', PORT: '0' }), {
        store,
        clock: new FakeClock(NOW),
        logger,
        ingestEnabled: false,
      }),
      /Refusing to listen on 0\.0\.0\.0/,
    );
    store.close();
  });
});
