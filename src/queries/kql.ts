import type { KqlSchema, QueryShape, QuerySpec } from '../core/query.js';
import { DCR_TABLE, LEGACY_TABLE } from './schema.js';
import {
  checkSpec,
  EFFECTIVE_ISOLATION_STATUSES,
  ISOLATION_TYPES,
  type CheckedRange,
  type CheckedSpec,
} from './spec.js';

/**
 * QuerySpec → KQL for Log Analytics, over the DCR table `MDEMachineActions_CL` (schema `dcr`) or
 * the legacy Data Collector table `MDATPAdminAuditLog_CL` (schema `legacy`).
 *
 * Shape of every query:
 * 1. `let` statements bind each user value once (`_device`, `_requestor`, `_machineId`,
 *    `_actionId`), each an escaped string literal (kqlString); the rest of the query refers to the
 *    names. The time bounds `_from`/`_to` are `ago(7d)`, `datetime(2026-01-01)` or
 *    `datetime(<ISO>)`, built from validated numbers and timestamps only.
 * 2. The base: the table, a `TimeGenerated >= _from` pre-filter (partition pruning; valid because
 *    TimeGenerated, the update time (dcr) or ingest time (legacy) of a row, is never before the
 *    action's creation), the creation-time range, a `project` to the MDE API field names (legacy
 *    columns that may not exist read through `column_ifexists`), filters on fields that never change
 *    (machineId, requestor, type), then one row per action: the latest version
 *    (`summarize arg_max(lastUpdateDateTimeUtc, *) by id` for dcr, `arg_max` of the ingest time for
 *    legacy, which stores a copy of every action every 8 hours), then filters on fields that change
 *    (status, computerDnsName).
 * 3. The shape's tail. Output columns carry the MDE API names (`id`, `type`, `status`, ...; counts
 *    `key`, `count`, `total`), so one row mapper (mapKqlRows) serves both schemas.
 *
 * No query contains an empty line (the Kusto editor would split it into separate queries).
 */

/** The KQL of one spec. `main` is what "Show query" displays: complete and runnable as it is. */
export interface KqlQueries {
  /**
   * list: the page of rows, newest first, with a `total` column (all matching actions); counts:
   * `key`, `count`, `total` (all matching actions, before `top`); isolation: IsolationRow columns;
   * one: the action's row.
   */
  main: string;
  /**
   * list and isolation: one row, column `total`. A result without rows (a page past the end, a
   * limit of 0) has no `total` column; run this query then (SQLite does the same with its count).
   */
  total?: string;
  /** one only: the status history, columns `status` and `at` (earliest update time seen with that status), oldest first. */
  history?: string;
}

/**
 * UTF-16 code units written as `\uXXXX`: C0 and C1 controls, DEL, and invisible or
 * direction-changing format characters (soft hyphen, Arabic letter mark, Mongolian vowel separator,
 * zero-width and bidi marks, line/paragraph separators, bidi embeddings and isolates, invisible
 * operators, BOM, interlinear annotation), which could make a shown query read differently from
 * what runs. Ranges are inclusive.
 */
const ESCAPED_RANGES: readonly (readonly [number, number])[] = [
  [0x0000, 0x001f],
  [0x007f, 0x009f],
  [0x00ad, 0x00ad],
  [0x061c, 0x061c],
  [0x180e, 0x180e],
  [0x200b, 0x200f],
  [0x2028, 0x202e],
  [0x2060, 0x206f],
  [0xfeff, 0xfeff],
  [0xfff9, 0xfffb],
];

function escapedAsUnicode(code: number): boolean {
  return ESCAPED_RANGES.some(([lo, hi]) => code >= lo && code <= hi);
}

/**
 * A KQL string literal whose value is exactly `value`: single quotes, with backslash escapes for
 * `\` and `'`, `\n` `\r` `\t`, and `\uXXXX` (always 4 hex digits) for other control characters,
 * invisible/bidirectional format characters and unpaired surrogates. Other characters, including
 * `"`, `|`, `//` and emoji (valid surrogate pairs), stand for themselves. The result contains no raw
 * line break, so it can never end a statement or hide text behind a comment.
 */
export function kqlString(value: string): string {
  let out = "'";
  for (let i = 0; i < value.length; i++) {
    const ch = value.charAt(i);
    const code = value.charCodeAt(i);
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < value.length && isLowSurrogate(value.charCodeAt(i + 1))) {
      out += value.slice(i, i + 2);
      i++;
    } else if ((code >= 0xd800 && code <= 0xdfff) || escapedAsUnicode(code)) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}'`;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** `'a', 'b'` for `in (...)`. */
