import assert from 'node:assert/strict';
import type { QueryResult, QueryShape, QuerySpec } from '../../src/core/query.js';
import type { MachineAction } from '../../src/core/types.js';
import { compileKqlQueries } from '../../src/queries/kql.js';
import { mapKqlRows, type KqlRowExtras } from '../../src/queries/rows.js';
import { toDcrRow } from '../../src/queries/schema.js';
import { createSqliteQueryBackend } from '../../src/queries/sqlite-backend.js';
import { openSqliteStore, type SqliteAuditStore } from '../../src/store/sqlite-store.js';
import { kqlRowObjects, runKql, type KqlColumn, type KqlTable } from '../fakes/kql-engine.js';
import { ALEX, APP, datasetActions, id, M, MEGAN, NOW, range, WINDOW_360_FROM } from './dataset.js';
import { expectedColumns, WORKSPACES, type Workspace } from './kql-tables.js';
import {
  adaptPages,
  copiedStatuses,
  hasGuidRequestors,
  legacyHistory,
  legacyRecords,
  legacyRequestor,
  legacyRunTimes,
  legacyTable,
  parseSchema,
  toTable,
} from './legacy-table.js';

/**
 * The KQL the bot sends, executed by the test KQL engine over the tables Log Analytics would hold,
 * must answer exactly what the SQLite backend answers over the same actions: every query shape ×
 * a representative set of filters × every workspace variant of kql-tables.ts (the DCR table and
 * four histories of the legacy table).
 *
 * The tables are filled the way production fills them:
 * - DCR (`MDEMachineActions_CL`): one row per version the bot forwards (the store's forwarding
 *   outbox, `toDcrRow`), so earlier versions of actions 1 and 3 sit next to their final ones.
 * - Legacy (`MDATPAdminAuditLog_CL`): the recipe's Logic App posts a copy of every action (its
 *   version current at that moment) every 8 hours, `TimeGenerated` = the post time, columns
 *   named by the Data Collector's suffix rules, null properties left out (legacy-table.ts).
 */

const NOW_DATE = new Date(NOW);

// ---------------------------------------------------------------------------------------------
// The actions, version by version
// ---------------------------------------------------------------------------------------------

/**
 * Pages as the bot would read them: action 1 is first seen Pending without a device name (the API
 * sends null right after creation) and action 3 Pending then InProgress, before the final
 * versions of datasetActions(). The store and both tables are fed from these same pages.
 */
function versionPages(): MachineAction[][] {
  const final = datasetActions();
  const byN = (n: number) => final.find((a) => a.id === id(n))!;
  const one = byN(1);
  const three = byN(3);
  return [
    [
      { ...one, status: 'Pending', computerDnsName: null, lastUpdateDateTimeUtc: one.creationDateTimeUtc },
      { ...three, status: 'Pending', lastUpdateDateTimeUtc: '2026-11-25T10:00:00Z' },
    ],
    [{ ...three, status: 'InProgress', lastUpdateDateTimeUtc: '2026-11-25T10:01:00.25Z' }],
    final,
  ];
}

/** A store fed with the pages, with forwarding on: returns it and every version it forwards, in order. */
function buildStore(pages: readonly MachineAction[][]): { store: SqliteAuditStore; versions: MachineAction[] } {
  const store = openSqliteStore({ path: ':memory:' });
  store.enableForwarding(NOW);
  pages.forEach((items, i) =>
    store.applyPage({ runId: i + 1, items, quarantined: [], observedAt: NOW, backfill: false, cursor: null }),
  );
  const versions = store.pendingForward(10_000).map((f) => f.action);
  return { store, versions };
}

// ---------------------------------------------------------------------------------------------
// Workspaces: columns from kql-tables.ts, rows from the versions (legacy: legacy-table.ts)
// ---------------------------------------------------------------------------------------------

function dcrTable(columns: readonly KqlColumn[], versions: readonly MachineAction[]): KqlTable {
  return toTable(
    columns,
    versions.map((v) => toDcrRow(v)),
  );
}

