import type { StatusHistoryRow } from '../../src/core/query.js';
import { normalizeTimestamp } from '../../src/core/timestamps.js';
import type { MachineAction } from '../../src/core/types.js';
import { LEGACY_COLUMNS } from '../../src/queries/schema.js';
import { isKqlType, kqlValue, type KqlColumn, type KqlTable } from '../fakes/kql-engine.js';

/**
 * The legacy table `MDATPAdminAuditLog_CL` as the recipe's Logic App fills it, for the tests that
 * run the bot's legacy KQL over it (test/queries/kql-engine.test.ts,
 * test/loganalytics/legacy-e2e.test.ts): the Logic App posts a copy of every action (its version
 * current at that moment) every 8 hours through the HTTP Data Collector API, `TimeGenerated` = the
 * post time, columns named by the Data Collector's suffix rules (`_s`, `_g`, `_t`, `_d`), null
 * properties left out. A variant of the table (kql-tables.ts) lacks a column exactly when no copy
 * ever carried a value for it; `adaptPages` adapts the actions to such a history.
 *
 * Also here, so that both tests spell them out the same way: the two differences from the SQLite
 * answers the legacy table genuinely cannot avoid (`legacyRequestor`, `legacyHistory`).
 */

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const EIGHT_HOURS_MS = 8 * 3_600_000;