function kqlList(values: readonly string[]): string {
  return values.map(kqlString).join(', ');
}

/** A validated normalised timestamp as a KQL datetime literal, trailing fractional zeros trimmed: `datetime(2026-11-22T12:00:00.5Z)`. */
function kqlDatetime(normalized: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.(\d{7})Z$/.exec(normalized);
  if (!m) throw new TypeError(`not a normalised timestamp: ${normalized}`);
  const frac = (m[2] ?? '').replace(/0+$/, '');
  return `datetime(${m[1]}${frac === '' ? '' : `.${frac}`}Z)`;
}

/**
 * The range start as the user said it: `ago(7d)` (so the query stays reusable in Log Analytics),
 * `datetime(YYYY-MM-DD)` for "since", else the absolute instant. Only validated digits reach the text.
 */
function kqlFrom(range: CheckedRange): string {
  const source = range.source;
  if (source.kind === 'ago' && source.hours !== undefined && Number.isInteger(source.hours) && source.hours > 0)
    return `ago(${source.hours}h)`;
  if (
    source.kind === 'ago' &&
    Number.isFinite(source.days) &&
    source.days >= 0 &&
    /^\d+(\.\d+)?$/.test(String(source.days))
  ) {
    return `ago(${String(source.days)}d)`;
  }
  // The date form only when it is the same instant as `from` (UTC midnight of that date).
  if (
    source.kind === 'since' &&
    /^\d{4}-\d{2}-\d{2}$/.test(source.date) &&
    range.from === `${source.date}T00:00:00.0000000Z`
  ) {
    return `datetime(${source.date})`;
  }
  return kqlDatetime(range.from);
}

/**
 * Output names that are also Kusto keywords must be bracketed where a bare name is expected
 * (`project ['title']`); the parser rejects a bare `title` there.
 */
const KEYWORD_NAMES: ReadonlySet<string> = new Set(['title', 'count']);

function columnRef(name: string): string {
  return KEYWORD_NAMES.has(name) ? `['${name}']` : name;
}

/** Output columns of an action, in ActionRow order. */
const ACTION_FIELDS = [
  'id',
  'type',
  'title',
  'scope',
  'status',
  'machineId',
  'computerDnsName',
  'requestor',
  'requestorComment',
  'requestSource',
  'creationDateTimeUtc',
  'lastUpdateDateTimeUtc',
  'cancellationRequestor',
  'cancellationComment',
  'cancellationDateTimeUtc',
  'errorHResult',
  'externalId',
] as const;

interface SchemaDialect {
  table: string;
  /** Column holding the creation time in the raw table (filtered before `project`). */
  creationColumn: string;
  /** `project` list: MDE field = expression over the raw table, plus the version column. */
  projection: readonly string[];
  /** The column (after projection) whose maximum marks an action's latest version. */
  versionColumn: string;
  /** Projected helper columns to drop after deduplication. */
  helperColumns: readonly string[];
  /** The history query's tail after the id filter. */
  historyProjection: readonly string[];
}

/** A string column that may not exist yet: `tostring(column_ifexists("name", ""))`. */
function maybeString(column: string): string {
  return `tostring(column_ifexists("${column}", ""))`;
}

/** A datetime column that may not exist yet. */
function maybeDatetime(column: string): string {
  return `todatetime(column_ifexists("${column}", datetime(null)))`;
}

