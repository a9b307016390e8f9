import type { QueryShape, QuerySpec } from '../core/query.js';
import { OPEN_STATUSES } from '../core/types.js';
import { checkSpec, ISOLATION_TYPES, sameSet, subsetOf, type CheckedSpec } from './spec.js';

/**
 * QuerySpec → SQL for the SQLite store (src/store/migrations.ts). Every value from the spec is a
 * bound parameter; the SQL text is built only from the fixed fragments in this file, so it depends
 * on which filters are present (and how many types/statuses), never on their values. Timestamps in
 * the store are normalised 7-digit UTC strings, so text comparison is time comparison.
 */

export type SqlParam = string | number;

export interface SqlStatement {
  readonly sql: string;
  readonly params: readonly SqlParam[];
}

export interface CompiledSql {
  readonly shape: QueryShape;
  /**
   * The rows: ActionRow columns (`list`, `one`), `key`/`count`/`total` (count shapes; `total` is
   * the number of matching actions, before `top`), IsolationRow columns (`isolation`). Column names
   * are the MDE API / QueryResult names; timestamps are in the store's normalised form.
   */
  readonly main: SqlStatement;
  /** `list` only: one row, column `total`, the number of matching actions. */
  readonly total?: SqlStatement;
  /** `one` only: the status history (`status`, `at`), oldest first. */
  readonly history?: SqlStatement;
}

/** Statuses of the partial indexes `actions_open` and `actions_failed`, in the order the index definitions list them. */
const FAILED_STATUSES = ['Failed', 'TimeOut'] as const;

/**
 * Literal copies of the partial-index conditions. SQLite uses a partial index only when the query's
 * WHERE contains the index's condition term for term, so these are written as literals (fixed
 * strings, never user input) next to the bound-parameter filter.
 */
const OPEN_TERM = "a.status IN ('Pending', 'InProgress')";
const FAILED_TERM = "a.status IN ('Failed', 'TimeOut')";
const ISOLATION_TERM = "a.type IN ('Isolate', 'Unisolate')";

/** ActionRow columns, named as the API names them. */
const ACTION_COLUMNS = [
  'a.id AS id',
  'a.type AS type',
  'a.title AS title',
  'a.scope AS scope',
  'a.status AS status',
  'a.machine_id AS machineId',
  'a.computer_dns_name AS computerDnsName',
  'a.requestor AS requestor',
  'a.requestor_comment AS requestorComment',
  'a.request_source AS requestSource',
  'a.creation_time AS creationDateTimeUtc',
  'a.last_update_time AS lastUpdateDateTimeUtc',
  'a.cancellation_requestor AS cancellationRequestor',
  'a.cancellation_comment AS cancellationComment',
  'a.cancellation_time AS cancellationDateTimeUtc',
  'a.error_hresult AS errorHResult',
  'a.external_id AS externalId',
].join(', ');

type CountShape = Extract<QueryShape, `countBy${string}`>;

/** Group keys of the count shapes (expressions over `actions a`). */
const COUNT_KEYS: Record<Exclude<CountShape, 'countByDay'>, string> = {
  countByType: 'a.type',
  countByStatus: 'a.status',
  // Requestors case-insensitively (UPNs differ in case between portal and API; app GUIDs too).
  countByRequestor: 'lower(a.requestor)',
  // '' = no device name known (the API sends null right after creation).
  countByDevice: "coalesce(a.device_name_lc, '')",
  countByMachine: 'a.machine_id',
};

interface Where {
  terms: string[];
  params: SqlParam[];
}

function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/** `a.<column> IN (?, ...)`, plus the literal partial-index term when the values fall inside one. */
function inFilter(
  where: Where,
  column: 'type' | 'status',
  values: readonly string[],
  partials: readonly (readonly [readonly string[], string])[],
): void {
  for (const [set, term] of partials) {
    if (subsetOf(values, set)) {
      where.terms.push(term);
      if (sameSet(values, set)) return;
      break;
    }
  }
  where.terms.push(`a.${column} IN (${placeholders(values.length)})`);
  where.params.push(...values);
}

interface FilterOptions {
  range: boolean;
  device: boolean;
  machineId: boolean;
  requestor: boolean;
  types: boolean;
  statuses: boolean;
}

const ALL_FILTERS: FilterOptions = {
  range: true,
  device: true,
  machineId: true,
  requestor: true,
  types: true,
  statuses: true,
};

