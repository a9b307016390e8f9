import { loadConfig } from '../../src/config/config.js';
import assert from 'node:assert/strict';
import type { QueryBackend, QuerySpec } from '../../src/core/query.js';
import type { MachineAction } from '../../src/core/types.js';
import { buildDigest, digestRanges, fillUtcDays } from '../../src/digest/model.js';
import { createSqliteQueryBackend } from '../../src/queries/sqlite-backend.js';
import { openSqliteStore, type SqliteAuditStore } from '../../src/store/sqlite-store.js';
import { guid, makeAction } from '../fakes/actions.js';
import { FakeQueryBackend } from '../fakes/fake-query-backend.js';

/**
 * "Now" is 2027-03-29T06:00:00.000Z (08:00 in Amsterdam, summer time). Windows:
 * last 24 h [03-28T06:00Z, 03-29T06:00Z), previous 24 h [03-27T06:00Z, 03-28T06:00Z),
 * chart [03-16T00:00Z, now), top [03-22T06:00Z, now).
 */
const NOW_ISO = '2027-03-29T06:00:00.000Z';
const NOW = Date.parse(NOW_ISO);
const ZONE = 'Europe/Amsterdam';

const ALEX = 'Alex.Wilber@contoso.com';
const MEGAN = 'Megan.Bowen@contoso.com';
const APP = '2f48b784-5da5-4e61-9957-012d2630f1e4';

const machine = (n: number): string => n.toString(16).padStart(2, '0').repeat(20);
const name = (n: number): string => `ws-00${n}.contoso.com`;

interface Row {
  key: string;
  type: string;
  status: string;
  m: number;
  requestor: string;
  created: string;
}

const ROWS: Row[] = [
  // The last 24 hours: 5 actions (a6 is created exactly at "now": outside, `to` is exclusive).
  { key: 'a1', type: 'Isolate', status: 'Succeeded', m: 1, requestor: ALEX, created: '2027-03-28T06:00:00Z' },
  { key: 'a2', type: 'Isolate', status: 'Failed', m: 2, requestor: MEGAN, created: '2027-03-28T12:00:00Z' },
  { key: 'a3', type: 'RunAntiVirusScan', status: 'TimeOut', m: 3, requestor: ALEX, created: '2027-03-28T20:00:00Z' },
  {
    key: 'a4',
    type: 'RunAntiVirusScan',
    status: 'Pending',
    m: 4,
    requestor: APP,
    created: '2027-03-29T05:59:59.9999999Z',
  },
  { key: 'a5', type: 'Isolate', status: 'InProgress', m: 3, requestor: MEGAN, created: '2027-03-29T01:00:00Z' },
  {
    key: 'a6',
    type: 'CollectInvestigationPackage',
    status: 'Pending',
    m: 4,
    requestor: APP,
    created: '2027-03-29T06:00:00Z',
  },
  // The previous 24 hours: 3 actions.
  { key: 'b1', type: 'Unisolate', status: 'Succeeded', m: 1, requestor: ALEX, created: '2027-03-27T06:00:00Z' },
  {
    key: 'b2',
    type: 'RunAntiVirusScan',
    status: 'Succeeded',
    m: 3,
    requestor: 'ALEX.WILBER@contoso.com',
    created: '2027-03-27T23:00:00Z',
  },
  { key: 'b3', type: 'Isolate', status: 'Failed', m: 2, requestor: MEGAN, created: '2027-03-28T05:59:59Z' },
  // Older.
  { key: 'c1', type: 'Isolate', status: 'Succeeded', m: 1, requestor: ALEX, created: '2027-03-20T10:00:00Z' },
  {
    key: 'c2',
    type: 'StopAndQuarantineFile',
    status: 'Pending',
    m: 7,
    requestor: MEGAN,
    created: '2027-03-16T00:00:00Z',
  },
  { key: 'c3', type: 'Isolate', status: 'InProgress', m: 8, requestor: MEGAN, created: '2027-03-15T23:59:59Z' },
  { key: 'c4', type: 'RunAntiVirusScan', status: 'Pending', m: 6, requestor: ALEX, created: '2027-01-01T00:00:00Z' },
  { key: 'c5', type: 'Isolate', status: 'Succeeded', m: 9, requestor: ALEX, created: '2026-12-01T00:00:00Z' },
];

