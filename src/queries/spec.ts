import { UsageError } from '../core/errors.js';
import type { QuerySpec, TimeRange } from '../core/query.js';
import { normalizeTimestamp } from '../core/timestamps.js';

/**
 * Checks and normalises the parts of a QuerySpec that both compilers share, so that SQL and KQL
 * read the same filters the same way. User text stays as it is (it only ever becomes a bound
 * parameter or an escaped string literal); numbers and timestamps are validated here because KQL
 * writes them into the query text.
 */

/** The statuses that make a machine isolated or released: a Failed, TimeOut or Cancelled action changes nothing. */
export const EFFECTIVE_ISOLATION_STATUSES = ['Succeeded', 'Pending', 'InProgress'] as const;
export const ISOLATION_TYPES = ['Isolate', 'Unisolate'] as const;

/** How a device name is matched (see QuerySpec.device). */
export type DeviceMatch =
  /** The input had a dot: the stored full name must equal `full` (both lower case). */
  | { kind: 'fqdn'; full: string; short: string }
  /** No dot: the stored name's short name (before the first dot) must equal `short` (both lower case). */
  | { kind: 'short'; short: string };

/** Trims and lower-cases a device name as typed and decides how it matches. Never a substring match. */
export function deviceMatch(input: string): DeviceMatch {
  const full = input.trim().toLowerCase();
  const dot = full.indexOf('.');
  return dot === -1 ? { kind: 'short', short: full } : { kind: 'fqdn', full, short: full.slice(0, dot) };
}

/** A validated time range: bounds as normalised 7-digit UTC timestamps (`from` inclusive, `to` exclusive). */
export interface CheckedRange {
  from: string;
  to: string | undefined;
  source: TimeRange['source'];
}

export interface CheckedSpec {
  range: CheckedRange | undefined;
  device: DeviceMatch | undefined;
  machineId: string | undefined;
  requestor: string | undefined;
  /** Undefined when absent or empty: no filter. */
  types: readonly string[] | undefined;
  statuses: readonly string[] | undefined;
  limit: number | undefined;
  offset: number;
  top: number | undefined;
}

function checkCount(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < 0)
    throw new UsageError(`${name} must be a whole number ≥ 0, not ${String(value)}.`);
  return value;
}

function checkTimestamp(text: string, name: string): string {
  const normalized = normalizeTimestamp(text);
  if (normalized === undefined)
    throw new UsageError(`The time range ${name} "${text}" is not an ISO 8601 UTC timestamp.`);
  return normalized;
}

function nonEmpty(list: readonly string[] | undefined): readonly string[] | undefined {
  return list === undefined || list.length === 0 ? undefined : [...new Set(list)];
}

/** Validates a spec; throws UsageError for values no query can express (negative limit, bad timestamp). */
export function checkSpec(spec: QuerySpec): CheckedSpec {
  let range: CheckedRange | undefined;
  if (spec.range !== undefined) {
    const from = checkTimestamp(spec.range.from, 'start');
    const to = spec.range.to === undefined ? undefined : checkTimestamp(spec.range.to, 'end');
    range = { from, to, source: spec.range.source };
  }
  return {
    range,
    device: spec.device === undefined ? undefined : deviceMatch(spec.device),
    machineId: spec.machineId,
    requestor: spec.requestor,
    types: nonEmpty(spec.types),
    statuses: nonEmpty(spec.statuses),
    limit: checkCount(spec.limit, 'limit'),
    offset: checkCount(spec.offset, 'offset') ?? 0,
    top: checkCount(spec.top, 'top'),
  };
}

/** True when the two lists hold the same strings, in any order. */
export function sameSet(list: readonly string[], expected: readonly string[]): boolean {
  const set = new Set(list);
  return set.size === expected.length && expected.every((x) => set.has(x));
}

/** True when every string of the list is one of `allowed`. */
export function subsetOf(list: readonly string[], allowed: readonly string[]): boolean {
  return list.every((x) => allowed.includes(x));
}
