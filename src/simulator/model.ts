/**
 * Wire-format building blocks shared by the generator and the in-memory tenant: the 20-key
 * MachineAction literal, timestamp formatting with a chosen number of fractional digits, HRESULTs.
 * Facts follow shared/reference/mde-api.md (section 3).
 */
import type { MachineAction, RelatedFileInfo } from '../core/types.js';
import { millisToTimestamp, normalizeTimestamp, toWireTimestamp } from '../core/timestamps.js';
import type { Random } from './prng.js';

/** 0x80190198 `HTTP_E_STATUS_REQUEST_TIMEOUT`, seen on `TimeOut` actions. */
export const HRESULT_TIMEOUT = -2145844840;
/** 0x80004004 `E_ABORT`, seen on `Cancelled` actions. */
export const HRESULT_CANCELLED = -2147467260;
/**
 * HRESULTs used for `Failed` actions. The reference has no sample of a failed action, so these are
 * plausible Windows codes, not observed MDE values: E_FAIL, E_ACCESSDENIED, ERROR_TIMEOUT.
 */
export const FAILURE_HRESULTS = [-2147467259, -2147024891, -2147023436] as const;

/** Default `cancellationComment` (the reference sample's text for API cancellations). */
export const AUTOMATION_CANCEL_COMMENT = 'Machine action was canceled by automation';

export interface ActionFields {
  id: string;
  type: string;
  requestor: string;
  requestorComment: string | null;
  status: string;
  machineId: string;
  computerDnsName: string | null;
  creationDateTimeUtc: string;
  lastUpdateDateTimeUtc: string;
  cancellationRequestor?: string | null;
  cancellationComment?: string | null;
  cancellationDateTimeUtc?: string | null;
  errorHResult?: number;
  scope?: string | null;
  requestSource: string | null;
  relatedFileInfo?: RelatedFileInfo | null;
  commands?: unknown[];
}

/**
 * Builds a MachineAction with all 20 keys in the live tenant's order and explicit nulls. One object
 * literal so that every action shares a hidden class (memory and JSON speed at 1,000,000 actions).
 */
export function makeAction(f: ActionFields): MachineAction {
  return {
    id: f.id,
    type: f.type,
    title: null,
    requestor: f.requestor,
    requestorComment: f.requestorComment,
    status: f.status,
    machineId: f.machineId,
    computerDnsName: f.computerDnsName,
    creationDateTimeUtc: f.creationDateTimeUtc,
    lastUpdateDateTimeUtc: f.lastUpdateDateTimeUtc,
    cancellationRequestor: f.cancellationRequestor ?? null,
    cancellationComment: f.cancellationComment ?? null,
    cancellationDateTimeUtc: f.cancellationDateTimeUtc ?? null,
    errorHResult: f.errorHResult ?? 0,
    scope: f.scope ?? null,
    externalId: null,
    requestSource: f.requestSource,
    relatedFileInfo: f.relatedFileInfo ?? null,
    commands: f.commands ?? [],
    troubleshootInfo: null,
  };
}

/** Normalised (7-digit) timestamp → wire form, or throws (internal invariant). */
export function normalizeOrThrow(text: string): string {
  const n = normalizeTimestamp(text);
  if (n === undefined) throw new TypeError(`not an MDE timestamp: ${text}`);
  return n;
}

/**
 * The key the simulator sorts and filters a timestamp field by: the normalised 7-digit form when
 * the text is an MDE timestamp; for malformed text served verbatim in dataset mode, a best effort
 * (more than 7 fractional digits truncated), else the text itself (or '' for non-strings).
 */
export function timestampKey(text: unknown): string {
  if (typeof text !== 'string') return '';
  // Fast path for the common shape `YYYY-MM-DDTHH:MM:SS.f{1,7}Z` with plausible field values
  // (a million timestamps are keyed when a large dataset loads); anything else takes the full parser.
  const len = text.length;
  if (
    len >= 22 &&
    len <= 28 &&
    text.charCodeAt(len - 1) === 90 /* Z */ &&
    text.charCodeAt(19) === 46 /* . */ &&
    text.charCodeAt(10) === 84 /* T */ &&
    /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d+Z$/.test(text)
  ) {
    return len === 28 ? text : [text.slice(0, len - 1), '0000000'.slice(len - 21), 'Z'].join(''); // flat string, not a cons
  }
  const n = normalizeTimestamp(text);
  if (n !== undefined) return n;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.(\d{8,})Z$/.exec(text);
  return m ? `${m[1]}.${(m[2] ?? '').slice(0, 7)}Z` : text;
}

/** The instant 100 ns before a timestamp, in wire form (cancellationDateTimeUtc = lastUpdate - 100 ns). */
export function minusOneTick(text: string): string {
  const n = normalizeOrThrow(text);
  const ms = Date.parse(n.slice(0, 23) + 'Z');
  const sub = Number(n.slice(23, 27));
  return sub > 0 ? toWireTimestamp(millisToTimestamp(ms, sub - 1)) : toWireTimestamp(millisToTimestamp(ms - 1, 9999));
}

/** Digit counts of generated fractional seconds and their weights: mostly 7, every count from 1 to 7 occurs. */
const DIGIT_COUNTS = [7, 6, 5, 4, 3, 2, 1] as const;
const DIGIT_WEIGHTS = [62, 14, 8, 6, 5, 3, 2] as const;
const POW10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000] as const;
const TWO_DIGITS: readonly string[] = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

/**
 * Returns a formatter for generated timestamps: the whole UTC second containing `ms` plus a random
 * fraction with a random number of significant fractional digits (1..7, last digit non-zero), e.g.
 * `2025-04-03T10:20:00.154974Z`. The result lies in [second, second + 1 s), so callers keep events
 * at least 1 s apart when their order matters. The formatter caches date prefixes per day (bulk
 * generation) and returns flat strings (Array.join; a template literal would keep a cons-string
 * tree alive, several times the memory at a million actions).
 */
export function createTimestampFormatter(random: Random): (ms: number) => string {
  const pickDigits = random.weightedPicker(DIGIT_COUNTS, DIGIT_WEIGHTS);
  const dayPrefixes = new Map<number, string>();
  return (ms) => {
    const second = Math.floor(ms / 1000);
    const day = Math.floor(second / 86_400);
    let prefix = dayPrefixes.get(day);
    if (prefix === undefined) {
      prefix = new Date(day * 86_400_000).toISOString().slice(0, 11); // YYYY-MM-DDT
      dayPrefixes.set(day, prefix);
    }
    const inDay = second - day * 86_400;
    const digits = pickDigits();
    const lead = POW10[digits - 1] ?? 1;
    const value = random.int(0, lead - 1) * 10 + random.int(1, 9);
    return [
      prefix,
      TWO_DIGITS[Math.floor(inDay / 3600)],
      ':',
      TWO_DIGITS[Math.floor((inDay % 3600) / 60)],
      ':',
      TWO_DIGITS[inDay % 60],
      '.',
      String(value).padStart(digits, '0'),
      'Z',
    ].join('');
  };
}

/** One generated timestamp (see `createTimestampFormatter`), for occasional use. */
export function randomWireTimestamp(ms: number, random: Random): string {
  return createTimestampFormatter(random)(ms);
}