const DIALECTS: Record<KqlSchema, SchemaDialect> = {
  dcr: {
    table: DCR_TABLE,
    creationColumn: 'CreationDateTimeUtc',
    projection: [
      'id = ActionId',
      'type = ActionType',
      'title = ActionTitle',
      'scope = Scope',
      'status = Status',
      'machineId = MachineId',
      'computerDnsName = ComputerDnsName',
      'requestor = Requestor',
      'requestorComment = RequestorComment',
      'requestSource = RequestSource',
      'creationDateTimeUtc = CreationDateTimeUtc',
      'lastUpdateDateTimeUtc = LastUpdateDateTimeUtc',
      'cancellationRequestor = CancellationRequestor',
      'cancellationComment = CancellationComment',
      'cancellationDateTimeUtc = CancellationDateTimeUtc',
      'errorHResult = ErrorHResult',
      'externalId = ExternalId',
    ],
    versionColumn: 'lastUpdateDateTimeUtc',
    helperColumns: [],
    historyProjection: ['| summarize at = min(LastUpdateDateTimeUtc) by status = Status'],
  },
  legacy: {
    table: LEGACY_TABLE,
    creationColumn: 'creationDateTimeUtc_t',
    projection: [
      // The ingest time of this copy; the latest copy is the latest known version of the action.
      '_ingested = TimeGenerated',
      'id = tostring(id_g)',
      'type = type_s',
      `title = ${maybeString('title_s')}`,
      `scope = ${maybeString('scope_s')}`,
      'status = status_s',
      'machineId = machineId_s',
      `computerDnsName = ${maybeString('computerDnsName_s')}`,
      // UPNs land in requestor_s, app GUIDs in requestor_g; either column may never have been created.
      `requestor = strcat(${maybeString('requestor_s')}, ${maybeString('requestor_g')})`,
      `requestorComment = ${maybeString('requestorComment_s')}`,
      `requestSource = ${maybeString('requestSource_s')}`,
      'creationDateTimeUtc = creationDateTimeUtc_t',
      // Without the column (never the case with the recipe's Logic App), the creation time stands in.
      `lastUpdateDateTimeUtc = coalesce(${maybeDatetime('lastUpdateDateTimeUtc_t')}, creationDateTimeUtc_t)`,
      `cancellationRequestor = strcat(${maybeString('cancellationRequestor_s')}, ${maybeString('cancellationRequestor_g')})`,
      `cancellationComment = ${maybeString('cancellationComment_s')}`,
      `cancellationDateTimeUtc = ${maybeDatetime('cancellationDateTimeUtc_t')}`,
      // A double column in the legacy table (every JSON number became `_d`).
      'errorHResult = tolong(column_ifexists("errorHResult_d", real(0)))',
      `externalId = ${maybeString('externalId_s')}`,
    ],
    versionColumn: '_ingested',
    helperColumns: ['_ingested'],
    historyProjection: [
      `| summarize at = min(coalesce(${maybeDatetime('lastUpdateDateTimeUtc_t')}, creationDateTimeUtc_t)) by status = status_s`,
    ],
  },
};

/** Collects the `let` prologue of a query: user values (escaped) and the compiler's own expressions. */
class Builder {
  readonly lets: string[] = [];
  private readonly bound = new Set<string>();

  /** Binds a user value once as `let <name> = '<escaped>';` and returns the name. */
  bind(name: string, value: string): string {
    if (!this.bound.has(name)) {
      this.bound.add(name);
      this.lets.push(`let ${name} = ${kqlString(value)};`);
    }
    return name;
  }

  /** Binds an expression the compiler wrote itself (time bounds, tabular lets). */
  letExpression(name: string, expression: string): string {
    this.lets.push(`let ${name} = ${expression};`);
    return name;
  }

  query(body: readonly string[]): string {
    return [...this.lets, ...body].join('\n');
  }
}

interface BaseOptions {
  /** Apply the creation-time range (and the TimeGenerated pre-filter). */
  range: boolean;
  /** Filters on fields that never change, applied before deduplication. */
  machineId: boolean;
  requestor: boolean;
  types: boolean;
  /** Filters on fields that change, applied after deduplication. */
  device: boolean;
  statuses: boolean;
  /** `one`: the action id (never changes). */
  actionId?: string;
}

/** The device predicate over the projected `computerDnsName` (see QuerySpec.device). */
function devicePredicate(b: Builder, c: CheckedSpec): string | undefined {
  if (c.device === undefined) return undefined;
  if (c.device.kind === 'fqdn') return `computerDnsName =~ ${b.bind('_device', c.device.full)}`;
  const name = b.bind('_device', c.device.short);
  // Short name: the whole name, or the part before the first dot (the input has no dot).
  return `isnotempty(computerDnsName) and (computerDnsName =~ ${name} or computerDnsName startswith strcat(${name}, '.'))`;
}

