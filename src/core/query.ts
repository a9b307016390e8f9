/**
 * The query model shared by commands (which build specs), queries (which compile and run them on
 * SQLite or Log Analytics), digest and cards (which render results). A QuerySpec says *what*; the
 * compilers in src/queries say *how*. User text only ever reaches a query as a value in a spec, and
 * compilers turn values into bound parameters (SQL) or escaped string literals (KQL), never into
 * query text.
 */

/** A time range on the action's creation time. `from` inclusive, `to` exclusive; UTC. */
export interface TimeRange {
  /** ISO 8601 UTC (e.g. `2026-11-22T12:00:00.000Z`). */
  from: string;
  /** ISO 8601 UTC; absent means "until now". */
  to?: string;
  /**
   * How the user said it, kept so that KQL can say `ago(7d)` (reusable in Log Analytics) instead of
   * a fixed datetime: `{ kind: 'ago', days }` (with `hours` when said in hours that are not whole
   * days: `ago(36h)`) or `{ kind: 'since', date: 'YYYY-MM-DD' }`.
   */
  source: { kind: 'ago'; days: number; hours?: number } | { kind: 'since'; date: string } | { kind: 'absolute' };
  /** Human label: "last 7 days", "since 2026-01-01". */
  label: string;
}

export type QueryShape =
  /** Action rows, newest first, paged by limit/offset. */
  | 'list'
  | 'countByType'
  | 'countByStatus'
  | 'countByRequestor'
  | 'countByDevice'
  /**
   * Counts per machine id (key = machineId). With a device filter it tells whether several
   * machines carry the name (re-imaged or renamed devices).
   */
  | 'countByMachine'
  /** Counts per UTC day of creation. */
  | 'countByDay'
  /**
   * Devices isolated now: per machine, the latest Isolate/Unisolate action is an Isolate that
   * succeeded or is still in flight (Pending, InProgress).
   */
  | 'isolation'
  /** One action by id, with its status history when the backend has it. */
  | 'one';

export interface QuerySpec {
  shape: QueryShape;
  range?: TimeRange;
  /**
   * Device name as typed: a short name (`ws-042`) matches the short name of any FQDN
   * (`WS-042.contoso.com`) or a bare name; an FQDN matches exactly. Case-insensitive; never a
   * substring match.
   */
  device?: string;
  machineId?: string;
  /** A UPN (matched case-insensitively) or an app GUID. */
  requestor?: string;
  types?: readonly string[];
  statuses?: readonly string[];
  actionId?: string;
  /** For 'list' and 'isolation': at most this many rows (the result's `total` counts them all). */
  limit?: number;
  offset?: number;
  /** For count shapes: at most this many keys, largest counts first. */
  top?: number;
}

/** One action as the chat results show it (MDE API field names). */
export interface ActionRow {
  id: string;
  type: string;
  title: string | null;
  scope: string | null;
  status: string;
  machineId: string;
  computerDnsName: string | null;
  requestor: string;
  requestorComment: string | null;
  requestSource: string | null;
  creationDateTimeUtc: string;
  lastUpdateDateTimeUtc: string;
  cancellationRequestor: string | null;
  cancellationComment: string | null;
  cancellationDateTimeUtc: string | null;
  errorHResult: number;
  externalId: string | null;
}

export interface CountRow {
  key: string;
  count: number;
}

/** A device isolated now. */
export interface IsolationRow {
  machineId: string;
  computerDnsName: string | null;
  /** The isolating action. */
  actionId: string;
  status: string;
  scope: string | null;
  requestor: string;
  requestorComment: string | null;
  /** When the isolation was requested (`creationDateTimeUtc` of the action). */
  since: string;
}

export interface StatusHistoryRow {
  status: string;
  /** The action's `lastUpdateDateTimeUtc` of the version that carried this status. */
  at: string;
}

export type QueryResult =
  | { shape: 'list'; rows: ActionRow[]; total: number }
  /** `keys`: how many keys match, before `top` (undefined when the backend did not say). */
  | {
      shape: 'countByType' | 'countByStatus' | 'countByRequestor' | 'countByDevice' | 'countByMachine' | 'countByDay';
      rows: CountRow[];
      total: number;
      keys?: number;
    }
  /** `total`: isolated devices matching, before `limit` (newest isolations first). */
  | { shape: 'isolation'; rows: IsolationRow[]; total: number }
  | { shape: 'one'; row: ActionRow | null; history: StatusHistoryRow[] };

/** One row of an evidence export: an action, a count or an isolated device, as in QueryResult. */
export type ExportRow = ActionRow | CountRow | IsolationRow;

/** Runs specs against a store: SQLite (local) or Log Analytics (KQL). */
export interface QueryBackend {
  readonly name: 'sqlite' | 'log-analytics';
  run(spec: QuerySpec): Promise<QueryResult>;
  /**
   * Every row of a list, count or isolation spec, one at a time, for evidence exports: the spec
   * as given (pass it through `exportSpec` for no page and no top). SQLite reads them from a cursor
   * (bounded memory at any store size); Log Analytics returns them in one response, within the
   * query API's limits (a cut result fails as LOG_ANALYTICS_PARTIAL, never silently short).
   */
  rows(spec: QuerySpec): AsyncIterable<ExportRow>;
}

/** Whether an export of `spec` differs from its chat answer: a page of a list, or only the top keys. */
export function isCutSpec(spec: QuerySpec): boolean {
  return spec.shape === 'list' || spec.shape === 'isolation' || spec.top !== undefined;
}

/** The spec of an evidence export: every matching row (no limit, offset or top). */
export function exportSpec(spec: QuerySpec): QuerySpec {
  const { limit: _limit, offset: _offset, top: _top, ...rest } = spec;
  return rest;
}

/** The Log Analytics table a KQL query reads. */
export type KqlSchema = 'dcr' | 'legacy';

/** The rows of one KQL query, each an object keyed by column name, with the column types. */
export interface KqlRows {
  columns: { name: string; type: string }[];
  rows: Record<string, unknown>[];
}

/**
 * Runs KQL text against a Log Analytics workspace. `from` (ISO 8601 UTC) is the earliest
 * TimeGenerated the query needs; absent means the whole retention.
 */
export interface KqlRunner {
  run(query: string, options?: { from?: string; signal?: AbortSignal }): Promise<KqlRows>;
}
