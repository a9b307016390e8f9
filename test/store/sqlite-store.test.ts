import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import DatabaseConstructor from 'better-sqlite3';
import { migrate, MIGRATIONS, schemaVersion } from '../../src/store/migrations.js';
import { deviceKeys, openSqliteStore } from '../../src/store/sqlite-store.js';
import { StoreError } from '../../src/core/errors.js';
import { makeAction, guid, page } from '../fakes/actions.js';

describe('store/sqlite', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dab-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('migrations', () => {
    it('create the schema on an empty database and are idempotent when re-run', () => {
      const db = new DatabaseConstructor(join(dir, 'a.db'));
      assert.deepEqual(
        migrate(db),
        MIGRATIONS.map((m) => m.version),
      );
      const tables = () =>
        db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table','index') ORDER BY name").pluck().all();
      const before = tables();
      assert.deepEqual(migrate(db), []);
      assert.deepEqual(migrate(db), []);
      assert.deepEqual(tables(), before);
      assert.equal(schemaVersion(db), MIGRATIONS.at(-1)!.version);
      assert.equal(db.prepare('SELECT count(*) FROM ingest_state').pluck().get(), 1);
      db.close();
    });

    it('reopening an existing store keeps its data', () => {
      const path = join(dir, 'b.db');
      const s1 = openSqliteStore({ path });
      s1.applyPage(page([makeAction({ id: guid(1) })]));
      s1.close();
      const s2 = openSqliteStore({ path });
      assert.equal(s2.countActions(), 1);
      s2.close();
    });

    it('refuses a database written by a newer version', () => {
      const db = new DatabaseConstructor(join(dir, 'c.db'));
      migrate(db);
      db.prepare("INSERT INTO schema_migrations VALUES (999, 'future', 'x')").run();
      assert.throws(
        () => migrate(db),
        (e: unknown) => e instanceof StoreError && /newer than this program/.test(e.message),
      );
      db.close();
    });

    it('uses WAL journaling', () => {
      const s = openSqliteStore({ path: join(dir, 'd.db') });
      assert.equal(s.db.pragma('journal_mode', { simple: true }), 'wal');
      s.close();
    });
  });

  describe('upsert', () => {
    it('inserts new actions and records their first status', () => {
      const s = openSqliteStore({ path: ':memory:' });
      const out = s.applyPage(page([makeAction({ id: guid(1) }), makeAction({ id: guid(2), status: 'Succeeded' })]));
      assert.deepEqual(
        out.changes.map((c) => [c.kind, c.action.id, c.previousStatus]),
        [
          ['new', guid(1), null],
          ['new', guid(2), null],
        ],
      );
      assert.deepEqual(
        s.statusHistory(guid(2)).map((h) => h.status),
        ['Succeeded'],
      );
      s.close();
    });

    it('a newer lastUpdateDateTimeUtc replaces; an older or equal one is a no-op (replays are idempotent)', () => {
      const s = openSqliteStore({ path: ':memory:' });
      const v1 = makeAction({ id: guid(1), status: 'Pending', lastUpdateDateTimeUtc: '2026-11-29T10:00:00.1234567Z' });
      const v2 = { ...v1, status: 'InProgress', lastUpdateDateTimeUtc: '2026-11-29T10:00:05.1Z' };
      const v3 = { ...v1, status: 'Succeeded', lastUpdateDateTimeUtc: '2026-11-29T10:01:00.25Z' };
      s.applyPage(page([v1]));
      assert.equal(s.applyPage(page([v2])).changes[0]?.kind, 'statusChanged');
      assert.equal(s.applyPage(page([v3])).changes[0]?.previousStatus, 'InProgress');
      // Replays in any order change nothing.
      const replay = s.applyPage(page([v2, v1, v3, v3]));
      assert.deepEqual(replay.changes, []);
      assert.equal(replay.unchanged, 4);
      assert.equal(s.getAction(guid(1))?.status, 'Succeeded');
      assert.deepEqual(
        s.statusHistory(guid(1)).map((h) => [h.status, h.changedAt]),
        [
          ['Pending', '2026-11-29T10:00:00.1234567Z'],
          ['InProgress', '2026-11-29T10:00:05.1000000Z'],
          ['Succeeded', '2026-11-29T10:01:00.2500000Z'],
        ],
      );
      s.close();
    });

    it('compares update times as instants, not as text (digit counts differ)', () => {
      const s = openSqliteStore({ path: ':memory:' });
      s.applyPage(page([makeAction({ id: guid(1), lastUpdateDateTimeUtc: '2026-11-29T10:00:00.15Z' })]));
      // ".1Z" sorts after ".15Z" as text but is the older instant: no change.
      const out = s.applyPage(
        page([makeAction({ id: guid(1), status: 'InProgress', lastUpdateDateTimeUtc: '2026-11-29T10:00:00.1Z' })]),
      );
      assert.equal(out.changes.length, 0);
      const out2 = s.applyPage(
        page([makeAction({ id: guid(1), status: 'InProgress', lastUpdateDateTimeUtc: '2026-11-29T10:00:00.16Z' })]),
      );
      assert.equal(out2.changes[0]?.kind, 'statusChanged');
      s.close();
    });

    it('a change of another field with the same status is an update, without a history row', () => {
      const s = openSqliteStore({ path: ':memory:' });
      s.applyPage(page([makeAction({ id: guid(1), computerDnsName: null })]));
      const out = s.applyPage(
        page([
          makeAction({
            id: guid(1),
            computerDnsName: 'WS-042.contoso.com',
            lastUpdateDateTimeUtc: '2026-11-29T10:00:01Z',
          }),
        ]),
      );
      assert.equal(out.changes[0]?.kind, 'updated');
      assert.equal(s.statusHistory(guid(1)).length, 1);
      assert.equal(s.db.prepare('SELECT device_short_lc FROM actions').pluck().get(), 'ws-042');
      s.close();
    });

    it('keeps unknown types, statuses and extra keys exactly', () => {
      const s = openSqliteStore({ path: ':memory:' });
      const odd = {
        ...makeAction({
          id: guid(9),
          type: 'ContainDevice',
          status: 'Queued',
          requestSource: 'AutomatedInvestigation',
        }),
        futureField: { a: 1 },
      };
      s.applyPage(page([odd]));
      assert.deepEqual(s.getAction(guid(9)), odd);
      s.close();
    });

    it('moves the cursor forward only, in the page transaction', () => {
      const s = openSqliteStore({ path: ':memory:' });
      s.applyPage(page([], { cursor: '2026-11-29T10:00:00.0000002Z' }));
      s.applyPage(page([], { cursor: '2026-11-29T10:00:00.0000001Z' }));
      assert.equal(s.ingestState().cursor, '2026-11-29T10:00:00.0000002Z');
      // A page that fails rolls back its cursor too.
      assert.throws(
        () =>
          s.applyPage(
            page([makeAction({ id: guid(1), lastUpdateDateTimeUtc: 'garbage' })], {
              cursor: '2027-01-01T00:00:00.0000000Z',
            }),
          ),
        StoreError,
      );
      assert.equal(s.ingestState().cursor, '2026-11-29T10:00:00.0000002Z');
      assert.equal(s.countActions(), 0);
      s.close();
    });

    it('quarantines invalid items once, counting repeats', () => {
      const s = openSqliteStore({ path: ':memory:' });
      const bad = { raw: '{"id":"x","status":7}', reason: 'status: expected string', actionId: 'x' };
      s.applyPage(page([], { quarantined: [bad] }));
      s.applyPage(page([], { quarantined: [bad], observedAt: '2026-11-29T12:05:00.000Z' }));
      const q = s.quarantined();
      assert.equal(q.length, 1);
      assert.equal(q[0]?.seenCount, 2);
      assert.equal(q[0]?.lastSeenAt, '2026-11-29T12:05:00.000Z');
      s.close();
    });

    it('records runs and ingest state', () => {
      const s = openSqliteStore({ path: ':memory:' });
      const id = s.beginRun('2026-11-29T12:00:00.000Z', true);
      const stats = { pages: 1, calls: 1, new: 2, statusChanged: 0, updated: 0, unchanged: 0, quarantined: 0 };
      s.finishRun(id, { finishedAt: '2026-11-29T12:00:01.000Z', ok: true, stats });
      const id2 = s.beginRun('2026-11-29T12:00:30.000Z', false);
      s.finishRun(id2, { finishedAt: '2026-11-29T12:00:31.000Z', ok: false, error: 'HTTP 503', stats });
      const st = s.ingestState();
      assert.equal(st.runsTotal, 2);
      assert.equal(st.runsFailed, 1);
      assert.equal(st.lastSuccessAt, '2026-11-29T12:00:01.000Z');
      assert.equal(st.lastError, 'HTTP 503');
      assert.deepEqual(s.lastRun()?.stats, stats);
      s.close();
    });
  });

  it('records a run that never finished as interrupted when the next one begins', () => {
    const s = openSqliteStore({ path: ':memory:' });
    s.beginRun('2026-11-29T12:00:00.000Z', true);
    s.beginRun('2026-11-29T12:05:00.000Z', true);
    const st = s.ingestState();
    assert.equal(st.runsFailed, 1);
    assert.match(st.lastError ?? '', /interrupted/);
    s.close();
  });

  describe('change log (transactional outbox)', () => {
    it('logs new actions and status changes of normal runs in the page transaction, not backfill or other updates', () => {
      const s = openSqliteStore({ path: ':memory:' });
      s.applyPage(page([makeAction({ id: guid(1) })], { backfill: true }));
      assert.deepEqual(s.changesAfter('alerts', 100), [], 'history is not news');
      const v1 = makeAction({ id: guid(2), status: 'Pending', lastUpdateDateTimeUtc: '2026-11-29T10:00:00Z' });
      s.applyPage(page([v1]));
      s.applyPage(page([{ ...v1, computerDnsName: 'x.contoso.com', lastUpdateDateTimeUtc: '2026-11-29T10:00:01Z' }]));
      s.applyPage(page([{ ...v1, status: 'Succeeded', lastUpdateDateTimeUtc: '2026-11-29T10:00:02Z' }]));
      const changes = s.changesAfter('alerts', 100);
      assert.deepEqual(
        changes.map((c) => [c.kind, c.status, c.previousStatus]),
        [
          ['new', 'Pending', null],
          ['statusChanged', 'Succeeded', 'Pending'],
        ],
      );
      assert.equal(changes[0]?.action.status, 'Succeeded', 'the action as stored now');
      // A page that fails logs nothing.
      assert.throws(() =>
        s.applyPage(page([makeAction({ id: guid(3) }), makeAction({ id: guid(4), lastUpdateDateTimeUtc: 'bad' })])),
      );
      assert.equal(s.changesAfter('alerts', 100).length, 2);
      s.close();
    });

    it('consumers read after their durable offset, which only moves forward', () => {
      const path = join(dir, 'outbox.db');
      const s = openSqliteStore({ path });
      s.applyPage(page([makeAction({ id: guid(1) }), makeAction({ id: guid(2) }), makeAction({ id: guid(3) })]));
      const first = s.changesAfter('alerts', 2);
      assert.equal(first.length, 2);
      s.commitOffset('alerts', first.at(-1)!.seq);
      s.commitOffset('alerts', 1);
      s.close();
      const again = openSqliteStore({ path });
      assert.deepEqual(
        again.changesAfter('alerts', 10).map((c) => c.action.id),
        [guid(3)],
      );
      assert.equal(again.changesAfter('digest', 10).length, 3, 'each consumer has its own offset');
      again.close();
    });
  });

  it('keeps the isolation state of each machine as its Isolate/Unisolate actions change', () => {
    const s = openSqliteStore({ path: ':memory:' });
    const state = () =>
      s.db.prepare('SELECT machine_id, isolated FROM machine_isolation ORDER BY machine_id').raw(true).all();
    const iso = makeAction({
      id: guid(1),
      type: 'Isolate',
      machineId: 'm1',
      status: 'Succeeded',
      creationDateTimeUtc: '2026-11-29T10:00:00Z',
      lastUpdateDateTimeUtc: '2026-11-29T10:01:00Z',
    });
    s.applyPage(page([iso, makeAction({ id: guid(2), type: 'RunAntiVirusScan', machineId: 'm2' })]));
    assert.deepEqual(state(), [['m1', 1]]);
    const un = makeAction({
      id: guid(3),
      type: 'Unisolate',
      machineId: 'm1',
      status: 'Pending',
      creationDateTimeUtc: '2026-11-29T11:00:00Z',
      lastUpdateDateTimeUtc: '2026-11-29T11:00:00Z',
    });
    s.applyPage(page([un]));
    assert.deepEqual(state(), [['m1', 0]], 'a release in flight counts');
    s.applyPage(page([{ ...un, status: 'Failed', lastUpdateDateTimeUtc: '2026-11-29T11:05:00Z' }]));
    assert.deepEqual(state(), [['m1', 1]], 'a failed release leaves the device isolated');
    s.applyPage(page([{ ...iso, status: 'Cancelled', lastUpdateDateTimeUtc: '2026-11-29T11:06:00Z' }]));
    assert.deepEqual(state(), [], 'no effective isolation action left');
    s.close();
  });

  describe('conversations', () => {
    const ref = {
      channelId: 'msteams' as const,
      serviceUrl: 'https://smba.example/emea/',
      conversationId: '19:a@thread.tacv2',
      conversationType: 'channel' as const,
      tenantId: 't',
      botId: '28:b',
    };
    it('installs idempotently, keeps subscriptions across re-installs, deactivates and removes', () => {
      const s = openSqliteStore({ path: ':memory:' });
      s.saveConversation({
        conversationId: '19:a@thread.tacv2',
        kind: 'channel',
        name: 'SecOps › Alerts',
        ref,
        at: '2026-11-29T10:00:00.000Z',
      });
      s.saveConversation({
        conversationId: '19:a@thread.tacv2',
        kind: 'channel',
        name: null,
        ref,
        at: '2026-11-29T10:00:01.000Z',
      });
      assert.equal(s.conversations().length, 1);
      assert.equal(
        s.setSubscription('19:a@thread.tacv2', { alerts: true, digest: true }, 'aad-1', '2026-11-29T10:01:00.000Z'),
        true,
      );
      assert.equal(
        s.setSubscription('19:unknown', { alerts: true, digest: false }, 'aad-1', '2026-11-29T10:01:00.000Z'),
        false,
      );
      s.setConversationActive('19:a@thread.tacv2', false, 'MessageWritesBlocked');
      let c = s.conversations()[0]!;
      assert.deepEqual(
        [c.alerts, c.digest, c.active, c.inactiveReason, c.name, c.installedAt],
        [true, true, false, 'MessageWritesBlocked', 'SecOps › Alerts', '2026-11-29T10:00:00.000Z'],
      );
      assert.deepEqual(c.ref, ref);
      s.saveConversation({
        conversationId: '19:a@thread.tacv2',
        kind: 'channel',
        name: null,
        ref,
        at: '2026-11-29T11:00:00.000Z',
      });
      c = s.conversations()[0]!;
      assert.deepEqual([c.alerts, c.active], [true, true], 'a re-install reactivates and keeps the subscription');
      s.removeConversation('19:a@thread.tacv2');
      assert.deepEqual(s.conversations(), []);
      s.close();
    });
  });

  it('derives device keys from the DNS name', () => {
    assert.deepEqual(deviceKeys('WS-042.contoso.com'), { full: 'ws-042.contoso.com', short: 'ws-042' });
    assert.deepEqual(deviceKeys('LABTEST-EID'), { full: 'labtest-eid', short: 'labtest-eid' });
    assert.deepEqual(deviceKeys(null), { full: null, short: null });
  });

  describe('STORE_LOCKING=exclusive (network file shares)', () => {
    it('holds the lock from open to close: a second opener is refused with the fix; no shared-memory file is used', () => {
      const path = join(dir, 'locked.db');
      const owner = openSqliteStore({ path, locking: 'exclusive' });
      owner.applyPage(page([makeAction({ id: guid(1) })]));
      for (const locking of ['exclusive', 'normal'] as const) {
        assert.throws(
          () => openSqliteStore({ path, locking, busyTimeoutMs: 50 }),
          (e: unknown) =>
            e instanceof StoreError &&
            /locked by another process/.test(e.message) &&
            /STORE_LOCKING=exclusive|another process holds the lock/.test(e.fix ?? ''),
        );
      }
      assert.equal(existsSync(`${path}-shm`), false, 'WAL without the -shm index');
      owner.close();
      const next = openSqliteStore({ path, locking: 'exclusive' });
      assert.equal(next.countActions(), 1, 'the data is there after a reopen');
      next.close();
    });
  });
});