const LATE_ID = guid(100);
const idOf = new Map(ROWS.map((r, i) => [r.key, guid(i + 1)]));
const keyOf = new Map([...[...idOf].map(([k, v]) => [v, k] as const), [LATE_ID, 'late'] as const]);
const keys = (rows: readonly { id?: string; actionId?: string }[]): string[] =>
  rows.map((r) => keyOf.get(r.id ?? r.actionId ?? '') ?? '?');

function action(r: Row, overrides: Partial<MachineAction> = {}): MachineAction {
  return makeAction({
    id: idOf.get(r.key) ?? r.key,
    type: r.type,
    status: r.status,
    machineId: machine(r.m),
    computerDnsName: name(r.m),
    requestor: r.requestor,
    creationDateTimeUtc: r.created,
    lastUpdateDateTimeUtc: r.created,
    ...overrides,
  });
}

let runId = 0;
function write(store: SqliteAuditStore, items: MachineAction[]): void {
  store.applyPage({ runId: ++runId, items, quarantined: [], observedAt: NOW_ISO, backfill: false, cursor: null });
}

/**
 * Runs `before` ahead of the nth list query (1-based), to simulate ingest between the digest's
 * reads; `lists` counts the list queries.
 */
function interceptList(inner: QueryBackend, nth: number, before: () => void): QueryBackend & { lists: number } {
  return {
    name: inner.name,
    lists: 0,
    run(spec: QuerySpec) {
      if (spec.shape === 'list' && ++this.lists === nth) before();
      return inner.run(spec);
    },
    rows: (spec: QuerySpec) => inner.rows(spec),
  };
}