/** The base: one row per action (latest version) with the MDE field names. */
function base(b: Builder, schema: KqlSchema, c: CheckedSpec, use: BaseOptions): string[] {
  const d = DIALECTS[schema];
  const lines = [d.table];
  if (use.range && c.range) {
    const from = b.letExpression('_from', kqlFrom(c.range));
    lines.push(`| where TimeGenerated >= ${from}`);
    if (c.range.to === undefined) lines.push(`| where ${d.creationColumn} >= ${from}`);
    else {
      const to = b.letExpression('_to', kqlDatetime(c.range.to));
      lines.push(`| where ${d.creationColumn} >= ${from} and ${d.creationColumn} < ${to}`);
    }
  }
  lines.push(`| project ${d.projection.join(',\n    ')}`);
  const before: string[] = [];
  if (use.actionId !== undefined) before.push(`id =~ ${b.bind('_actionId', use.actionId)}`);
  if (use.machineId && c.machineId !== undefined) before.push(`machineId == ${b.bind('_machineId', c.machineId)}`);
  if (use.requestor && c.requestor !== undefined) before.push(`requestor =~ ${b.bind('_requestor', c.requestor)}`);
  if (use.types && c.types) before.push(`type in (${kqlList(c.types)})`);
  for (const p of before) lines.push(`| where ${p}`);
  lines.push(`| summarize arg_max(${d.versionColumn}, *) by id`);
  if (d.helperColumns.length > 0) lines.push(`| project-away ${d.helperColumns.join(', ')}`);
  const device = use.device ? devicePredicate(b, c) : undefined;
  if (device !== undefined) lines.push(`| where ${device}`);
  if (use.statuses && c.statuses) lines.push(`| where status in (${kqlList(c.statuses)})`);
  return lines;
}

const ALL: BaseOptions = { range: true, machineId: true, requestor: true, types: true, device: true, statuses: true };

/** Wraps a multi-line tabular expression for a `let`. */
function materialized(lines: readonly string[]): string {
  return `materialize(${lines.join('\n')})`;
}

function compileList(b: Builder, schema: KqlSchema, c: CheckedSpec): KqlQueries {
  const actions = b.letExpression('_actions', materialized(base(b, schema, c, ALL)));
  const total = b.letExpression('_total', `toscalar(${actions} | count)`);
  const order = 'creationDateTimeUtc desc, id asc';
  const body = [actions, `| sort by ${order}`];
  if (c.offset > 0) {
    // Rows offset+1 .. offset+limit of the sorted list (row_number starts at 1 on the sorted rows).
    body.push('| extend _row = row_number()');
    body.push(
      c.limit === undefined
        ? `| where _row > ${c.offset}`
        : `| where _row > ${c.offset} and _row <= ${c.offset + c.limit}`,
    );
    body.push('| project-away _row');
  } else if (c.limit !== undefined) {
    // `top` takes one sort key only; sort + take keeps the id tie-break (Kusto runs it as a top).
    body.push(`| take ${c.limit}`);
  }
  body.push(`| extend total = ${total}`);
  body.push(`| project ${[...ACTION_FIELDS, 'total'].map(columnRef).join(', ')}`);
  const main = b.query(body);
  const totalBuilder = new Builder();
  const totalQuery = totalBuilder.query([...base(totalBuilder, schema, c, ALL), '| count', '| project total = Count']);
  return { main, total: totalQuery };
}

type CountShape = Extract<QueryShape, `countBy${string}`>;

/** Group keys over the projected columns; they match the SQL keys (lower-case requestor and device, '' for no device name). */
const COUNT_KEYS: Record<CountShape, string> = {
  countByType: 'type',
  countByStatus: 'status',
  countByRequestor: 'tolower(requestor)',
  countByDevice: 'tolower(computerDnsName)',
  countByMachine: 'machineId',
  countByDay: "format_datetime(creationDateTimeUtc, 'yyyy-MM-dd')",
};

function compileCount(b: Builder, schema: KqlSchema, shape: CountShape, c: CheckedSpec): KqlQueries {
  const groups = [...base(b, schema, c, ALL), `| summarize ['count'] = count() by key = ${COUNT_KEYS[shape]}`];
  const counts = b.letExpression('_counts', materialized(groups));
  const total = b.letExpression('_total', `toscalar(${counts} | summarize sum(['count']))`);
  // `keys`: every group, before `take` (a top-25 answer says how many keys it left out).
  const keys = b.letExpression('_keys', `toscalar(${counts} | count)`);
  const body = [counts, `| extend total = ${total}, keys = ${keys}`];
  if (shape === 'countByDay') body.push('| sort by key asc');
  else {
    body.push("| sort by ['count'] desc, key asc");
    if (c.top !== undefined) body.push(`| take ${c.top}`);
  }
  body.push("| project key, ['count'], total, keys");
  return { main: b.query(body) };
}

