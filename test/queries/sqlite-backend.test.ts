import assert from 'node:assert/strict';
import type { QueryBackend, QueryResult, QuerySpec } from '../../src/core/query.js';
import { UsageError } from '../../src/core/errors.js';
import { createSqliteQueryBackend } from '../../src/queries/sqlite-backend.js';
import type { SqliteAuditStore } from '../../src/store/sqlite-store.js';
import { ACTION_COUNT, ALEX, APP, datasetStore, id, M, MEGAN, range, WINDOW_360_FROM } from './dataset.js';

function ids(result: QueryResult): string[] {
  assert.equal(result.shape, 'list');
  return result.rows.map((r) => r.id);
}

function idSet(...ns: number[]): string[] {
  return ns.map(id).sort();
}

describe('queries/sqlite backend', () => {
  let store: SqliteAuditStore;
  let backend: QueryBackend;
  const run = (spec: QuerySpec) => backend.run(spec);
  const listIds = async (spec: Omit<QuerySpec, 'shape'>) => ids(await run({ shape: 'list', ...spec })).sort();

  before(() => {
    store = datasetStore();
    backend = createSqliteQueryBackend(store);
  });
  after(() => store.close());

  it('is named sqlite', () => {
    assert.equal(backend.name, 'sqlite');
  });

  describe('list', () => {
    it('returns every action newest first, with the API field names and wire timestamps', async () => {
      const r = await run({ shape: 'list' });
      assert.equal(r.shape, 'list');
      assert.equal(r.total, ACTION_COUNT);
      assert.deepEqual(
        r.rows.map((x) => x.id),
        [13, 16, 15, 5, 9, 6, 8, 7, 4, 3, 2, 1, 14, 11, 10, 12].map(id),
      );
      const one = r.rows.find((x) => x.id === id(1))!;
      assert.deepEqual(one, {
        id: id(1),
        type: 'Isolate',
        title: null,
        scope: 'Full',
        status: 'Succeeded',
        machineId: M.M1,
        computerDnsName: 'WS-042.contoso.com',
        requestor: ALEX,
        requestorComment: 'comment 1',
        requestSource: 'Portal',
        creationDateTimeUtc: '2026-11-20T08:00:00.1234567Z',
        lastUpdateDateTimeUtc: '2026-11-20T08:05:00.5Z',
        cancellationRequestor: null,
        cancellationComment: null,
        cancellationDateTimeUtc: null,
        errorHResult: 0,
        externalId: null,
      });
      assert.equal(r.rows.find((x) => x.id === id(2))!.creationDateTimeUtc, '2026-11-21T09:00:00.0Z');
    });

    it('pages with limit and offset and reports the total of every page', async () => {
      const all = ids(await run({ shape: 'list' }));
      const p1 = await run({ shape: 'list', limit: 5 });
      assert.deepEqual(ids(p1), all.slice(0, 5));
      assert.equal(p1.shape === 'list' && p1.total, ACTION_COUNT);
      const p2 = await run({ shape: 'list', limit: 5, offset: 5 });
      assert.deepEqual(ids(p2), all.slice(5, 10));
      assert.equal(p2.shape === 'list' && p2.total, ACTION_COUNT);
      const last = await run({ shape: 'list', limit: 5, offset: 15 });
      assert.deepEqual(ids(last), all.slice(15));
      assert.equal(last.shape === 'list' && last.total, ACTION_COUNT);
      const beyond = await run({ shape: 'list', limit: 5, offset: 40 });
      assert.deepEqual(ids(beyond), []);
      assert.equal(beyond.shape === 'list' && beyond.total, ACTION_COUNT);
      const exact = await run({ shape: 'list', limit: ACTION_COUNT });
      assert.equal(exact.shape === 'list' && exact.total, ACTION_COUNT);
      const zero = await run({ shape: 'list', limit: 0 });
      assert.deepEqual(ids(zero), []);
      assert.equal(zero.shape === 'list' && zero.total, ACTION_COUNT);
    });

    it('matches a short device name against the short name of every stored name, never a substring', async () => {
      const expected = idSet(1, 2, 15, 3, 4, 6, 9, 16);
      assert.deepEqual(await listIds({ device: 'ws-042' }), expected);
      assert.deepEqual(await listIds({ device: 'WS-042' }), expected);
      assert.deepEqual(await listIds({ device: '  Ws-042\t' }), expected);
      assert.deepEqual(await listIds({ device: 'ws-0421' }), idSet(7, 10, 11));
      assert.deepEqual(await listIds({ device: 'xws-042' }), idSet(8));
      assert.deepEqual(await listIds({ device: 'ws-04' }), []);
      assert.deepEqual(await listIds({ device: 'ws' }), []);
      assert.deepEqual(await listIds({ device: '' }), []);
      assert.deepEqual(await listIds({ device: 'ws-042%' }), []);
      assert.deepEqual(await listIds({ device: 'ws-04_' }), []);
    });

    it('matches an FQDN exactly (case-insensitive)', async () => {
      assert.deepEqual(await listIds({ device: 'WS-042.CONTOSO.COM' }), idSet(1, 2, 15, 4));
      assert.deepEqual(await listIds({ device: 'ws-042.fabrikam.com' }), idSet(9, 16));
      assert.deepEqual(await listIds({ device: 'ws-042.contoso' }), []);
      assert.deepEqual(await listIds({ device: 'ws-0421.contoso.com' }), idSet(7, 10, 11));
    });

    it('keeps the rows of a name shared by several machines apart by machineId', async () => {
      const r = await run({ shape: 'list', device: 'ws-042.contoso.com' });
      assert.equal(r.shape, 'list');
      assert.deepEqual([...new Set(r.rows.map((x) => x.machineId))].sort(), [M.M1, M.M2].sort());
      assert.deepEqual(await listIds({ device: 'ws-042', machineId: M.M2 }), idSet(3, 4));
      const byMachine = await run({ shape: 'countByMachine', device: 'ws-042' });
      assert.deepEqual(byMachine, {
        shape: 'countByMachine',
        rows: [
          { key: M.M1, count: 3 },
          { key: M.M2, count: 2 },
          { key: M.M6, count: 2 },
          { key: M.M3, count: 1 },
        ],
        total: 8,
        keys: 4,
      });
    });

    it('filters by machineId exactly', async () => {
      assert.deepEqual(await listIds({ machineId: M.M4 }), idSet(7, 10, 11));
      assert.deepEqual(await listIds({ machineId: M.M4.toUpperCase() }), []);
    });

    it('matches UPN requestors case-insensitively, and app GUIDs in any case', async () => {
      const alex = idSet(1, 2, 6, 9, 12, 15);
      assert.deepEqual(await listIds({ requestor: ALEX }), alex);
      assert.deepEqual(await listIds({ requestor: 'ALEX.WILBER@contoso.com' }), alex);
      const app = idSet(3, 8, 13, 16);
      assert.deepEqual(await listIds({ requestor: APP }), app);
      assert.deepEqual(await listIds({ requestor: APP.toUpperCase() }), app);
      assert.deepEqual(await listIds({ requestor: 'alex' }), []);
      assert.deepEqual(await listIds({ requestor: 'Alex.Wilber@contoso.co' }), []);
    });

    it('filters by types and statuses (IN lists, including the partial-index sets)', async () => {
      assert.deepEqual(await listIds({ types: ['Isolate'] }), idSet(1, 3, 5, 10, 12, 14));
      assert.deepEqual(await listIds({ types: ['Unisolate', 'Isolate'] }), idSet(1, 2, 3, 4, 5, 10, 11, 12, 13, 14));
      assert.deepEqual(await listIds({ types: ['Isolate', 'RunAntiVirusScan'] }), idSet(1, 3, 5, 10, 12, 14, 6, 7, 8));
      assert.deepEqual(await listIds({ statuses: ['Pending', 'InProgress'] }), idSet(5, 13, 15));
      assert.deepEqual(await listIds({ statuses: ['InProgress'] }), idSet(13, 15));
      assert.deepEqual(await listIds({ statuses: ['TimeOut', 'Failed'] }), idSet(4, 8, 14, 16));
      assert.deepEqual(await listIds({ statuses: ['Failed'] }), idSet(4, 16));
      assert.deepEqual(await listIds({ statuses: ['Cancelled', 'Failed'] }), idSet(4, 11, 16));
      assert.deepEqual(await listIds({ types: [], statuses: [] }), (await listIds({})).sort());
      assert.deepEqual(
        await listIds({ types: ['Isolate'], statuses: ['Pending', 'InProgress'], requestor: MEGAN, device: 'ws-042' }),
        [],
      );
      assert.deepEqual(
        await listIds({ types: ['Unisolate'], statuses: ['Failed', 'TimeOut'], requestor: MEGAN, device: 'ws-042' }),
        idSet(4),
      );
    });

    it('applies the 360-day window boundary to the 100 ns: from inclusive, to exclusive', async () => {
      const window = await listIds({ range: range(WINDOW_360_FROM, undefined, { kind: 'ago', days: 360 }) });
      assert.equal(window.length, ACTION_COUNT - 1);
      assert.ok(window.includes(id(10)), 'created exactly at the window start');
      assert.ok(!window.includes(id(12)), 'created 100 ns before the window start');
      assert.deepEqual(
        await listIds({ range: range('2026-11-25T10:00:00.000Z', '2026-11-27T12:00:00.000Z') }),
        idSet(3, 4, 7),
      );
      assert.deepEqual(
        await listIds({ range: range('2026-11-20T08:00:00.123Z', '2026-11-20T08:00:00.124Z') }),
        idSet(1),
      );
      assert.ok(!(await listIds({ range: range('2026-11-20T08:00:00.124Z') })).includes(id(1)));
      assert.deepEqual(await listIds({ range: range('2030-01-01T00:00:00.000Z') }), []);
    });

    it('returns an empty page and a zero total when nothing matches', async () => {
      assert.deepEqual(await run({ shape: 'list', device: 'nope', limit: 10 }), { shape: 'list', rows: [], total: 0 });
      assert.deepEqual(await run({ shape: 'list', device: 'nope', limit: 10, offset: 10 }), {
        shape: 'list',
        rows: [],
        total: 0,
      });
    });
  });

  describe('counts', () => {
    it('counts by type, largest first then by key, honouring top; total counts every action', async () => {
      const all = await run({ shape: 'countByType' });
      assert.deepEqual(all, {
        shape: 'countByType',
        rows: [
          { key: 'Isolate', count: 6 },
          { key: 'Unisolate', count: 4 },
          { key: 'RunAntiVirusScan', count: 3 },
          { key: 'CollectInvestigationPackage', count: 1 },
          { key: 'RestrictCodeExecution', count: 1 },
          { key: 'StopAndQuarantineFile', count: 1 },
        ],
        total: 16,
        keys: 6,
      });
      assert.deepEqual(await run({ shape: 'countByType', top: 2 }), {
        shape: 'countByType',
        rows: [
          { key: 'Isolate', count: 6 },
          { key: 'Unisolate', count: 4 },
        ],
        total: 16,
        keys: 6,
      });
    });

    it('counts by status within a range', async () => {
      assert.deepEqual(await run({ shape: 'countByStatus', range: range('2026-11-25T00:00:00.000Z') }), {
        shape: 'countByStatus',
        rows: [
          { key: 'Succeeded', count: 4 },
          { key: 'Failed', count: 2 },
          { key: 'InProgress', count: 2 },
          { key: 'Pending', count: 1 },
          { key: 'TimeOut', count: 1 },
        ],
        total: 10,
        keys: 5,
      });
    });

    it('counts requestors case-insensitively (lower-case keys), app GUIDs included', async () => {
      assert.deepEqual(await run({ shape: 'countByRequestor' }), {
        shape: 'countByRequestor',
        rows: [
          { key: 'alex.wilber@contoso.com', count: 6 },
          { key: 'megan.bowen@contoso.com', count: 6 },
          { key: APP, count: 4 },
        ],
        total: 16,
        keys: 3,
      });
    });

    it('counts devices by lower-case full name, with "" for actions without a name', async () => {
      assert.deepEqual(await run({ shape: 'countByDevice', top: 3 }), {
        shape: 'countByDevice',
        rows: [
          { key: 'ws-042.contoso.com', count: 4 },
          { key: 'ws-0421.contoso.com', count: 3 },
          // Ties (2 each: srv-sql-01..., ws-042, ws-042.fabrikam.com) go by key.
          { key: 'srv-sql-01.contoso.com', count: 2 },
        ],
        total: 16,
        keys: 8,
      });
      const r = await run({ shape: 'countByDevice', machineId: M.M3 });
      assert.deepEqual(r, {
        shape: 'countByDevice',
        rows: [
          { key: '', count: 1 },
          { key: 'ws-042', count: 1 },
        ],
        total: 2,
        keys: 2,
      });
    });

    it('counts by UTC day of creation, oldest first, days without actions left out', async () => {
      assert.deepEqual(
        await run({
          shape: 'countByDay',
          range: range('2026-11-25T00:00:00.000Z', '2026-11-30T12:00:00.000Z'),
          top: 1,
        }),
        {
          shape: 'countByDay',
          rows: [
            { key: '2026-11-25', count: 1 },
            { key: '2026-11-26', count: 1 },
            { key: '2026-11-27', count: 2 },
            { key: '2026-11-28', count: 2 },
            { key: '2026-11-29', count: 2 },
            { key: '2026-11-30', count: 2 },
          ],
          total: 10,
          keys: 6,
        },
      );
      const all = await run({ shape: 'countByDay' });
      assert.equal(all.shape, 'countByDay');
      assert.equal(all.total, ACTION_COUNT);
      assert.deepEqual(all.rows.slice(0, 3), [
        { key: '2025-12-05', count: 2 },
        { key: '2026-01-10', count: 1 },
        { key: '2026-11-10', count: 1 },
      ]);
      // A range that starts and ends inside days: the first and last day count only their part.
      assert.deepEqual(
        await run({ shape: 'countByDay', range: range('2025-12-05T12:00:00.000Z', '2026-11-20T08:00:00.124Z') }),
        {
          shape: 'countByDay',
          rows: [
            { key: '2025-12-05', count: 1 },
            { key: '2026-01-10', count: 1 },
            { key: '2026-11-10', count: 1 },
            { key: '2026-11-20', count: 1 },
          ],
          total: 4,
          keys: 4,
        },
      );
      assert.deepEqual(await run({ shape: 'countByDay', device: 'ws-042', requestor: APP }), {
        shape: 'countByDay',
        rows: [
          { key: '2026-11-25', count: 1 },
          { key: '2026-11-30', count: 1 },
        ],
        total: 2,
        keys: 2,
      });
    });

    it('returns no rows and a zero total when nothing matches', async () => {
      for (const shape of [
        'countByType',
        'countByStatus',
        'countByRequestor',
        'countByDevice',
        'countByMachine',
        'countByDay',
      ] as const) {
        assert.deepEqual(await run({ shape, device: 'nope' }), { shape, rows: [], total: 0 }, shape);
      }
    });
  });

  describe('isolation', () => {
    it('lists machines whose latest effective Isolate/Unisolate is an Isolate, newest first', async () => {
      const r = await run({ shape: 'isolation' });
      assert.deepEqual(r, {
        shape: 'isolation',
        rows: [
          // In-flight isolate; the action has no name yet: the machine's latest known name is shown.
          {
            machineId: M.M3,
            computerDnsName: 'ws-042',
            actionId: id(5),
            status: 'Pending',
            scope: 'Full',
            requestor: MEGAN,
            requestorComment: 'comment 5',
            since: '2026-11-29T10:00:00.0Z',
          },
          // The unisolate after it failed: still isolated; the name is the machine's latest one.
          {
            machineId: M.M2,
            computerDnsName: 'ws-042.contoso.com',
            actionId: id(3),
            status: 'Succeeded',
            scope: 'Full',
            requestor: APP,
            requestorComment: 'comment 3',
            since: '2026-11-25T10:00:00.0Z',
          },
          // The unisolate after it was cancelled.
          {
            machineId: M.M4,
            computerDnsName: 'ws-0421.contoso.com',
            actionId: id(10),
            status: 'Succeeded',
            scope: 'Full',
            requestor: MEGAN,
            requestorComment: 'comment 10',
            since: '2025-12-05T12:00:00.0Z',
          },
        ],
        total: 3,
      });
      // Not isolated: M1 (released), M7 (release in progress counts), M8 (isolate timed out).
    });

    it('returns at most `limit` devices, the newest isolations, and counts them all', async () => {
      const r = await run({ shape: 'isolation', limit: 2 });
      assert.ok(r.shape === 'isolation');
      assert.deepEqual(
        r.rows.map((x) => x.machineId),
        [M.M3, M.M2],
      );
      assert.equal(r.total, 3);
      const narrow = await run({ shape: 'isolation', limit: 2, device: 'ws-0421' });
      assert.ok(narrow.shape === 'isolation' && narrow.total === 1 && narrow.rows.length === 1);
    });

    it('narrows by device, machine, range, requestor and status', async () => {
      const machines = async (spec: Omit<QuerySpec, 'shape'>) => {
        const r = await run({ shape: 'isolation', ...spec });
        assert.equal(r.shape, 'isolation');
        return r.rows.map((x) => x.machineId);
      };
      assert.deepEqual(await machines({ device: 'ws-042' }), [M.M3, M.M2]);
      assert.deepEqual(await machines({ device: 'WS-042.contoso.com' }), [M.M2]);
      assert.deepEqual(await machines({ device: 'ws-0421' }), [M.M4]);
      assert.deepEqual(await machines({ device: 'srv-sql-01' }), []);
      assert.deepEqual(await machines({ machineId: M.M2 }), [M.M2]);
      assert.deepEqual(await machines({ machineId: M.M1 }), []);
      assert.deepEqual(
        await machines({ range: range('2026-11-23T12:00:00.000Z', undefined, { kind: 'ago', days: 7 }) }),
        [M.M3, M.M2],
      );
      assert.deepEqual(await machines({ requestor: APP.toUpperCase() }), [M.M2]);
      assert.deepEqual(await machines({ statuses: ['Pending', 'InProgress'] }), [M.M3]);
      assert.deepEqual(await machines({ types: ['RunAntiVirusScan'] }), [M.M3, M.M2, M.M4], 'types do not apply');
      assert.deepEqual(await machines({ device: 'nope' }), []);
    });
  });

  describe('one', () => {
    it('returns the action and its status history, oldest first', async () => {
      const r = await run({ shape: 'one', actionId: id(3) });
      assert.equal(r.shape, 'one');
      assert.equal(r.row?.id, id(3));
      assert.equal(r.row?.status, 'Succeeded');
      assert.equal(r.row?.lastUpdateDateTimeUtc, '2026-11-25T10:04:00.1234567Z');
      assert.deepEqual(r.history, [
        { status: 'Pending', at: '2026-11-25T10:00:00.0Z' },
        { status: 'InProgress', at: '2026-11-25T10:01:00.25Z' },
        { status: 'Succeeded', at: '2026-11-25T10:04:00.1234567Z' },
      ]);
    });

    it('finds an id typed in upper case, and answers null for an unknown id', async () => {
      const r = await run({ shape: 'one', actionId: id(7).toUpperCase() });
      assert.equal(r.shape === 'one' && r.row?.id, id(7));
      assert.deepEqual(await run({ shape: 'one', actionId: id(99) }), { shape: 'one', row: null, history: [] });
      assert.deepEqual(await run({ shape: 'one' }), { shape: 'one', row: null, history: [] });
    });
  });

  describe('errors', () => {
    it('rejects invalid numbers and timestamps with a UsageError', async () => {
      await assert.rejects(run({ shape: 'list', limit: -1 }), UsageError);
      await assert.rejects(run({ shape: 'list', offset: 1.5 }), UsageError);
      await assert.rejects(run({ shape: 'countByType', top: Number.NaN }), UsageError);
      await assert.rejects(run({ shape: 'list', range: range('yesterday') }), UsageError);
      await assert.rejects(
        run({ shape: 'list', range: range('2026-11-01T00:00:00.000Z', '2026-11-01T00:00:00+02:00') }),
        UsageError,
      );
    });
  });
});
