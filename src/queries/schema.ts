import type { MachineAction } from '../core/types.js';
import { normalizeTimestamp } from '../core/timestamps.js';

/**
 * The Log Analytics tables the bot writes and reads, in one place: the KQL compiler, the tests that
 * parse every query against these schemas, the forwarder (`toDcrRow`) and the infrastructure
 * templates all read these lists. Types use Log Analytics / Kusto names (`string`, `datetime`,
 * `long`, `real`, `guid`, `dynamic`); the table management API spells `datetime` as `dateTime`.
 */

export type LogAnalyticsType = 'string' | 'datetime' | 'long' | 'real' | 'guid' | 'dynamic';

export interface TableColumn {
  readonly name: string;
  readonly type: LogAnalyticsType;
  /** The MachineAction field the column holds, or null for a column with no such field (TimeGenerated). */
  readonly source: keyof MachineAction | null;
}

/** The DCR-backed table written through the Logs Ingestion API (schema `dcr`). */
export const DCR_TABLE = 'MDEMachineActions_CL';

/**
 * Columns of `MDEMachineActions_CL`. `id`, `type` and `title` are reserved column names in Log
 * Analytics, hence `ActionId`, `ActionType`, `ActionTitle`. One row is written per new or changed
 * version of an action, so readers keep the latest row per `ActionId`.
 */
export const DCR_COLUMNS = [
  /** = the action's `lastUpdateDateTimeUtc`: every version lands in the partition of its update time. */
  { name: 'TimeGenerated', type: 'datetime', source: null },
  { name: 'ActionId', type: 'string', source: 'id' },
  { name: 'ActionType', type: 'string', source: 'type' },
  { name: 'ActionTitle', type: 'string', source: 'title' },
  { name: 'Requestor', type: 'string', source: 'requestor' },
  { name: 'RequestorComment', type: 'string', source: 'requestorComment' },
  { name: 'Status', type: 'string', source: 'status' },
  { name: 'MachineId', type: 'string', source: 'machineId' },
  { name: 'ComputerDnsName', type: 'string', source: 'computerDnsName' },
  { name: 'CreationDateTimeUtc', type: 'datetime', source: 'creationDateTimeUtc' },
  { name: 'LastUpdateDateTimeUtc', type: 'datetime', source: 'lastUpdateDateTimeUtc' },
  { name: 'CancellationRequestor', type: 'string', source: 'cancellationRequestor' },
  { name: 'CancellationComment', type: 'string', source: 'cancellationComment' },
  { name: 'CancellationDateTimeUtc', type: 'datetime', source: 'cancellationDateTimeUtc' },
  { name: 'ErrorHResult', type: 'long', source: 'errorHResult' },
  { name: 'Scope', type: 'string', source: 'scope' },
  { name: 'ExternalId', type: 'string', source: 'externalId' },
  { name: 'RequestSource', type: 'string', source: 'requestSource' },
  { name: 'RelatedFileInfo', type: 'dynamic', source: 'relatedFileInfo' },
  { name: 'Commands', type: 'dynamic', source: 'commands' },
  { name: 'TroubleshootInfo', type: 'dynamic', source: 'troubleshootInfo' },
] as const satisfies readonly TableColumn[];

export type DcrColumnName = (typeof DCR_COLUMNS)[number]['name'];

/**
 * One row for the Logs Ingestion API. Datetime values are ISO 8601 UTC strings with 7 fractional
 * digits (Log Analytics keeps 100 ns ticks, so nothing is lost); dynamic values are the JSON values
 * themselves; missing values are null.
 */
export type DcrRow = Record<DcrColumnName, unknown>;

/** Normalised 7-digit timestamp, or the text as it is when it is not an MDE timestamp. */
function dcrDatetime(text: string | null): string | null {
  if (text === null) return null;
  return normalizeTimestamp(text) ?? text;
}

