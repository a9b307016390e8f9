import type { ActionRow, CountRow, IsolationRow, QueryResult, QueryShape, StatusHistoryRow } from '../core/query.js';
import { normalizeTimestamp, toWireTimestamp } from '../core/timestamps.js';

/**
 * Result rows → QueryResult, for both backends. Rows arrive as objects keyed by the MDE API field
 * names (both compilers name their output columns that way). Timestamps leave in the API's wire form
 * (UTC, `Z`, trailing fractional zeros trimmed): `2026-11-29T10:00:00.1230000Z` →
 * `2026-11-29T10:00:00.123Z`.
 */

export type ResultRow = Readonly<Record<string, unknown>>;

/**
 * A timestamp cell: a normalised store string, an ISO string from Log Analytics (any number of
 * fractional digits), or a JS Date (the Azure SDK converts datetime cells; milliseconds only).
 * Null, undefined and '' (Kusto's empty datetime) become null.
 */
export function wireTimestamp(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  const text = value instanceof Date ? (Number.isNaN(value.getTime()) ? '' : value.toISOString()) : cellText(value);
  const normalized = normalizeTimestamp(text);
  return normalized === undefined ? (text === '' ? null : text) : toWireTimestamp(normalized);
}

/** A cell as text: strings as they are, numbers and booleans in JS notation, anything else as JSON. */
function cellText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? '';
}

function requiredTimestamp(value: unknown): string {
  return wireTimestamp(value) ?? '';
}

function text(value: unknown): string {
  return value === null || value === undefined ? '' : cellText(value);
}

/**
 * A nullable string. Kusto has no null strings, so for Log Analytics rows (`emptyIsNull`) an empty
 * string stands for "not set", like null in the store; store rows keep '' as it is.
 */
function optionalText(value: unknown, emptyIsNull: boolean): string | null {
  return value === null || value === undefined || (emptyIsNull && value === '') ? null : cellText(value);
}

function num(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}

/** `emptyIsNull`: true for Log Analytics rows (see optionalText). */
export function toActionRow(r: ResultRow, emptyIsNull: boolean): ActionRow {
  return {
    id: text(r.id),
    type: text(r.type),
    title: optionalText(r.title, emptyIsNull),
    scope: optionalText(r.scope, emptyIsNull),
    status: text(r.status),
    machineId: text(r.machineId),
    computerDnsName: optionalText(r.computerDnsName, emptyIsNull),
    requestor: text(r.requestor),
    requestorComment: optionalText(r.requestorComment, emptyIsNull),
    requestSource: optionalText(r.requestSource, emptyIsNull),
    creationDateTimeUtc: requiredTimestamp(r.creationDateTimeUtc),
    lastUpdateDateTimeUtc: requiredTimestamp(r.lastUpdateDateTimeUtc),
    cancellationRequestor: optionalText(r.cancellationRequestor, emptyIsNull),
    cancellationComment: optionalText(r.cancellationComment, emptyIsNull),
    cancellationDateTimeUtc: wireTimestamp(r.cancellationDateTimeUtc),
    errorHResult: num(r.errorHResult),
    externalId: optionalText(r.externalId, emptyIsNull),
  };
}

export function toCountRow(r: ResultRow): CountRow {
  return { key: text(r.key), count: num(r.count) };
}

export function toIsolationRow(r: ResultRow, emptyIsNull: boolean): IsolationRow {
  return {
    machineId: text(r.machineId),
    computerDnsName: optionalText(r.computerDnsName, emptyIsNull),
    actionId: text(r.actionId),
    status: text(r.status),
    scope: optionalText(r.scope, emptyIsNull),
    requestor: text(r.requestor),
    requestorComment: optionalText(r.requestorComment, emptyIsNull),
    since: requiredTimestamp(r.since),
  };
}

export function toHistoryRow(r: ResultRow): StatusHistoryRow {
  return { status: text(r.status), at: requiredTimestamp(r.at) };
}

/** Extra inputs of mapKqlRows beyond the main rows. */
export interface KqlRowExtras {
  /** `list`: rows of the `total` query (one row, column `total`), when it was run. */
  totalRows?: readonly ResultRow[];
  /** `one`: rows of the `history` query. */
  historyRows?: readonly ResultRow[];
  /** `list`: the offset the page was asked for (to infer the total of a short last page). */
  offset?: number;
}

/**
 * The total of a list or count result: the `total` column of the first row when present, else the
 * separate total query, else what the rows themselves tell (a page shorter than asked ends the list).
 */
function resolveTotal(rows: readonly ResultRow[], fallback: number, extras: KqlRowExtras): number {
  const first = rows[0];
  if (first !== undefined && first.total !== undefined && first.total !== null) return num(first.total);
  const totalRow = extras.totalRows?.[0];
  if (totalRow !== undefined) return num(totalRow.total);
  return fallback;
}

/**
 * Maps Log Analytics result rows (objects keyed by column name; the KQL compiler names every output
 * column after the MDE API field, counts `key`/`count`/`total`) to the same QueryResult the SQLite
 * backend returns. Datetime cells may be JS Dates or ISO strings.
 */
export function mapKqlRows(shape: QueryShape, rows: readonly ResultRow[], extras: KqlRowExtras = {}): QueryResult {
  switch (shape) {
    case 'list':
      return {
        shape,
        rows: rows.map((r) => toActionRow(r, true)),
        total: resolveTotal(rows, (extras.offset ?? 0) + rows.length, extras),
      };
    case 'countByType':
    case 'countByStatus':
    case 'countByRequestor':
    case 'countByDevice':
    case 'countByMachine':
    case 'countByDay': {
      const counted = rows.map(toCountRow);
      const keys = rows[0]?.keys;
      return {
        shape,
        rows: counted,
        total: resolveTotal(
          rows,
          counted.reduce((s, r) => s + r.count, 0),
          extras,
        ),
        ...(keys !== undefined && keys !== null ? { keys: num(keys) } : {}),
      };
    }
    case 'isolation':
      return { shape, rows: rows.map((r) => toIsolationRow(r, true)), total: resolveTotal(rows, rows.length, extras) };
    case 'one': {
      const first = rows[0];
      return {
        shape,
        row: first === undefined ? null : toActionRow(first, true),
        history: (extras.historyRows ?? []).map(toHistoryRow),
      };
    }
  }
}