/**
 * The Logic App's runs: every 8 hours at 00:02, 08:02 and 16:02 UTC from before the oldest action
 * until NOW, plus one run started by hand at 11:59 today, so that the actions created since the
 * last scheduled run (13 at 11:00, 16 at 09:00) are in the table when the comparison runs. The
 * 08:02 run of 2026-11-20 catches action 1 while it is still Pending; action 3's Pending and
 * InProgress versions (10:00 to 10:04 on 2026-11-25) fall between runs, so no copy carries them.
 */
const LEGACY_RUNS = legacyRunTimes({ first: '2025-12-01T00:02:00Z', until: NOW, extra: ['2026-11-30T11:59:00Z'] });

interface Prepared {
  ws: Workspace;
  store: SqliteAuditStore;
  tables: Record<string, KqlTable>;
  /** Legacy only: the statuses some copy of each action carried. */
  copiedStatuses: Map<string, Set<string>>;
  /** The requestor columns are typed guid (see expectedFor). */
  guidRequestors: boolean;
}

function prepare(ws: Workspace): Prepared {
  const declared = ws.tables[0]!;
  const columns = parseSchema(declared.schema);
  const pages = ws.schema === 'legacy' ? adaptPages(versionPages(), columns) : versionPages();
  const { store, versions } = buildStore(pages);
  const table = ws.schema === 'dcr' ? dcrTable(columns, versions) : legacyTable(columns, versions, LEGACY_RUNS);
  const copied =
    ws.schema === 'legacy' ? copiedStatuses(legacyRecords(versions, LEGACY_RUNS)) : new Map<string, Set<string>>();
  return {
    ws,
    store,
    tables: { [declared.name]: table },
    copiedStatuses: copied,
    guidRequestors: hasGuidRequestors(columns),
  };
}

// ---------------------------------------------------------------------------------------------
// Running a spec both ways
// ---------------------------------------------------------------------------------------------

/**
 * Runs the compiled KQL as a Log Analytics backend would: the main query; for a list page without
 * rows (past the end, or limit 0) the total query, since no row carries the `total` column; for
 * `one` with a row, the history query. Also checks the column types of every query it runs, and
 * that a list's total query agrees with the `total` column.
 */
function viaKql(p: Prepared, spec: QuerySpec): QueryResult {
  const queries = compileKqlQueries(spec, p.ws.schema);
  const run = (text: string, part: 'main' | 'total' | 'history') => {
    const result = runKql(text, p.tables, { now: NOW_DATE });
    assert.deepEqual(
      result.columns.map((c) => `${c.name}:${c.type}`),
      expectedColumns(spec.shape, part),
      `${part} columns\n${text}`,
    );
    return kqlRowObjects(result);
  };
  const rows = run(queries.main, 'main');
  const extras: KqlRowExtras = { offset: spec.offset ?? 0 };
  if (queries.total !== undefined) {
    const totalRows = run(queries.total, 'total');
    if (rows.length === 0) extras.totalRows = totalRows;
    else assert.equal(totalRows[0]?.total, rows[0]?.total, 'the total query agrees with the total column');
  }
  if (queries.history !== undefined && rows.length > 0) extras.historyRows = run(queries.history, 'history');
  return mapKqlRows(spec.shape, rows, extras);
}

/**
 * The SQLite answer, with the only differences the legacy table genuinely cannot avoid spelled out:
 * - a guid-typed `requestor_g` holds GUIDs in Kusto's canonical lower case, so an app id stored in
 *   upper case (action 8) reads back in lower case;
 * - the Logic App sees only the version current at each run, so the status history lacks the
 *   statuses no copy carried (action 3 was Pending and InProgress for four minutes between runs).
 *   The statuses it did see keep their exact times.
 */
function expectedFor(p: Prepared, sqlite: QueryResult): QueryResult {
  if (p.ws.schema !== 'legacy') return sqlite;
  const requestor = (r: string) => legacyRequestor(r, p.guidRequestors);
  switch (sqlite.shape) {
    case 'list':
      return { ...sqlite, rows: sqlite.rows.map((r) => ({ ...r, requestor: requestor(r.requestor) })) };
    case 'isolation':
      return { ...sqlite, rows: sqlite.rows.map((r) => ({ ...r, requestor: requestor(r.requestor) })) };
    case 'one': {
      if (sqlite.row === null) return sqlite;
      return {
        ...sqlite,
        row: { ...sqlite.row, requestor: requestor(sqlite.row.requestor) },
        history: legacyHistory(sqlite.history, p.copiedStatuses.get(sqlite.row.id)),
      };
    }
    default:
      return sqlite;
  }
}