/** The DCR row for one version of an action (`TimeGenerated` = its `lastUpdateDateTimeUtc`). */
export function toDcrRow(action: MachineAction): DcrRow {
  const row = {} as Record<string, unknown>;
  for (const column of DCR_COLUMNS) {
    const source: keyof MachineAction = column.source ?? 'lastUpdateDateTimeUtc';
    const value: unknown = action[source];
    row[column.name] = column.type === 'datetime' ? dcrDatetime(value as string | null) : (value ?? null);
  }
  return row as DcrRow;
}

/** The table the legacy Logic App recipe fills through the HTTP Data Collector API (schema `legacy`). */
export const LEGACY_TABLE = 'MDATPAdminAuditLog_CL';

export interface LegacyColumn extends TableColumn {
  /**
   * True when the column may not exist: the Data Collector API creates a column only when a value
   * of that type first arrives (null values are dropped), so queries must read it through
   * `column_ifexists(name, default)`.
   */
  readonly maybeAbsent: boolean;
}

/**
 * Columns of `MDATPAdminAuditLog_CL` as the Data Collector API names them (suffix = inferred type:
 * `_s` string, `_g` GUID, `_t` datetime, `_d` double). The table holds one copy of every action per
 * Logic App run (every 8 hours); `TimeGenerated` is the ingest time of the copy (UTC), never earlier
 * than the action's creation. `requestor` lands in `requestor_s` (UPNs) or `requestor_g` (app GUIDs), and so does
 * `cancellationRequestor`.
 */
export const LEGACY_COLUMNS = [
  { name: 'TimeGenerated', type: 'datetime', source: null, maybeAbsent: false },
  { name: 'id_g', type: 'guid', source: 'id', maybeAbsent: false },
  { name: 'type_s', type: 'string', source: 'type', maybeAbsent: false },
  { name: 'title_s', type: 'string', source: 'title', maybeAbsent: true },
  { name: 'requestor_s', type: 'string', source: 'requestor', maybeAbsent: true },
  { name: 'requestor_g', type: 'guid', source: 'requestor', maybeAbsent: true },
  { name: 'requestorComment_s', type: 'string', source: 'requestorComment', maybeAbsent: true },
  { name: 'status_s', type: 'string', source: 'status', maybeAbsent: false },
  { name: 'machineId_s', type: 'string', source: 'machineId', maybeAbsent: false },
  { name: 'computerDnsName_s', type: 'string', source: 'computerDnsName', maybeAbsent: true },
  { name: 'creationDateTimeUtc_t', type: 'datetime', source: 'creationDateTimeUtc', maybeAbsent: false },
  { name: 'lastUpdateDateTimeUtc_t', type: 'datetime', source: 'lastUpdateDateTimeUtc', maybeAbsent: true },
  { name: 'cancellationRequestor_s', type: 'string', source: 'cancellationRequestor', maybeAbsent: true },
  { name: 'cancellationRequestor_g', type: 'guid', source: 'cancellationRequestor', maybeAbsent: true },
  { name: 'cancellationComment_s', type: 'string', source: 'cancellationComment', maybeAbsent: true },
  { name: 'cancellationDateTimeUtc_t', type: 'datetime', source: 'cancellationDateTimeUtc', maybeAbsent: true },
  { name: 'errorHResult_d', type: 'real', source: 'errorHResult', maybeAbsent: true },
  { name: 'scope_s', type: 'string', source: 'scope', maybeAbsent: true },
  { name: 'externalId_s', type: 'string', source: 'externalId', maybeAbsent: true },
  { name: 'requestSource_s', type: 'string', source: 'requestSource', maybeAbsent: true },
] as const satisfies readonly LegacyColumn[];

export type LegacyColumnName = (typeof LEGACY_COLUMNS)[number]['name'];

/** A table schema in Kusto's `(name:type, ...)` notation, e.g. for `.create table` or a parser. */
export function kustoSchemaText(columns: readonly TableColumn[]): string {
  return `(${columns.map((c) => `${c.name}:${c.type}`).join(', ')})`;
}
