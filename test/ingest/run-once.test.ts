import assert from 'node:assert/strict';
import { runOnce, type IngestSettings } from '../../src/ingest/run-once.js';
import { openSqliteStore, type SqliteAuditStore } from '../../src/store/sqlite-store.js';
import { DefenderApiError, StoreError } from '../../src/core/errors.js';
import { millisToTimestamp, normalizeTimestamp, toWireTimestamp } from '../../src/core/timestamps.js';
import type { MachineAction } from '../../src/core/types.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakeDefenderClient } from '../fakes/fake-defender.js';
import { createCaptureLogger } from '../fakes/capture-logger.js';
import { makeAction, guid } from '../fakes/actions.js';
import { MemoryAuditStore } from '../fakes/memory-store.js';

const NOW = Date.parse('2026-11-29T12:00:00Z');
const settings: IngestSettings = {
  pageSize: 10,
  overlapMs: 5 * 60_000,
  backfillDays: 180,
  fallbackWindowMs: 7 * 86_400_000,
};

/** Wire timestamp `minutes` before NOW, with a sub-millisecond part so digit counts vary. */
const at = (minutes: number, ticks = 0): string => toWireTimestamp(millisToTimestamp(NOW - minutes * 60_000, ticks));

function history(n: number, startMinutesAgo = 10_000): MachineAction[] {
  return Array.from({ length: n }, (_, i) =>
    makeAction({
      id: guid(i + 1),
      status: 'Succeeded',
      creationDateTimeUtc: at(startMinutesAgo - i),
      lastUpdateDateTimeUtc: at(startMinutesAgo - i - 0.5, i % 9),
    }),
  );
}

function setup(items: object[] = []) {
  const clock = new FakeClock(NOW, { autoAdvance: true });
  const client = new FakeDefenderClient(items);
  const store = openSqliteStore({ path: ':memory:' });
  const logger = createCaptureLogger();
  const run = () => runOnce({ client, store, clock, logger, settings });
  return { clock, client, store, logger, run };
}

function ids(store: SqliteAuditStore): string[] {
  return store.allActions().map((a) => a.id);
}