// ---------------------------------------------------------------------------------------------
// Specs
// ---------------------------------------------------------------------------------------------

type Filter = Omit<QuerySpec, 'shape'>;

const AGO_7 = range('2026-11-23T12:00:00.000Z', undefined, { kind: 'ago', days: 7 });
const SINCE = range('2026-01-01T00:00:00.000Z', undefined, { kind: 'since', date: '2026-01-01' });
const ABSOLUTE = range('2026-11-22T12:00:00.000Z', '2026-11-29T00:00:00.500Z');
const AGO_WITH_TO = { ...AGO_7, to: '2026-11-30T00:00:00.000Z' };
/** The legacy workbook's window: ago(360d) from NOW is 2025-12-05T12:00:00Z (action 10 exactly, 12 is 100 ns before). */
const WINDOW_360 = range(WINDOW_360_FROM, undefined, { kind: 'ago', days: 360 });

/** Filters for every shape except `one`. */
const FILTERS: readonly Filter[] = [
  {},
  // ranges (from inclusive, to exclusive, to the 100 ns)
  { range: AGO_7 },
  { range: SINCE },
  { range: ABSOLUTE },
  { range: AGO_WITH_TO },
  { range: WINDOW_360 },
  { range: range('2025-12-05T11:59:59.9999999Z', '2025-12-05T12:00:00.0000001Z') },
  { range: range('2026-11-20T08:00:00.123Z', '2026-11-20T08:00:00.124Z') },
  { range: range('2026-11-20T08:00:00.124Z') },
  { range: range('2026-11-25T00:00:00.000Z', '2026-11-30T12:00:00.000Z') },
  { range: range('2025-12-05T12:00:00.000Z', '2026-11-20T08:00:00.124Z') },
  { range: range('2030-01-01T00:00:00.000Z') },
  // devices: short names, FQDNs, never substrings
  { device: 'ws-042' },
  { device: 'WS-042' },
  { device: '  Ws-042\t' },
  { device: 'ws-0421' },
  { device: 'xws-042' },
  { device: 'ws-04' },
  { device: '' },
  { device: 'ws-042%' },
  { device: 'srv-sql-01' },
  { device: 'WS-042.CONTOSO.COM' },
  { device: 'ws-042.fabrikam.com' },
  { device: 'ws-042.contoso' },
  { device: 'ws-0421.contoso.com' },
  { device: 'nope' },
  // machines, requestors (UPN in other case, app GUID in both cases)
  { machineId: M.M4 },
  { machineId: M.M4.toUpperCase() },
  { machineId: M.M2 },
  { requestor: ALEX },
  { requestor: 'ALEX.WILBER@contoso.com' },
  { requestor: MEGAN },
  { requestor: APP },
  { requestor: APP.toUpperCase() },
  { requestor: 'alex' },
  { requestor: "o'brien\\x" },
  // types and statuses
  { types: ['Isolate'] },
  { types: ['Unisolate', 'Isolate'] },
  { types: ['Isolate', 'RunAntiVirusScan'] },
  { statuses: ['Pending', 'InProgress'] },
  { statuses: ['InProgress'] },
  { statuses: ['Pending'] },
  { statuses: ['TimeOut', 'Failed'] },
  { statuses: ['Cancelled', 'Failed'] },
  { statuses: ['Succeeded'] },
  { types: [], statuses: [] },
  // combinations
  { device: 'ws-042', machineId: M.M2 },
  { device: 'ws-042', requestor: APP },
  { types: ['Isolate'], statuses: ['Pending', 'InProgress'], requestor: MEGAN, device: 'ws-042' },
  { types: ['Unisolate'], statuses: ['Failed', 'TimeOut'], requestor: MEGAN, device: 'ws-042' },
  { range: AGO_7, device: 'ws-042', statuses: ['Succeeded', 'Pending'] },
  { range: ABSOLUTE, requestor: 'megan.bowen@CONTOSO.com', types: ['Isolate', 'Unisolate'] },
  { range: WINDOW_360, device: 'ws-0421.contoso.com', statuses: ['Succeeded', 'Cancelled'] },
];