function buildWhere(c: CheckedSpec, use: FilterOptions): Where {
  const where: Where = { terms: [], params: [] };
  if (use.range && c.range) {
    where.terms.push('a.creation_time >= ?');
    where.params.push(c.range.from);
    if (c.range.to !== undefined) {
      where.terms.push('a.creation_time < ?');
      where.params.push(c.range.to);
    }
  }
  if (use.device && c.device) {
    // The short-name column leads the actions_device index, so an FQDN is looked up by its short name too.
    where.terms.push('a.device_short_lc = ?');
    where.params.push(c.device.short);
    if (c.device.kind === 'fqdn') {
      where.terms.push('a.device_name_lc = ?');
      where.params.push(c.device.full);
    }
  }
  if (use.machineId && c.machineId !== undefined) {
    where.terms.push('a.machine_id = ?');
    where.params.push(c.machineId);
  }
  if (use.requestor && c.requestor !== undefined) {
    // NOCASE matches the collation of actions_requestor (ASCII case folding: UPNs and GUIDs).
    where.terms.push('a.requestor = ? COLLATE NOCASE');
    where.params.push(c.requestor);
  }
  if (use.types && c.types) inFilter(where, 'type', c.types, [[ISOLATION_TYPES, ISOLATION_TERM]]);
  if (use.statuses && c.statuses)
    inFilter(where, 'status', c.statuses, [
      [OPEN_STATUSES, OPEN_TERM],
      [FAILED_STATUSES, FAILED_TERM],
    ]);
  return where;
}

function whereSql(where: Where): string {
  return where.terms.length === 0 ? '' : ` WHERE ${where.terms.join(' AND ')}`;
}

function compileList(c: CheckedSpec): CompiledSql {
  const where = buildWhere(c, ALL_FILTERS);
  // Newest first; `id` breaks ties between actions created in the same 100 ns tick.
  const sql = `SELECT ${ACTION_COLUMNS} FROM actions a${whereSql(where)} ORDER BY a.creation_time DESC, a.id LIMIT ? OFFSET ?`;
  return {
    shape: 'list',
    main: { sql, params: [...where.params, c.limit ?? -1, c.offset] },
    total: { sql: `SELECT count(*) AS total FROM actions a${whereSql(where)}`, params: where.params },
  };
}

function compileCount(shape: Exclude<CountShape, 'countByDay'>, c: CheckedSpec): CompiledSql {
  const where = buildWhere(c, ALL_FILTERS);
  // The window functions run over all groups before LIMIT: `total` counts every matching action,
  // `keys` every group (so that a top-25 answer can say how many keys it left out).
  const sql = `SELECT ${COUNT_KEYS[shape]} AS key, count(*) AS "count", sum(count(*)) OVER () AS total, count(*) OVER () AS keys FROM actions a${whereSql(where)} GROUP BY 1 ORDER BY "count" DESC, key LIMIT ?`;
  return { shape, main: { sql, params: [...where.params, c.top ?? -1] } };
}

/**
 * Counts per UTC day of creation, oldest first, days without actions left out; `top` does not
 * apply. Grouping by `substr(creation_time, 1, 10)` would sort every matching row; instead the days
 * between the first and last matching creation time are generated and each is counted with one
 * index range (covering for a range-only spec: actions_creation), about 4 times faster over a year.
 */
function compileCountByDay(c: CheckedSpec): CompiledSql {
  const where = buildWhere(c, ALL_FILTERS);
  // Inside a day the range is applied by clamping the day's bounds, so that each count is a single
  // index range (two lower bounds on one column would let SQLite seek on the wrong one).
  const inner = buildWhere(c, { ...ALL_FILTERS, range: false });
  const dayStart = "d || 'T00:00:00.0000000Z'";
  const dayEnd = "date(d, '+1 day') || 'T00:00:00.0000000Z'";
  const lower = c.range ? `max(${dayStart}, ?)` : dayStart;
  const upper = c.range?.to !== undefined ? `min(${dayEnd}, ?)` : dayEnd;
  const bounds: SqlParam[] = [];
  if (c.range) bounds.push(c.range.from);
  if (c.range?.to !== undefined) bounds.push(c.range.to);
  const and = inner.terms.length === 0 ? '' : ` AND ${inner.terms.join(' AND ')}`;
  // min and max in separate subqueries: together in one SELECT, SQLite would scan the whole range.
  // `counted` is MATERIALIZED: it is read three times below, and inlined it would count each day three times.
  const sql = `WITH RECURSIVE
  bounds(lo, hi) AS (SELECT (SELECT min(a.creation_time) FROM actions a${whereSql(where)}), (SELECT max(a.creation_time) FROM actions a${whereSql(where)})),
  days(d) AS (
    SELECT substr(lo, 1, 10) FROM bounds WHERE lo IS NOT NULL
    UNION ALL
    SELECT date(d, '+1 day') FROM days, bounds WHERE d < substr(hi, 1, 10)
  ),
  counted(key, n) AS MATERIALIZED (
    SELECT d, (SELECT count(*) FROM actions a WHERE a.creation_time >= ${lower} AND a.creation_time < ${upper}${and})
    FROM days
  )
SELECT key, n AS "count", sum(n) OVER () AS total, count(*) OVER () AS keys FROM counted WHERE n > 0 ORDER BY key`;
  return { shape: 'countByDay', main: { sql, params: [...where.params, ...where.params, ...bounds, ...inner.params] } };
}