function ts(text: string): string {
  const n = normalizeTimestamp(text);
  if (n === undefined) throw new TypeError(`not a timestamp: ${text}`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Tables from declared columns
// ---------------------------------------------------------------------------------------------

/** `(a:string, b:datetime)` (kustoSchemaText) → columns. */
export function parseSchema(text: string): KqlColumn[] {
  return text
    .replace(/^\(|\)$/g, '')
    .split(',')
    .map((part) => {
      const [name = '', type = ''] = part.trim().split(':');
      if (!isKqlType(type)) throw new TypeError(`unknown column type ${type}`);
      return { name, type };
    });
}

/** A table of the columns, one row per record (keyed by column name; missing keys are null). */
export function toTable(columns: readonly KqlColumn[], records: readonly Record<string, unknown>[]): KqlTable {
  return { columns: [...columns], rows: records.map((r) => columns.map((c) => kqlValue(c.type, r[c.name]))) };
}

// ---------------------------------------------------------------------------------------------
// The Logic App's runs and copies
// ---------------------------------------------------------------------------------------------

export interface LegacyRunSchedule {
  /** The first scheduled run (ISO); the next ones follow every 8 hours. */
  first: string;
  /** The last instant a scheduled run may take place (ISO or epoch ms): "now" of the test. */
  until: string | number;
  /** Runs started by hand (ISO), e.g. just before the comparison so that recent actions are in. */
  extra?: readonly string[];
}

/** The Logic App's run times (normalised timestamps, sorted): every 8 hours from `first` until `until`, plus `extra`. */
export function legacyRunTimes(schedule: LegacyRunSchedule): string[] {
  const runs: string[] = [];
  const end = typeof schedule.until === 'number' ? schedule.until : Date.parse(schedule.until);
  for (let t = Date.parse(schedule.first); t <= end; t += EIGHT_HOURS_MS) runs.push(ts(new Date(t).toISOString()));
  for (const run of schedule.extra ?? []) runs.push(ts(run));
  return runs.sort();
}

/**
 * One Data Collector record of a version: every non-null field under its suffixed column. Fields
 * that come in two columns (`requestor`, `cancellationRequestor`) go to `_g` when the value looks
 * like a GUID (app ids), else to `_s`.
 */
export function legacyRecord(version: MachineAction, ingestedAt: string): Record<string, unknown> {
  const record: Record<string, unknown> = { TimeGenerated: ingestedAt };
  for (const column of LEGACY_COLUMNS) {
    if (column.source === null) continue;
    const value = version[column.source];
    if (value === null) continue;
    const paired = LEGACY_COLUMNS.some((other) => other !== column && other.source === column.source);
    if (paired && column.name.endsWith('_g') !== (typeof value === 'string' && GUID.test(value))) continue;
    record[column.name] = value;
  }
  return record;
}

/**
 * The copies the Logic App posted: at each run, the version of every created action current at
 * that moment. `versions` are in the order the bot saw them (a later version of an action after
 * an earlier one).
 */
export function legacyRecords(versions: readonly MachineAction[], runs: readonly string[]): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  for (const run of runs) {
    const current = new Map<string, MachineAction>();
    for (const v of versions) {
      if (ts(v.creationDateTimeUtc) <= run && ts(v.lastUpdateDateTimeUtc) <= run) current.set(v.id, v);
    }
    for (const v of current.values()) records.push(legacyRecord(v, run));
  }
  return records;
}

/**
 * What the KQL substitutes for a column the table lacks (src/queries/kql.ts, legacy dialect); a
 * record may only lose a column's value when it equals that substitute (checked in legacyTable).
 */
function substituteOf(column: string, record: Record<string, unknown>): unknown {
  if (column === 'lastUpdateDateTimeUtc_t') return record.creationDateTimeUtc_t;
  if (column === 'errorHResult_d') return 0;
  return undefined;
}

/**
 * The table of the copies with the variant's columns. Throws when a copy carries a value for a
 * column the variant lacks (the Data Collector would have created the column): adapt the actions
 * first (adaptPages).
 */
export function legacyTableOf(columns: readonly KqlColumn[], records: readonly Record<string, unknown>[]): KqlTable {
  const names = new Set(columns.map((c) => c.name));
  for (const r of records) {
    for (const [key, value] of Object.entries(r)) {
      if (!names.has(key) && value !== '' && value !== substituteOf(key, r)) {
        throw new Error(`the workspace variant has no column ${key}, but a copy carries ${JSON.stringify(value)}`);
      }
    }
  }
  return toTable(columns, records);
}

/** The legacy table the Logic App's `runs` wrote from the versions. */
export function legacyTable(
  columns: readonly KqlColumn[],
  versions: readonly MachineAction[],
  runs: readonly string[],
): KqlTable {
  return legacyTableOf(columns, legacyRecords(versions, runs));
}

/**
 * The actions a workspace variant can have received. A legacy table lacks a column exactly when no
 * copy ever carried a value for it, so the actions are adapted to that history:
 * - without `requestor_g` (but with `requestor_s`): no app ever requested an action, so the
 *   app-requested actions are left out;
 * - without a field's column otherwise: the field is empty (null; requestor '', errorHResult 0, the
 *   values the KQL substitutes); without `lastUpdateDateTimeUtc_t` every action has a single
 *   version whose update time is its creation time (what the KQL falls back to): only the last page
 *   is kept, so it must hold every action's final version.
 * The "without any maybe-absent column" variant is therefore synthetic (MDE always sends a
 * requestor and an errorHResult); it checks that the queries run and agree on what remains.
 */
export function adaptPages(pages: readonly MachineAction[][], columns: readonly KqlColumn[]): MachineAction[][] {
  const has = (name: string) => columns.some((c) => c.name === name);
  const absentNames = LEGACY_COLUMNS.filter((c) => c.maybeAbsent && !has(c.name));
  const absent = (field: keyof MachineAction) =>
    LEGACY_COLUMNS.filter((c) => c.source === field).every((c) => absentNames.includes(c));
  const adapt = (a: MachineAction): MachineAction | null => {
    if (!has('requestor_g') && has('requestor_s') && GUID.test(a.requestor)) return null;
    const out: MachineAction = { ...a };
    if (absent('requestor')) out.requestor = '';
    if (absent('lastUpdateDateTimeUtc')) out.lastUpdateDateTimeUtc = a.creationDateTimeUtc;
    if (absent('errorHResult')) out.errorHResult = 0;
    for (const field of [
      'title',
      'requestorComment',
      'computerDnsName',
      'cancellationRequestor',
      'cancellationComment',
      'cancellationDateTimeUtc',
      'scope',
      'externalId',
      'requestSource',
    ] as const) {
      if (absent(field)) out[field] = null;
    }
    return out;
  };
  const source = absent('lastUpdateDateTimeUtc') ? pages.slice(-1) : pages;
  return source.map((page) => page.map(adapt).filter((a): a is MachineAction => a !== null));
}

/** Per action id (as the copies carry it), the statuses some copy carried. */
export function copiedStatuses(records: readonly Record<string, unknown>[]): Map<string, Set<string>> {
  const seen = new Map<string, Set<string>>();
  for (const r of records) {
    const key = String(r.id_g);
    const set = seen.get(key) ?? new Set<string>();
    set.add(String(r.status_s));
    seen.set(key, set);
  }
  return seen;
}

/** The variant's requestor columns are typed guid (as the Data Collector API creates `_g` columns). */
export function hasGuidRequestors(columns: readonly KqlColumn[]): boolean {
  return columns.some((c) => c.name === 'requestor_g' && c.type === 'guid');
}

// ---------------------------------------------------------------------------------------------
// The differences the legacy table cannot avoid
// ---------------------------------------------------------------------------------------------

/**
 * A requestor as the legacy table gives it back: a guid-typed `requestor_g` holds GUIDs in Kusto's
 * canonical lower case, so an app id stored in upper case reads back in lower case.
 */
export function legacyRequestor(requestor: string, guidRequestors: boolean): string {
  return guidRequestors && GUID.test(requestor) ? requestor.toLowerCase() : requestor;
}

/**
 * An action's status history as the legacy table can tell it: the Logic App sees only the version
 * current at each run, so the statuses no copy carried are missing. The statuses it did see keep
 * their exact times (each copy carries its version's `lastUpdateDateTimeUtc`), provided the first
 * version with a status is the one copied, as in both tests' data. (Were a status's first version
 * missed and a later version with the same status copied, the KQL would date the status at that
 * later update: a third difference, not modelled here.)
 */
export function legacyHistory(
  history: readonly StatusHistoryRow[],
  seen: ReadonlySet<string> | undefined,
): StatusHistoryRow[] {
  return history.filter((h) => seen?.has(h.status) ?? false);
}