const LIST_PAGES: readonly Filter[] = [
  { limit: 5 },
  { limit: 5, offset: 5 },
  { limit: 5, offset: 15 },
  { limit: 5, offset: 16 },
  { limit: 5, offset: 40 },
  { limit: 16 },
  { limit: 15, offset: 1 },
  { limit: 0 },
  { offset: 5 },
  { offset: 40 },
  { limit: 10, offset: 20 },
  { device: 'ws-042', limit: 3, offset: 3 },
  { device: 'ws-042', limit: 3, offset: 6 },
  { statuses: ['Succeeded'], limit: 2, offset: 1 },
  { range: WINDOW_360, limit: 4, offset: 12 },
  { device: 'nope', limit: 10 },
  { device: 'nope', limit: 10, offset: 10 },
];

const COUNT_TOPS: readonly Filter[] = [
  { top: 0 },
  { top: 1 },
  { top: 2 },
  { top: 3 },
  { top: 5 },
  { top: 100 },
  { range: AGO_7, top: 2 },
  { device: 'ws-042', top: 1 },
];

const ISOLATION_LIMITS: readonly Filter[] = [
  { limit: 0 },
  { limit: 1 },
  { limit: 2 },
  { limit: 3 },
  { limit: 100 },
  { limit: 2, device: 'ws-0421' },
  { limit: 1, range: AGO_7 },
  { limit: 1, requestor: APP.toUpperCase() },
];

const ONE: readonly Filter[] = [
  { actionId: id(1) },
  { actionId: id(3) },
  { actionId: id(3).toUpperCase() },
  { actionId: id(5) },
  { actionId: id(7).toUpperCase() },
  { actionId: id(8) },
  { actionId: id(13) },
  { actionId: id(99) },
  { actionId: ` ${id(3)}` },
  {},
];

const COUNT_SHAPES = [
  'countByType',
  'countByStatus',
  'countByRequestor',
  'countByDevice',
  'countByMachine',
  'countByDay',
] as const;

function specsFor(shape: QueryShape): QuerySpec[] {
  const extra =
    shape === 'list' ? LIST_PAGES : shape === 'isolation' ? ISOLATION_LIMITS : shape === 'one' ? [] : COUNT_TOPS;
  const filters = shape === 'one' ? ONE : [...FILTERS, ...extra];
  return filters.map((f) => ({ shape, ...f }));
}

const SHAPES: readonly QueryShape[] = ['list', ...COUNT_SHAPES, 'isolation', 'one'];

