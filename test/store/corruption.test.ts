import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import DatabaseConstructor from 'better-sqlite3';
import { loadConfig } from '../../src/config/config.js';
import { StoreError } from '../../src/core/errors.js';
import { runCli, type Io } from '../../src/app/cli/run.js';
import { createBot } from '../../src/app/index.js';
import { createSqliteQueryBackend } from '../../src/queries/sqlite-backend.js';
import { generateActions } from '../../src/simulator/generator.js';
import { inspectSqliteStore } from '../../src/store/inspect.js';
import { storeFaultOf, toStoreError } from '../../src/store/sqlite-errors.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { createCaptureLogger } from '../fakes/capture-logger.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { startFakeConnector } from '../fakes/fake-connector.js';
import { channelMessage } from '../teams/helpers.js';

const NOW = Date.parse('2026-11-20T12:00:00Z');
/** A complete MDE configuration whose endpoints refuse connections at once (doctor gets to the store check). */
const MDE = {
  MDE_TENANT_ID: '00000000-0000-0000-0000-000000000001',
  MDE_CLIENT_ID: '11111111-1111-1111-1111-111111111111',
  SECRET_MDE_CLIENT_SECRET: 's',
  MDE_API_BASE_URL: 'https://127.0.0.1:9',
  MDE_AUTHORITY_HOST: 'https://127.0.0.1:9',
};
const PAGE = 4096;

/** A store file with `n` actions, closed (WAL checkpointed into the file). */
function makeStore(path: string, n: number): void {
  const store = openSqliteStore({ path });
  const at = new Date(NOW - 60_000).toISOString();
  const runId = store.beginRun(at, true);
  store.applyPage({
    runId,
    items: generateActions(n, { devices: 200, days: 30, seed: 5, nowMs: NOW }),
    quarantined: [],
    observedAt: at,
    backfill: true,
    cursor: null,
  });
  store.finishRun(runId, {
    finishedAt: at,
    ok: true,
    stats: { pages: 1, calls: 1, new: n, statusChanged: 0, updated: 0, unchanged: 0, quarantined: 0 },
  });
  store.close();
}

/** Overwrites 8 pages spread over the file (never page 1, the header) with a byte pattern: `PRAGMA quick_check` then fails. */
function damage(path: string): void {
  const pages = Math.floor(statSync(path).size / PAGE);
  const fd = openSync(path, 'r+');
  try {
    for (let i = 1; i <= 8; i++) writeSync(fd, Buffer.alloc(PAGE, 0x5a), 0, PAGE, Math.floor((pages * i) / 9) * PAGE);
  } finally {
    closeSync(fd);
  }
}

function io(): Io & { text: { out: string; err: string } } {
  const text = { out: '', err: '' };
  return {
    text,
    out: (t) => (text.out += `${t}\n`),
    err: (t) => (text.err += `${t}\n`),
    tty: false,
    clock: new FakeClock(NOW),
  };
}