describe('ingest/runOnce', () => {
  it('first run backfills quietly: counts only, flagged backfill, then normal runs', async () => {
    const { client, store, run } = setup(history(35));
    const first = await run();
    assert.equal(first.backfill, true);
    assert.equal(first.stats.new, 35);
    assert.deepEqual(first.new, []);
    assert.deepEqual(first.backfillCounts, { Isolate: 35 });
    assert.equal(first.stats.pages, 4);
    assert.ok(store.ingestState().backfillCompletedAt);

    client.items.push(makeAction({ id: guid(100), creationDateTimeUtc: at(1), lastUpdateDateTimeUtc: at(1) }));
    const second = await run();
    assert.equal(second.backfill, false);
    assert.deepEqual(
      second.new.map((c) => c.action.id),
      [guid(100)],
    );
    assert.equal(second.new[0]?.backfill, false);
  });

  it('reads from the cursor minus the overlap window', async () => {
    const items = history(3);
    const { client, run, store } = setup(items);
    await run();
    const cursor = store.ingestState().cursor!;
    await run();
    const last = client.queries.at(-1)!;
    assert.equal(cursor, normalizeTimestamp(items[2]!.lastUpdateDateTimeUtc));
    assert.equal(cursor, '2026-11-22T13:22:30.0000002Z');
    assert.equal(last.filter, 'lastUpdateDateTimeUtc ge 2026-11-22T13:17:30.0000002Z');
    assert.equal(last.orderBy, 'lastUpdateDateTimeUtc asc');
  });

  it('records Pending -> InProgress -> Succeeded once each in history and in change sets, across repeated runs', async () => {
    const { client, store, run } = setup(history(2));
    await run(); // backfill
    const a = makeAction({ id: guid(50), status: 'Pending', creationDateTimeUtc: at(3), lastUpdateDateTimeUtc: at(3) });
    client.items.push(a);
    const seen: string[] = [];
    const collect = async () => {
      const c = await run();
      for (const ch of [...c.new, ...c.statusChanged, ...c.updated])
        if (ch.action.id === guid(50)) seen.push(`${ch.kind}:${ch.action.status}`);
    };
    await collect();
    await collect(); // overlap re-read: nothing new
    Object.assign(a, { status: 'InProgress', lastUpdateDateTimeUtc: at(2) });
    await collect();
    await collect();
    Object.assign(a, { status: 'Succeeded', lastUpdateDateTimeUtc: at(1, 7) });
    await collect();
    await collect();
    assert.deepEqual(seen, ['new:Pending', 'statusChanged:InProgress', 'statusChanged:Succeeded']);
    assert.deepEqual(
      store.statusHistory(guid(50)).map((h) => h.status),
      ['Pending', 'InProgress', 'Succeeded'],
    );
  });

  it('misses nothing when actions are updated while the paging runs (keyset paging)', async () => {
    const items = history(95);
    const { client, store, run } = setup(items);
    let bump = 0;
    // Before every call, three not-yet-read or already-read actions get a new status and move to the end.
    client.beforeList = (call) => {
      for (const idx of [call * 7, call * 7 + 40, 90 - call]) {
        const it = items[idx % items.length]!;
        bump++;
        Object.assign(it, { status: 'Failed', lastUpdateDateTimeUtc: at(0.001 * (1000 - bump)) });
      }
    };
    await run();
    client.beforeList = undefined;
    assert.deepEqual(ids(store), items.map((i) => i.id).sort());
    // The store holds the latest version of every action.
    for (const it of items) assert.equal(store.getAction(it.id)?.status, it.status);
  });

  it('plain $skip paging over the same changing data would lose actions (why keyset paging)', () => {
    // Model of the unsafe strategy: skip += pageSize over an ordering in which updated items move to the end.
    const order = Array.from({ length: 30 }, (_, i) => i);
    const seen = new Set<number>();
    for (let skip = 0; skip < order.length; skip += 10) {
      if (skip === 10) order.push(...order.splice(2, 1)); // item 2 (already read) is updated: everything shifts left
      for (const x of order.slice(skip, skip + 10)) seen.add(x);
    }
    assert.ok(seen.size < 30, 'the shift made $skip paging skip one item');
  });

  it('quarantines malformed items, stores valid ones, and keeps the cursor right', async () => {
    const good = history(12);
    const bad: Record<string, unknown>[] = [
      { ...makeAction({ id: guid(900) }), lastUpdateDateTimeUtc: at(1), status: 42 },
      { ...makeAction({ id: guid(901) }), lastUpdateDateTimeUtc: at(0.5), creationDateTimeUtc: 'not a date' },
      { id: guid(902), lastUpdateDateTimeUtc: at(0.2) },
    ];
    const { store, run, logger } = setup([...good, ...bad]);
    const c = await run();
    assert.equal(c.stats.new, 12);
    assert.equal(c.stats.quarantined, 3);
    assert.deepEqual(
      ids(store),
      good.map((g) => g.id),
    );
    assert.deepEqual(
      store
        .quarantined()
        .map((q) => q.actionId)
        .sort(),
      [guid(900), guid(901), guid(902)],
    );
    // The cursor is the newest *valid* update time.
    assert.equal(store.ingestState().cursor, normalizeTimestamp(good[11]!.lastUpdateDateTimeUtc));
    assert.equal(logger.lines.filter((l) => l.msg === 'quarantined an invalid action').length, 3);
  });

  it('falls back to a creation-time window when the tenant rejects the lastUpdate filter', async () => {
    const { client, store, run, logger } = setup(history(25, 1000));
    client.rejectLastUpdate = true;
    const first = await run();
    assert.equal(first.mode, 'creation');
    assert.equal(store.ingestState().mode, 'creation');
    assert.match(store.ingestState().modeReason ?? '', /rejected \$filter on lastUpdateDateTimeUtc/);
    assert.equal(store.countActions(), 25);
    assert.ok(logger.lines.some((l) => l.level === 'warn' && /fallback/.test(l.msg)));
    // Later runs re-read the creation window and catch status changes of recent actions.
    const recent = makeAction({
      id: guid(77),
      status: 'Pending',
      creationDateTimeUtc: at(60),
      lastUpdateDateTimeUtc: at(60),
    });
    client.items.push(recent);
    await run();
    Object.assign(recent, { status: 'TimeOut', lastUpdateDateTimeUtc: at(1), errorHResult: -2145844840 });
    const third = await run();
    assert.deepEqual(
      third.statusChanged.map((c) => [c.action.id, c.previousStatus, c.action.status]),
      [[guid(77), 'Pending', 'TimeOut']],
    );
    assert.ok(client.queries.at(-1)!.filter!.startsWith('creationDateTimeUtc ge '));
  });

  it('a failure in the middle keeps committed pages and the cursor; the next run completes the set', async () => {
    const items = history(40);
    const { client, store, run } = setup(items);
    client.beforeList = (call) => {
      if (call === 2)
        client.failures.push(new DefenderApiError('MDE_UNAVAILABLE', 'still 503', { status: 503, retryable: true }));
    };
    await assert.rejects(run(), /still 503/);
    // Two pages committed: 10 + 9 new (the keyset re-reads the last item of page 1).
    assert.equal(store.countActions(), 19);
    assert.equal(store.ingestState().cursor, normalizeTimestamp(items[18]!.lastUpdateDateTimeUtc));
    assert.equal(store.ingestState().backfillCompletedAt, null);
    assert.equal(store.lastRun()?.ok, false);
    client.beforeList = undefined;
    const again = await run();
    assert.equal(again.backfill, true, 'still the backfill until it completes');
    assert.deepEqual(ids(store), items.map((i) => i.id).sort());
    assert.equal(store.ingestState().runsFailed, 1);
  });

  it('pages that share one timestamp are read with $skip', async () => {
    const same = at(30, 5);
    const items = Array.from({ length: 25 }, (_, i) =>
      makeAction({ id: guid(i + 1), creationDateTimeUtc: same, lastUpdateDateTimeUtc: same }),
    );
    const { client, store, run } = setup(items);
    await run();
    assert.equal(store.countActions(), 25);
    // The second call re-reads the tied page once from its key, then $skip moves past the ties.
    assert.deepEqual(
      client.queries.map((q) => q.skip ?? 0),
      [0, 0, 10, 20],
    );
  });
});

describe('ingest/runOnce with a failing store', () => {
  it('a store failure mid-run fails the run, keeps earlier pages and the cursor, and the next run recovers', async () => {
    const items = history(30);
    const clock = new FakeClock(NOW, { autoAdvance: true });
    const client = new FakeDefenderClient(items);
    const store = new MemoryAuditStore();
    store.failApplyPageAt = 1;
    const deps = { client, store, clock, logger: createCaptureLogger(), settings };
    await assert.rejects(runOnce(deps), (e: unknown) => e instanceof StoreError && /disk is full/.test(e.message));
    assert.equal(store.countActions(), 10);
    assert.equal(store.ingestState().cursor, normalizeTimestamp(items[9]!.lastUpdateDateTimeUtc));
    assert.equal(store.lastRun()?.ok, false);
    store.failApplyPageAt = undefined;
    await runOnce(deps);
    assert.deepEqual(
      store.allActions().map((a) => a.id),
      items.map((i) => i.id),
    );
  });
});
