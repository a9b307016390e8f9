import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, requireDefender } from '../../src/config/config.js';
import { buildAlertPipeline, buildDefenderClient, createBot, ingestSettings, type Bot } from '../../src/app/index.js';
import { runOnce } from '../../src/ingest/run-once.js';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { openSqliteStore, type SqliteAuditStore } from '../../src/store/sqlite-store.js';
import { systemClock } from '../../src/core/clock.js';
import type { AlertPipeline } from '../../src/alerts/pipeline.js';
import type { DefenderClient } from '../../src/defender/client.js';
import { createCaptureLogger } from '../fakes/capture-logger.js';
import { startFakeConnector, type FakeConnector } from '../fakes/fake-connector.js';
import { ALERTS_CHANNEL, TENANT } from '../teams/helpers.js';

describe('alerts end to end: simulator → ingest → store → pipeline → real CloudAdapter → fake Bot Connector', function () {
  this.timeout(60_000);
  let dir: string;
  let sim: Simulator;
  let store: SqliteAuditStore;
  let connector: FakeConnector;
  let bot: Bot;
  let client: DefenderClient;
  let pipeline: AlertPipeline;
  let tick: () => Promise<void>;
  let botUrl: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dab-alerts-'));
    sim = createSimulator({ generate: { devices: 10, days: 3 }, throttle: false });
    const endpoint = await sim.start({ caCertFile: join(dir, 'ca.pem') });
    const config = loadConfig({ ...endpoint.env, PORT: '0', MDE_BACKFILL_DAYS: '30', MDE_OVERLAP_WINDOW: '1s' }, [
      'defender',
    ]);
    const logger = createCaptureLogger();
    store = openSqliteStore({ path: join(dir, 'audit.db') });
    connector = await startFakeConnector();
    bot = await createBot(config, { store, clock: systemClock, logger, ingestEnabled: true });
    botUrl = (await bot.start()).url;
    client = buildDefenderClient(requireDefender(config), { clock: systemClock, logger });
    pipeline = buildAlertPipeline(config, { store, bot, clock: systemClock, logger });
    tick = async () => {
      await runOnce({ client, store, clock: systemClock, logger, settings: ingestSettings(requireDefender(config)) });
      pipeline.collect();
      await pipeline.deliver();
    };
    // A subscribed channel whose service URL is the fake connector.
    const ref = {
      channelId: 'msteams' as const,
      serviceUrl: connector.url,
      conversationId: ALERTS_CHANNEL,
      conversationType: 'channel' as const,
      tenantId: TENANT,
      botId: '28:bot',
      teamsChannelId: ALERTS_CHANNEL,
    };
    store.saveConversation({
      conversationId: ALERTS_CHANNEL,
      kind: 'channel',
      name: 'SecOps › Alerts',
      ref,
      at: new Date().toISOString(),
    });
    store.setSubscription(ALERTS_CHANNEL, { alerts: true, digest: false }, 'admin', new Date().toISOString());
  });
  after(async () => {
    client.close();
    await bot.stop();
    await connector.close();
    await sim.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the first run (history backfill) posts one backfill summary, no per-action alert', async () => {
    await tick();
    assert.equal(connector.calls.length, 1);
    const summary = JSON.stringify(connector.cardsPosted()[0]!.card);
    assert.match(summary, /Days of history/);
    assert.ok(
      summary.includes(String(sim.tenant.size())) || summary.includes(sim.tenant.size().toLocaleString('en-US')),
      'says how many actions were read',
    );
    await tick();
    assert.equal(connector.calls.length, 1, 'only once');
  });

  it('a new Isolate gives exactly one card; its move to Succeeded updates that card and posts nothing new', async () => {
    const machine = sim.tenant.machines()[2]!;
    const a = sim.tenant.create({
      machineId: machine.id,
      type: 'Isolate',
      scope: 'Full',
      comment: 'Ransomware note found',
      requestor: 'Alex.Wilber@contoso.com',
      computerDnsName: machine.computerDnsName,
    });
    await tick();
    const posts = connector.calls.filter((c) => c.method === 'POST');
    assert.equal(posts.length, 2, 'the backfill summary and this alert');
    const posted = connector.cardsPosted()[1]!;
    const text = JSON.stringify(posted.card);
    assert.ok(text.includes(machine.computerDnsName), 'the card names the device');
    assert.match(text, /Pending/);
    assert.match(text, /Ransomware note found/);

    sim.tenant.transition(a.id, 'InProgress');
    await tick();
    sim.tenant.transition(a.id, 'Succeeded');
    await tick();
    await tick();
    const puts = connector.calls.filter((c) => c.method === 'PUT');
    assert.equal(puts.length, 2, 'InProgress and Succeeded, each an update in place');
    assert.ok(puts.every((p) => p.activityId === posted.activityId));
    assert.match(JSON.stringify(puts.at(-1)!.body), /Succeeded/);
    assert.equal(connector.calls.filter((c) => c.method === 'POST').length, 2, 'never a second card for the action');
  });

  it('a type outside the policy posts nothing', async () => {
    const before = connector.calls.length;
    const machine = sim.tenant.machines()[4]!;
    sim.tenant.create({ machineId: machine.id, type: 'CollectInvestigationPackage', comment: 'forensics' });
    await tick();
    assert.equal(connector.calls.length, before);
  });

  it('a burst of 50 alert-worthy actions gives one storm card, within the Teams limits, updated as they complete', async () => {
    const before = connector.calls.length;
    const machines = sim.tenant.machines();
    const burst = Array.from({ length: 50 }, (_, i) =>
      sim.tenant.create({
        machineId: machines[i % machines.length]!.id,
        type: 'RunAntiVirusScan',
        scope: 'Quick',
        comment: `sweep ${i}`,
        requestor: 'Sweeper@contoso.com',
      }),
    );
    await tick();
    const calls = connector.calls.slice(before);
    assert.equal(calls.filter((c) => c.method === 'POST').length, 1, 'one summary card, not 50');
    const storm = connector.cardsPosted().at(-1)!;
    assert.match(JSON.stringify(storm.card), /Sweeper@contoso\.com/);
    // Teams limits per conversation: at most 7 messages a second and 60 in 30 s (here: one).
    assert.ok(calls.length <= 7);
    for (const a of burst.slice(0, 5)) sim.tenant.transition(a.id, 'Succeeded');
    await tick();
    const puts = connector.calls.slice(before).filter((c) => c.method === 'PUT');
    assert.equal(puts.length, 1, 'one update of the summary card for five status changes');
    assert.equal(puts[0]!.activityId, storm.activityId);
    assert.match(JSON.stringify(puts[0]!.body), /Succeeded/);
  });

  it('uninstalling the bot from the team stops posting there', async () => {
    const other = '19:other-channel@thread.tacv2';
    const ref = {
      channelId: 'msteams' as const,
      serviceUrl: connector.url,
      conversationId: other,
      conversationType: 'channel' as const,
      tenantId: TENANT,
      botId: '28:bot',
      teamsChannelId: other,
      teamId: '19:team-two@thread.tacv2',
    };
    store.saveConversation({
      conversationId: other,
      kind: 'channel',
      name: 'Team two › General',
      ref,
      at: new Date().toISOString(),
    });
    store.setSubscription(other, { alerts: true, digest: false }, 'admin', new Date().toISOString());
    const machine = sim.tenant.machines()[7]!;
    const a = sim.tenant.create({ machineId: machine.id, type: 'Isolate', scope: 'Full', comment: 'before uninstall' });
    await tick();
    const toOther = () => connector.calls.filter((c) => c.conversationId?.startsWith(other)).length;
    assert.equal(toOther(), 2, 'the backfill summary and the alert');
    // The team uninstall arrives through the bot, as Teams sends it.
    const res = await fetch(`${botUrl}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'installationUpdate',
        action: 'remove',
        id: 'f:uninstall',
        channelId: 'msteams' as const,
        serviceUrl: connector.url,
        from: { id: '29:admin' },
        recipient: { id: '28:bot' },
        conversation: {
          isGroup: true,
          conversationType: 'channel' as const,
          tenantId: TENANT,
          id: '19:team-two@thread.tacv2',
        },
        channelData: { team: { id: '19:team-two@thread.tacv2', name: 'Team two' }, tenant: { id: TENANT } },
      }),
    });
    assert.ok(res.status < 300);
    assert.ok(!store.conversations().some((c) => c.conversationId === other));
    sim.tenant.transition(a.id, 'Succeeded');
    sim.tenant.create({
      machineId: sim.tenant.machines()[8]!.id,
      type: 'Isolate',
      scope: 'Full',
      comment: 'after uninstall',
    });
    await tick();
    assert.equal(toOther(), 2, 'nothing more is posted or updated there');
  });

  it('403 MessageWritesBlocked deactivates the subscription and stops posting', async () => {
    connector.failNext({
      status: 403,
      body: { errorCode: 209, message: JSON.stringify({ subCode: 'MessageWritesBlocked', message: 'Bot is blocked' }) },
    });
    const machine = sim.tenant.machines()[5]!;
    sim.tenant.create({ machineId: machine.id, type: 'RunAntiVirusScan', scope: 'Quick', comment: 'scan' });
    await tick();
    const conv = store.conversations()[0]!;
    assert.equal(conv.active, false);
    assert.match(conv.inactiveReason ?? '', /MessageWritesBlocked/);
    const before = connector.calls.length;
    sim.tenant.create({
      machineId: sim.tenant.machines()[6]!.id,
      type: 'Isolate',
      scope: 'Selective',
      comment: 'again',
    });
    await tick();
    assert.equal(connector.calls.length, before);
  });
});