describe('store: a damaged file is found, reported and never answered from', function () {
  this.timeout(60_000);
  let dir: string;
  let sound: string;
  let damaged: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dab-corrupt-'));
    sound = join(dir, 'sound.db');
    damaged = join(dir, 'damaged.db');
    makeStore(sound, 3000);
    makeStore(damaged, 3000);
    damage(damaged);
    const raw = new DatabaseConstructor(damaged, { readonly: true });
    let verdict: unknown;
    try {
      verdict = raw.pragma('quick_check');
    } catch (err) {
      verdict = err;
    } finally {
      raw.close();
    }
    assert.notDeepEqual(verdict, [{ quick_check: 'ok' }], 'the test file really is damaged');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the quick check at open latches the damage; every operation and query then throws it, with the Fix', async () => {
    const store = openSqliteStore({ path: damaged, check: 'quick' });
    try {
      const corrupt = store.corruption();
      assert.ok(corrupt instanceof StoreError);
      assert.equal(corrupt.code, 'STORE_CORRUPT');
      assert.match(corrupt.message, /is damaged/);
      assert.match(corrupt.fix ?? '', /restore the last backup/);
      assert.match(corrupt.fix ?? '', /README, "Operations", Backup/);
      for (const op of [
        () => store.ingestState(),
        () => store.countActions(),
        () => store.allActions(),
        () => store.getState('x'),
      ])
        assert.throws(op, (e: unknown) => e === corrupt);
      await assert.rejects(
        createSqliteQueryBackend(store).run({ shape: 'count', by: 'type', filters: {} } as never),
        (e: unknown) => e === corrupt,
      );
    } finally {
      store.close();
    }
    const ok = openSqliteStore({ path: sound, check: 'quick' });
    assert.equal(ok.corruption(), undefined);
    assert.deepEqual(ok.checkIntegrity(true), []);
    ok.close();
  });

  it('without the open-time check, the first statement that meets the damage latches it for the whole store', () => {
    const store = openSqliteStore({ path: damaged });
    try {
      assert.equal(store.corruption(), undefined);
      // Reading every action walks every table page, the damaged ones among them.
      assert.throws(
        () => store.allActions(),
        (e: unknown) => e instanceof StoreError && e.code === 'STORE_CORRUPT',
      );
      const latched = store.corruption();
      assert.ok(latched);
      assert.throws(
        () => store.ingestState(),
        (e: unknown) => e === latched,
        'even reads of undamaged pages are refused now',
      );
    } finally {
      store.close();
    }
  });

  it('the bot on a damaged store: /healthz answers 503 with the store check failed, and a command is refused with the Fix', async () => {
    const store = openSqliteStore({ path: damaged, check: 'quick' });
    const connector = await startFakeConnector();
    const bot = await createBot(loadConfig({ PORT: '0' }), {
      store,
      clock: new FakeClock(NOW),
      logger: createCaptureLogger(),
      ingestEnabled: true,
    });
    try {
      const { url } = await bot.start();
      const health = await fetch(`${url}/healthz`);
      assert.equal(health.status, 503);
      const body = (await health.json()) as { checks: { store: { ok: boolean; detail: string } } };
      assert.equal(body.checks.store.ok, false);
      assert.match(body.checks.store.detail, /damaged/);
      for (const text of ['summary 30d', 'devices', 'pending', 'isolated', 'status']) {
        const res = await fetch(`${url}/api/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(channelMessage(connector.url, text)),
        });
        assert.equal(res.status, 200);
        const card = JSON.stringify(connector.cardsPosted().at(-1)?.card);
        assert.match(card, /damaged/, text);
        assert.match(card, /restore the last backup/, text);
      }
    } finally {
      await bot.stop();
      await connector.close();
      store.close();
    }
  });

  it('ask, digest --print and ingest --once exit 1 with the Fix; doctor and doctor --deep fail the store check (exit 1)', async () => {
    for (const args of [
      ['ask', 'summary 30d'],
      ['ask', 'failed 30d', '--format', 'csv'],
      ['digest', '--print'],
    ]) {
      const out = io();
      assert.equal(await runCli(args, { STORE_PATH: damaged }, out), 1, args.join(' '));
      assert.equal(out.text.out, '', 'nothing answered');
      assert.match(out.text.err, /is damaged.*Fix: the store file is damaged/s);
      assert.match(out.text.err, /\[STORE_CORRUPT\]/);
    }
    const ingest = io();
    assert.equal(await runCli(['ingest', '--once'], { ...MDE, STORE_PATH: damaged }, ingest), 1);
    assert.match(ingest.text.err, /\[STORE_CORRUPT\]/);
    for (const deep of [false, true]) {
      const out = io();
      assert.equal(await runCli(['doctor', ...(deep ? ['--deep'] : [])], { ...MDE, STORE_PATH: damaged }, out), 1);
      const line = out.text.out.split('\n').find((l) => /^. store/.test(l));
      assert.match(line ?? '', /✖/);
      assert.match(out.text.out, new RegExp(`is damaged \\(${deep ? 'integrity_check' : 'quick_check'}:`));
      assert.match(out.text.out, /restore the last backup/);
    }
    assert.equal(inspectSqliteStore(sound)?.integrity.length, 0);
  });
});

describe('store errors carry a Fix line for what SQLite names', () => {
  it('maps SQLite result codes to faults', () => {
    const code = (c: string) => Object.assign(new Error(c), { code: c });
    assert.equal(storeFaultOf(code('SQLITE_CORRUPT')), 'corrupt');
    assert.equal(storeFaultOf(code('SQLITE_CORRUPT_INDEX')), 'corrupt');
    assert.equal(storeFaultOf(code('SQLITE_NOTADB')), 'corrupt');
    assert.equal(storeFaultOf(code('SQLITE_FULL')), 'full');
    assert.equal(storeFaultOf(code('SQLITE_BUSY')), 'locked');
    assert.equal(storeFaultOf(code('SQLITE_BUSY_SNAPSHOT')), 'locked');
    assert.equal(storeFaultOf(code('SQLITE_READONLY_DBMOVED')), 'readonly');
    assert.equal(storeFaultOf(code('SQLITE_CONSTRAINT')), undefined);
    assert.equal(storeFaultOf(new Error('x')), undefined);
    assert.equal(toStoreError(code('SQLITE_CONSTRAINT'), 'Store x failed', 'a.db').fix, undefined);
  });

  it('disk full: a write that SQLite cannot make room for fails with the space Fix (max_page_count plays the full disk)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dab-full-'));
    try {
      const path = join(dir, 'audit.db');
      const store = openSqliteStore({ path });
      store.db.pragma(`max_page_count = ${store.db.pragma('page_count', { simple: true }) as number}`);
      const at = new Date(NOW).toISOString();
      assert.throws(
        () => {
          const runId = store.beginRun(at, true);
          store.applyPage({
            runId,
            items: generateActions(2000, { devices: 50, days: 10, seed: 2, nowMs: NOW }),
            quarantined: [],
            observedAt: at,
            backfill: true,
            cursor: null,
          });
        },
        (e: unknown) =>
          e instanceof StoreError &&
          e.fault === 'full' &&
          /no space left/.test(e.fix ?? '') &&
          /database or disk is full/.test(e.message),
      );
      assert.equal(store.corruption(), undefined, 'a full disk is not damage');
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('locked: doctor says another process holds the lock (not "check that STORE_PATH is readable")', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dab-locked-'));
    try {
      const path = join(dir, 'audit.db');
      makeStore(path, 10);
      const holder = openSqliteStore({ path, locking: 'exclusive' });
      try {
        const out = io();
        assert.equal(await runCli(['doctor'], { ...MDE, STORE_PATH: path, STORE_LOCKING: 'exclusive' }, out), 1);
        const text = out.text.out.split('\n').find((l) => /^. store/.test(l)) ?? '';
        assert.match(text, /only one process may open the store: stop the running bot first/);
        assert.ok(!/readable by the bot/.test(text), text);
        const ask = io();
        assert.equal(await runCli(['ask', 'summary'], { STORE_PATH: path, STORE_LOCKING: 'exclusive' }, ask), 1);
        assert.match(ask.text.err, /locked by another process.*Fix: with STORE_LOCKING=exclusive/s);
      } finally {
        holder.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