/**
 * Devices isolated now: per machine, among Isolate/Unisolate actions that Succeeded or are still
 * Pending/InProgress, the latest by creation time; isolated when it is an Isolate. The name shown is
 * the latest non-empty name of the machine over all its actions. Device and machine filters select
 * machines; range, requestor and statuses then filter the isolating action (as in SQL).
 */
function compileIsolation(b: Builder, schema: KqlSchema, c: CheckedSpec): KqlQueries {
  const everything: BaseOptions = {
    range: false,
    machineId: true,
    requestor: false,
    types: false,
    device: false,
    statuses: false,
  };
  const actions = b.letExpression('_actions', materialized(base(b, schema, c, everything)));
  const names = b.letExpression(
    '_names',
    `${actions}\n| where isnotempty(computerDnsName)\n| summarize arg_max(creationDateTimeUtc, computerDnsName) by machineId\n| project machineId, latestName = computerDnsName`,
  );
  const body = [actions];
  const device = devicePredicate(b, c);
  if (device !== undefined) {
    const machines = b.letExpression('_machines', `${actions}\n| where ${device}\n| distinct machineId`);
    body.push(`| where machineId in (${machines})`);
  }
  body.push(
    `| where type in (${kqlList(ISOLATION_TYPES)}) and status in (${kqlList(EFFECTIVE_ISOLATION_STATUSES)})`,
    '| summarize arg_max(creationDateTimeUtc, *) by machineId',
    `| where type == 'Isolate'`,
    `| join kind=leftouter (${names}) on machineId`,
    '| project machineId, computerDnsName = iff(isnotempty(latestName), latestName, computerDnsName), actionId = id, status, scope, requestor, requestorComment, since = creationDateTimeUtc',
  );
  if (c.range) {
    const from = b.letExpression('_from', kqlFrom(c.range));
    body.push(`| where since >= ${from}`);
    if (c.range.to !== undefined) body.push(`| where since < ${b.letExpression('_to', kqlDatetime(c.range.to))}`);
  }
  if (c.requestor !== undefined) body.push(`| where requestor =~ ${b.bind('_requestor', c.requestor)}`);
  if (c.statuses) body.push(`| where status in (${kqlList(c.statuses)})`);
  // Every isolated device is counted; at most `limit` rows (the newest isolations) are returned.
  const isolated = b.letExpression('_isolated', materialized(body));
  // Written before `_total` is bound, so that it carries no unused let.
  const totalQuery = b.query([isolated, '| count', '| project total = Count']);
  const total = b.letExpression('_total', `toscalar(${isolated} | count)`);
  const out = [
    isolated,
    '| sort by since desc, machineId asc',
    ...(c.limit !== undefined ? [`| take ${c.limit}`] : []),
    `| extend total = ${total}`,
  ];
  return { main: b.query(out), total: totalQuery };
}

function compileOne(b: Builder, schema: KqlSchema, c: CheckedSpec, actionId: string): KqlQueries {
  const none: BaseOptions = {
    range: false,
    machineId: false,
    requestor: false,
    types: false,
    device: false,
    statuses: false,
    actionId,
  };
  const main = b.query([
    ...base(b, schema, c, none),
    '| take 1',
    `| project ${ACTION_FIELDS.map(columnRef).join(', ')}`,
  ]);
  const d = DIALECTS[schema];
  const hb = new Builder();
  const id = hb.bind('_actionId', actionId);
  const history = hb.query([
    d.table,
    schema === 'dcr' ? `| where ActionId =~ ${id}` : `| where tostring(id_g) =~ ${id}`,
    ...d.historyProjection,
    '| sort by at asc',
    '| project status, at',
  ]);
  return { main, history };
}

/** Compiles a spec to KQL: the shown query and, where needed, the companion total or history query. */
export function compileKqlQueries(spec: QuerySpec, schema: KqlSchema): KqlQueries {
  const c = checkSpec(spec);
  const b = new Builder();
  switch (spec.shape) {
    case 'list':
      return compileList(b, schema, c);
    case 'countByType':
    case 'countByStatus':
    case 'countByRequestor':
    case 'countByDevice':
    case 'countByMachine':
    case 'countByDay':
      return compileCount(b, schema, spec.shape, c);
    case 'isolation':
      return compileIsolation(b, schema, c);
    case 'one':
      return compileOne(b, schema, c, spec.actionId ?? '');
  }
}

/** The KQL "Show query" displays for a spec: a complete query, runnable as it is in Log Analytics. */
export function compileKql(spec: QuerySpec, schema: KqlSchema): string {
  return compileKqlQueries(spec, schema).main;
}