function label(spec: QuerySpec): string {
  return JSON.stringify(spec);
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('queries/kql engine vs sqlite: the compiled KQL answers what the SQLite backend answers', function () {
  this.timeout(60_000);

  for (const ws of WORKSPACES) {
    describe(ws.label, () => {
      let p: Prepared;
      before(() => {
        p = prepare(ws);
      });
      after(() => p.store.close());

      it('holds the rows production would write', () => {
        const table = Object.values(p.tables)[0]!;
        if (ws.schema === 'dcr') {
          // 16 final versions, plus action 1 Pending and action 3 Pending and InProgress.
          assert.equal(table.rows.length, 19);
        } else {
          // Many copies per action, all carrying only the variant's columns.
          assert.ok(table.rows.length > 1000, String(table.rows.length));
        }
      });

      for (const shape of SHAPES) {
        const specs = specsFor(shape);
        it(`${shape}: ${specs.length} specs agree`, async () => {
          const sqlite = createSqliteQueryBackend(p.store);
          for (const spec of specs) {
            const expected = expectedFor(p, await sqlite.run(spec));
            let got: QueryResult;
            try {
              got = viaKql(p, spec);
            } catch (err) {
              throw new Error(`${label(spec)}: ${(err as Error).message}`, { cause: err });
            }
            assert.deepEqual(got, expected, `${ws.label}: ${label(spec)}\n${compileKqlQueries(spec, ws.schema).main}`);
          }
        });
      }
    });
  }

  it('the comparison is not vacuous: the specs see rows, pages, totals and history', () => {
    const p = prepare(WORKSPACES[0]!);
    try {
      const list = viaKql(p, { shape: 'list', limit: 5, offset: 5 });
      assert.ok(list.shape === 'list' && list.rows.length === 5 && list.total === 16);
      const beyond = viaKql(p, { shape: 'list', limit: 5, offset: 40 });
      assert.deepEqual(beyond, { shape: 'list', rows: [], total: 16 });
      const one = viaKql(p, { shape: 'one', actionId: id(3) });
      assert.ok(one.shape === 'one');
      assert.deepEqual(
        one.history.map((h) => h.status),
        ['Pending', 'InProgress', 'Succeeded'],
      );
      const first = viaKql(p, { shape: 'one', actionId: id(1) });
      assert.ok(first.shape === 'one');
      assert.equal(
        first.row?.computerDnsName,
        'WS-042.contoso.com',
        'the latest version wins over the Pending one without a name',
      );
      const isolated = viaKql(p, { shape: 'isolation' });
      assert.ok(isolated.shape === 'isolation' && isolated.total === 3);
    } finally {
      p.store.close();
    }
  });

  it('legacy: copies are deduplicated to the latest; history and GUID case are what the table can tell', () => {
    const p = prepare(WORKSPACES[1]!);
    try {
      assert.deepEqual([...(p.copiedStatuses.get(id(1)) ?? [])].sort(), ['Pending', 'Succeeded']);
      assert.deepEqual([...(p.copiedStatuses.get(id(3)) ?? [])], ['Succeeded']);
      const one = viaKql(p, { shape: 'one', actionId: id(1) });
      assert.ok(one.shape === 'one');
      assert.equal(one.row?.status, 'Succeeded');
      assert.deepEqual(one.history, [
        { status: 'Pending', at: '2026-11-20T08:00:00.1234567Z' },
        { status: 'Succeeded', at: '2026-11-20T08:05:00.5Z' },
      ]);
      // A guid column holds GUIDs in lower case: action 8's app id, requested in upper case, reads back in lower case.
      const eight = viaKql(p, { shape: 'one', actionId: id(8) });
      assert.ok(eight.shape === 'one');
      assert.equal(eight.row?.requestor, APP);
      assert.notEqual(datasetActions().find((a) => a.id === id(8))?.requestor, APP);
      const pending = viaKql(p, { shape: 'list', statuses: ['Pending'] });
      assert.ok(pending.shape === 'list');
      assert.deepEqual(
        pending.rows.map((r) => r.id),
        [id(5)],
      );
    } finally {
      p.store.close();
    }
  });

  it('runs ad hoc queries over the DCR table', () => {
    const p = prepare(WORKSPACES[0]!);
    try {
      const run = (q: string) => runKql(q, p.tables, { now: NOW_DATE });
      const byType = run('MDEMachineActions_CL | summarize count() by ActionType');
      assert.deepEqual(byType.columns, [
        { name: 'ActionType', type: 'string' },
        { name: 'count_', type: 'long' },
      ]);
      // Rows, not actions: 6 Isolate actions, action 1 in 2 versions and action 3 in 3.
      assert.deepEqual(
        byType.rows.find((r) => r[0] === 'Isolate'),
        ['Isolate', 9],
      );
      assert.equal(run('MDEMachineActions_CL | take 5').rows.length, 5);
      const isolates = run(
        "MDEMachineActions_CL | where ActionType == 'Isolate' | project ActionId, ComputerDnsName | sort by ActionId asc",
      );
      assert.deepEqual(
        isolates.rows.map((r) => r[0]),
        [id(1), id(1), id(3), id(3), id(3), id(5), id(10), id(12), id(14)],
      );
      const perDay = run(
        'MDEMachineActions_CL | summarize n = count() by bin(TimeGenerated, 1d) | sort by TimeGenerated asc | take 2',
      );
      assert.deepEqual(perDay, {
        columns: [
          { name: 'TimeGenerated', type: 'datetime' },
          { name: 'n', type: 'long' },
        ],
        rows: [
          ['2025-12-05T00:00:00.0000000Z', 2],
          ['2026-01-10T00:00:00.0000000Z', 1],
        ],
      });
    } finally {
      p.store.close();
    }
  });
});
