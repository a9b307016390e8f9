import assert from 'node:assert/strict';
import type { QueryShape, QuerySpec } from '../../src/core/query.js';
import { compileSql, type SqlStatement } from '../../src/queries/sql.js';
import type { SqliteAuditStore } from '../../src/store/sqlite-store.js';
import { APP, datasetStore, M, range } from './dataset.js';

const SHAPES: readonly QueryShape[] = [
  'list',
  'countByType',
  'countByStatus',
  'countByRequestor',
  'countByDevice',
  'countByMachine',
  'countByDay',
  'isolation',
  'one',
];

function statements(spec: QuerySpec): SqlStatement[] {
  const c = compileSql(spec);
  return [c.main, ...(c.total ? [c.total] : []), ...(c.history ? [c.history] : [])];
}

describe('queries/sql compiler', () => {
  let store: SqliteAuditStore;
  before(() => {
    store = datasetStore();
  });
  after(() => store.close());

  function plan(statement: SqlStatement): string[] {
    return (
      store.db.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`).all(...statement.params) as { detail: string }[]
    ).map((r) => r.detail);
  }

  /** No step of the plan reads the actions table (any alias) without an index. */
  function assertNoFullScan(lines: string[], label: string): void {
    const full = lines.filter(
      (l) => /^SCAN (a|n|s|actions)\b/.test(l) && !/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/.test(l),
    );
    assert.deepEqual(full, [], `${label}: full scan of actions in\n${lines.join('\n')}`);
  }

  /** `index` may be one name or a regex alternation of acceptable ones (e.g. `actions_device|actions_isolation`). */
  function assertUses(spec: QuerySpec, index: string, label: string): void {
    for (const s of statements(spec)) {
      const lines = plan(s);
      assertNoFullScan(lines, label);
    }
    const lines = plan(compileSql(spec).main);
    assert.ok(
      lines.some((l) => new RegExp(`USING (COVERING )?INDEX (${index})\\b`).test(l)),
      `${label}: expected index ${index} in\n${lines.join('\n')}`,
    );
  }

  describe('index use (EXPLAIN QUERY PLAN)', () => {
    const week = range('2026-11-23T12:00:00.000Z', undefined, { kind: 'ago', days: 7 });

    it('device lists use actions_device, for short names and FQDNs', () => {
      assertUses({ shape: 'list', device: 'ws-042', limit: 11 }, 'actions_device', 'short name');
      assertUses({ shape: 'list', device: 'ws-042.contoso.com', limit: 11 }, 'actions_device', 'fqdn');
      assertUses({ shape: 'list', device: 'ws-042', range: week, limit: 11 }, 'actions_device', 'short name + range');
    });

    it('requestor lists use actions_requestor (NOCASE)', () => {
      assertUses({ shape: 'list', requestor: 'ALEX.wilber@contoso.com', limit: 11 }, 'actions_requestor', 'requestor');
      assertUses({ shape: 'list', requestor: APP, range: week, limit: 11 }, 'actions_requestor', 'requestor + range');
    });

    it('machine lists use actions_machine', () => {
      assertUses({ shape: 'list', machineId: M.M1, limit: 11 }, 'actions_machine', 'machine');
    });

    it('range-only lists and counts use actions_creation', () => {
      assertUses({ shape: 'list', range: week, limit: 11 }, 'actions_creation', 'range list');
      assertUses({ shape: 'countByType', range: week }, 'actions_creation', 'countByType');
      assertUses({ shape: 'countByDay', range: week }, 'actions_creation', 'countByDay');
      assertUses(
        { shape: 'countByDay', range: range('2026-11-23T12:00:00.000Z', '2026-11-30T00:00:00.000Z') },
        'actions_creation',
        'countByDay from/to',
      );
    });

    it('pending (Pending + InProgress, any order, or one of them) uses the partial index actions_open', () => {
      assertUses({ shape: 'list', statuses: ['Pending', 'InProgress'], limit: 11 }, 'actions_open', 'pending');
      assertUses(
        { shape: 'list', statuses: ['InProgress', 'Pending'], limit: 11 },
        'actions_open',
        'pending, other order',
      );
      assertUses({ shape: 'list', statuses: ['Pending'], limit: 11 }, 'actions_open', 'Pending only');
      assertUses({ shape: 'countByType', statuses: ['Pending', 'InProgress'] }, 'actions_open', 'pending counts');
    });

    it('failed (Failed + TimeOut) uses the partial index actions_failed', () => {
      assertUses({ shape: 'list', statuses: ['Failed', 'TimeOut'], limit: 11 }, 'actions_failed', 'failed');
      assertUses(
        { shape: 'list', statuses: ['TimeOut', 'Failed'], range: week, limit: 11 },
        'actions_failed',
        'failed + range',
      );
    });

    it('isolation reads the per-machine isolation state, with and without a device', () => {
      assertUses({ shape: 'isolation' }, 'machine_isolation_isolated', 'isolation');
      // With a device, starting from the device's few rows is as good (SQLite may pick either).
      assertUses({ shape: 'isolation', device: 'ws-042' }, 'actions_isolation|actions_device', 'isolation by device');
      assertUses({ shape: 'isolation', machineId: M.M2 }, 'actions_isolation|actions_machine', 'isolation by machine');
      assertUses(
        { shape: 'list', types: ['Isolate', 'Unisolate'], machineId: M.M2 },
        'actions_isolation|actions_machine',
        'isolation actions of a machine',
      );
    });

    it('one action by id uses the unique index on id', () => {
      assertUses(
        { shape: 'one', actionId: '00000000-0000-4000-8000-000000000003' },
        'sqlite_autoindex_actions_1',
        'one',
      );
    });
  });

  describe('parameters', () => {
    it('keeps every value out of the SQL text', () => {
      const spec: QuerySpec = {
        shape: 'list',
        device: 'DEVICE-VALUE.example',
        machineId: 'MACHINE-VALUE',
        requestor: 'REQUESTOR-VALUE',
        types: ['TYPE-VALUE'],
        statuses: ['STATUS-VALUE'],
        actionId: 'ACTION-VALUE',
        range: range('2026-01-02T03:04:05.678Z', '2026-02-03T04:05:06.789Z'),
        limit: 12345,
        offset: 67890,
        top: 24680,
      };
      for (const shape of SHAPES) {
        for (const s of statements({ ...spec, shape })) {
          assert.doesNotMatch(s.sql, /VALUE|2026|12345|67890|24680/i, `${shape}: ${s.sql}`);
        }
      }
      const list = compileSql(spec);
      assert.deepEqual(list.main.params, [
        '2026-01-02T03:04:05.6780000Z',
        '2026-02-03T04:05:06.7890000Z',
        'device-value',
        'device-value.example',
        'MACHINE-VALUE',
        'REQUESTOR-VALUE',
        'TYPE-VALUE',
        'STATUS-VALUE',
        12345,
        67890,
      ]);
    });

    it('writes the partial-index conditions as fixed literals only for the known sets', () => {
      assert.match(
        compileSql({ shape: 'list', statuses: ['InProgress', 'Pending'] }).main.sql,
        /a\.status IN \('Pending', 'InProgress'\)/,
      );
      assert.deepEqual(compileSql({ shape: 'list', statuses: ['InProgress', 'Pending'] }).main.params, [-1, 0]);
      assert.deepEqual(compileSql({ shape: 'list', statuses: ['Pending'] }).main.params, ['Pending', -1, 0]);
      assert.doesNotMatch(compileSql({ shape: 'list', statuses: ['Pending', 'Succeeded'] }).main.sql, /'Pending'/);
      assert.match(
        compileSql({ shape: 'list', types: ['Unisolate', 'Isolate'] }).main.sql,
        /a\.type IN \('Isolate', 'Unisolate'\)/,
      );
    });

    it('produces a statement for every shape that SQLite accepts', () => {
      for (const shape of SHAPES) {
        for (const spec of [
          { shape },
          {
            shape,
            device: 'x',
            requestor: 'y',
            machineId: 'z',
            types: ['a', 'b'],
            statuses: ['c'],
            range: range('2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z'),
            limit: 1,
            offset: 1,
            top: 1,
          },
        ]) {
          for (const s of statements(spec))
            assert.doesNotThrow(() => store.db.prepare(s.sql).all(...s.params), `${shape}: ${s.sql}`);
        }
      }
    });
  });
});