describe('digest/model buildDigest (SQLite)', () => {
  let store: SqliteAuditStore;
  let backend: QueryBackend;

  beforeEach(() => {
    store = openSqliteStore({ path: ':memory:' });
    write(
      store,
      ROWS.map((r) => action(r)),
    );
    backend = createSqliteQueryBackend(store);
  });
  afterEach(() => store.close());

  it('dates the digest in the local zone and states its window and instant', async () => {
    // The zone as the configuration passes it on: validated and canonical (DIGEST_TIMEZONE=europe/amsterdam).
    const d = await buildDigest(backend, {
      nowMs: NOW,
      timeZone: loadConfig({ DIGEST_TIMEZONE: 'europe/amsterdam' }).digest.timeZone,
    });
    assert.equal(d.date, '2027-03-29');
    assert.equal(d.timeZone, ZONE);
    assert.deepEqual(d.window, { from: '2027-03-28T06:00:00.000Z', to: NOW_ISO });
    assert.equal(d.now, NOW_ISO);
  });

  it('counts the last 24 hours by type, with failures and timeouts as tiles', async () => {
    const d = await buildDigest(backend, { nowMs: NOW, timeZone: ZONE });
    assert.deepEqual(d.tiles, {
      total: 5,
      byType: [
        { key: 'Isolate', count: 3 },
        { key: 'RunAntiVirusScan', count: 2 },
      ],
      failed: 1,
      timedOut: 1,
    });
  });

  it('compares the last 24 hours with the 24 hours before', async () => {
    const d = await buildDigest(backend, { nowMs: NOW, timeZone: ZONE });
    assert.deepEqual(d.trend, { current: 5, previous: 3 });
  });

  it('charts 14 UTC days oldest first, zero days included, today partial', async () => {
    const d = await buildDigest(backend, { nowMs: NOW, timeZone: ZONE });
    assert.equal(d.perDay.length, 14);
    assert.equal(d.perDay[0]?.key, '2027-03-16');
    assert.equal(d.perDay[13]?.key, '2027-03-29');
    const nonZero = Object.fromEntries(d.perDay.filter((r) => r.count > 0).map((r) => [r.key, r.count]));
    assert.deepEqual(nonZero, { '2027-03-16': 1, '2027-03-20': 1, '2027-03-27': 2, '2027-03-28': 4, '2027-03-29': 2 });
    assert.equal(d.perDay.filter((r) => r.count === 0).length, 9);
  });

  it('shares the 14 days by type', async () => {
    const d = await buildDigest(backend, { nowMs: NOW, timeZone: ZONE });
    assert.deepEqual(d.shareByType, [
      { key: 'Isolate', count: 5 },
      { key: 'RunAntiVirusScan', count: 3 },
      { key: 'StopAndQuarantineFile', count: 1 },
      { key: 'Unisolate', count: 1 },
    ]);
  });

  it('ranks requestors (case-insensitively) and devices over the last 7 days, topN rows', async () => {
    const d = await buildDigest(backend, { nowMs: NOW, timeZone: ZONE, topN: 2 });
    assert.deepEqual(d.topRequestors, [
      { key: ALEX.toLowerCase(), count: 4 },
      { key: MEGAN.toLowerCase(), count: 3 },
    ]);
    assert.deepEqual(d.topDevices, [
      { key: name(3), count: 3 },
      { key: name(1), count: 2 },
    ]);
  });

  it('lists the devices isolated now, whatever their age', async () => {
    const d = await buildDigest(backend, { nowMs: NOW, timeZone: ZONE });
    assert.deepEqual(keys(d.isolated), ['a5', 'a1', 'c3', 'c5']);
    assert.equal(d.isolated.find((r) => r.machineId === machine(1))?.since, '2027-03-28T06:00:00.0Z');
  });

  it('lists the oldest open actions oldest first, pendingN of them', async () => {
    const five = await buildDigest(backend, { nowMs: NOW, timeZone: ZONE });
    assert.deepEqual(keys(five.oldestPending), ['c4', 'c3', 'c2', 'a5', 'a4']);
    const two = await buildDigest(backend, { nowMs: NOW, timeZone: ZONE, pendingN: 2 });
    assert.deepEqual(keys(two.oldestPending), ['c4', 'c3']);
    const all = await buildDigest(backend, { nowMs: NOW, timeZone: ZONE, pendingN: 10 });
    assert.deepEqual(keys(all.oldestPending), ['c4', 'c3', 'c2', 'a5', 'a4', 'a6']);
  });

  it('still finds the oldest open actions when one older is ingested between the reads', async () => {
    const late = makeAction({
      id: LATE_ID,
      type: 'RunAntiVirusScan',
      status: 'Pending',
      creationDateTimeUtc: '2026-06-01T00:00:00Z',
      lastUpdateDateTimeUtc: '2026-06-01T00:00:00Z',
    });
    const racing = interceptList(backend, 2, () => write(store, [late]));
    const d = await buildDigest(racing, { nowMs: NOW, timeZone: ZONE });
    assert.deepEqual(keys(d.oldestPending), ['late', 'c4', 'c3', 'c2', 'a5']);
    assert.equal(racing.lists, 3);
  });

  it('still lists every open action when some finish between the reads', async () => {
    const finish = (key: string): MachineAction => {
      const row = ROWS.find((r) => r.key === key)!;
      return action(row, { status: 'Succeeded', lastUpdateDateTimeUtc: NOW_ISO });
    };
    const racing = interceptList(backend, 2, () => write(store, [finish('a4'), finish('a5')]));
    const d = await buildDigest(racing, { nowMs: NOW, timeZone: ZONE });
    assert.deepEqual(keys(d.oldestPending), ['c4', 'c3', 'c2', 'a6']);
    assert.equal(racing.lists, 3);
  });

  it('gives an empty but complete model for an empty store', async () => {
    const empty = openSqliteStore({ path: ':memory:' });
    try {
      const d = await buildDigest(createSqliteQueryBackend(empty), { nowMs: NOW, timeZone: 'UTC' });
      assert.equal(d.date, '2027-03-29');
      assert.deepEqual(d.tiles, { total: 0, byType: [], failed: 0, timedOut: 0 });
      assert.deepEqual(d.trend, { current: 0, previous: 0 });
      assert.equal(d.perDay.length, 14);
      assert.ok(d.perDay.every((r) => r.count === 0));
      assert.deepEqual(
        [d.shareByType, d.topRequestors, d.topDevices, d.isolated, d.oldestPending],
        [[], [], [], [], []],
      );
    } finally {
      empty.close();
    }
  });
});