/**
 * Devices isolated now. Per machine, the latest (by creation time, then seq) Isolate/Unisolate
 * action whose status is Succeeded, Pending or InProgress decides; the machine is isolated when
 * that action is an Isolate. The store keeps that decision per machine in `machine_isolation`
 * (updated whenever such an action is written), so this reads only the isolated machines. With a
 * device or machine filter the candidates are the machines that carried that name or id.
 *
 * Range, requestor and statuses filter the isolating action afterwards (isolations requested in the
 * range, by that requestor, in that status); `types` is ignored. The name shown is the machine's
 * latest known name.
 */
function compileIsolation(c: CheckedSpec): CompiledSql {
  const candidates = buildWhere(c, {
    range: false,
    device: true,
    machineId: true,
    requestor: false,
    types: false,
    statuses: false,
  });
  const after = buildWhere(c, {
    range: true,
    device: false,
    machineId: false,
    requestor: true,
    types: false,
    statuses: true,
  });
  const terms = [
    'mi.isolated = 1',
    ...(candidates.terms.length > 0
      ? [`mi.machine_id IN (SELECT a.machine_id FROM actions a${whereSql(candidates)})`]
      : []),
    ...after.terms,
  ];
  const sql = `SELECT a.machine_id AS machineId,
  coalesce((SELECT n.computer_dns_name FROM actions n
            WHERE n.machine_id = a.machine_id AND n.computer_dns_name IS NOT NULL
            ORDER BY n.creation_time DESC, n.seq DESC LIMIT 1), a.computer_dns_name) AS computerDnsName,
  a.id AS actionId, a.status AS status, a.scope AS scope, a.requestor AS requestor,
  a.requestor_comment AS requestorComment, a.creation_time AS since
FROM machine_isolation mi JOIN actions a ON a.seq = mi.action_seq
WHERE ${terms.join(' AND ')}
ORDER BY mi.since DESC, mi.machine_id${c.limit !== undefined ? '\nLIMIT ?' : ''}`;
  // mi.since is the isolating action's creation time: walking its partial index newest first lets
  // LIMIT stop after the rows it needs instead of joining every isolated machine first.
  const params = [...candidates.params, ...after.params];
  const total =
    after.terms.length === 0
      ? `SELECT count(*) AS total FROM machine_isolation mi WHERE ${terms.join(' AND ')}`
      : `SELECT count(*) AS total FROM machine_isolation mi JOIN actions a ON a.seq = mi.action_seq WHERE ${terms.join(' AND ')}`;
  return {
    shape: 'isolation',
    main: { sql, params: c.limit !== undefined ? [...params, c.limit] : params },
    total: { sql: total, params },
  };
}

/** One action by id: the exact id first, else its lower-case form (the API writes GUIDs in lower case). */
function compileOne(spec: QuerySpec): CompiledSql {
  const id = spec.actionId ?? '';
  const pick = 'SELECT s.seq FROM actions s WHERE s.id IN (?, ?) ORDER BY s.id = ? DESC LIMIT 1';
  const params = [id, id.toLowerCase(), id];
  return {
    shape: 'one',
    main: { sql: `SELECT ${ACTION_COLUMNS} FROM actions a WHERE a.seq = (${pick})`, params },
    history: {
      sql: `SELECT h.status AS status, h.changed_at AS at FROM action_status_history h WHERE h.action_seq = (${pick}) ORDER BY h.changed_at, h.observed_at`,
      params,
    },
  };
}

/** Compiles a spec to parameterised SQL over the store's `actions` and `action_status_history` tables. */
export function compileSql(spec: QuerySpec): CompiledSql {
  const c = checkSpec(spec);
  switch (spec.shape) {
    case 'list':
      return compileList(c);
    case 'countByType':
    case 'countByStatus':
    case 'countByRequestor':
    case 'countByDevice':
    case 'countByMachine':
      return compileCount(spec.shape, c);
    case 'countByDay':
      return compileCountByDay(c);
    case 'isolation':
      return compileIsolation(c);
    case 'one':
      return compileOne(spec);
  }
}