describe('digest/model specs and helpers', () => {
  it('queries absolute UTC ranges only, labelled', async () => {
    const fake = new FakeQueryBackend();
    await buildDigest(fake, { nowMs: NOW, timeZone: ZONE });
    const ranged = fake.specs.filter((s) => s.range !== undefined);
    assert.ok(ranged.length >= 7);
    for (const s of ranged) {
      assert.deepEqual(s.range?.source, { kind: 'absolute' });
      assert.ok(s.range?.to !== undefined && s.range.label.length > 0);
    }
    const r = digestRanges(NOW);
    assert.deepEqual(
      [r.last24h, r.previous24h, r.chart, r.top].map((x) => [x.from, x.to, x.label]),
      [
        ['2027-03-28T06:00:00.000Z', NOW_ISO, 'last 24 hours'],
        ['2027-03-27T06:00:00.000Z', '2027-03-28T06:00:00.000Z', 'previous 24 hours'],
        ['2027-03-16T00:00:00.000Z', NOW_ISO, 'last 14 days (UTC)'],
        ['2027-03-22T06:00:00.000Z', NOW_ISO, 'last 7 days'],
      ],
    );
    const open = fake.specs.filter((s) => s.shape === 'list');
    assert.deepEqual(
      open.map((s) => [s.statuses, s.range, s.limit, s.offset]),
      [[['Pending', 'InProgress'], undefined, 5, 0]],
    );
  });

  it('dates the digest by the local calendar, not the UTC one', async () => {
    const late = Date.parse('2027-03-29T23:30:00Z');
    const fake = new FakeQueryBackend();
    assert.equal((await buildDigest(fake, { nowMs: late, timeZone: ZONE })).date, '2027-03-30');
    assert.equal((await buildDigest(fake, { nowMs: late, timeZone: 'UTC' })).date, '2027-03-29');
    assert.equal((await buildDigest(fake, { nowMs: late, timeZone: 'America/New_York' })).date, '2027-03-29');
  });

  it('rejects bad counts (an unknown zone never gets here: the configuration refuses it)', async () => {
    const fake = new FakeQueryBackend();
    assert.throws(() => loadConfig({ DIGEST_TIMEZONE: 'Mars/Olympus' }), /DIGEST_TIMEZONE/);
    await assert.rejects(buildDigest(fake, { nowMs: NOW, timeZone: 'UTC', topN: 0 }), /topN/);
    await assert.rejects(buildDigest(fake, { nowMs: NOW, timeZone: 'UTC', pendingN: 1.5 }), /pendingN/);
    assert.equal(fake.specs.length, 0);
  });

  it('passes a query failure on', async () => {
    const fake = new FakeQueryBackend();
    fake.fail = new Error('store is gone');
    await assert.rejects(buildDigest(fake, { nowMs: NOW, timeZone: 'UTC' }), /store is gone/);
  });

  it('fills UTC days from the range start to now', () => {
    assert.deepEqual(
      fillUtcDays([{ key: '2027-03-02', count: 4 }], '2027-03-01T00:00:00.000Z', Date.parse('2027-03-03T00:00:00Z')),
      [
        { key: '2027-03-01', count: 0 },
        { key: '2027-03-02', count: 4 },
        { key: '2027-03-03', count: 0 },
      ],
    );
  });
});
