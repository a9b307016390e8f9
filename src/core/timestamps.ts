/**
 * MDE timestamps are UTC strings with a `Z` suffix and 1 to 7 fractional digits, trailing zeros
 * trimmed (`2025-03-25T10:36:47.2968211Z`, `2025-04-03T10:20:00.154974Z`). JavaScript `Date` keeps
 * milliseconds only, so two values 100 ns apart would collapse. We therefore normalise to exactly
 * 7 fractional digits (100 ns ticks); normalised strings compare correctly as plain text.
 */

const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?(Z|[+-]00:00)$/;

/**
 * Returns the timestamp with exactly 7 fractional digits and a `Z` suffix, or `undefined` when the
 * text is not an MDE-style UTC timestamp (other offsets than UTC are rejected on purpose: the API
 * never sends them).
 */
export function normalizeTimestamp(text: string): string | undefined {
  const m = TIMESTAMP_RE.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
    return undefined;
  }
  return `${y}-${mo}-${d}T${h}:${mi}:${s}.${(frac ?? '').padEnd(7, '0')}Z`;
}

/** Compares two MDE timestamps as instants (100 ns precision). Throws on malformed input. */
export function compareTimestamps(a: string, b: string): number {
  const na = normalizeTimestamp(a);
  const nb = normalizeTimestamp(b);
  if (na === undefined || nb === undefined) throw new TypeError(`not an MDE timestamp: ${na === undefined ? a : b}`);
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** Epoch milliseconds of a timestamp (sub-millisecond digits dropped). */
export function timestampToMillis(text: string): number {
  const n = normalizeTimestamp(text);
  if (n === undefined) throw new TypeError(`not an MDE timestamp: ${text}`);
  return Date.parse(n.slice(0, 23) + 'Z');
}

/**
 * Formats epoch milliseconds plus an optional sub-millisecond part (0..9999, in 100 ns ticks) as a
 * normalised 7-digit timestamp.
 */
export function millisToTimestamp(ms: number, subMillisTicks = 0): string {
  const iso = new Date(ms).toISOString(); // 2025-03-25T10:36:47.296Z
  return `${iso.slice(0, 23)}${String(subMillisTicks).padStart(4, '0')}Z`;
}

/**
 * Formats a normalised timestamp the way the API does: trailing fractional zeros trimmed, at least
 * one fractional digit kept (`...:00.0Z` is never produced by the API; `...:00Z` would be, but the
 * samples always show digits, so we keep one).
 */
export function toWireTimestamp(normalized: string): string {
  const m = /^(.*)\.(\d{7})Z$/.exec(normalized);
  if (!m) return normalized;
  const frac = (m[2] ?? '').replace(/0+$/, '');
  return `${m[1]}.${frac === '' ? '0' : frac}Z`;
}

/** Subtracts milliseconds from a timestamp, keeping its sub-millisecond digits. */
export function subtractMillis(text: string, ms: number): string {
  const n = normalizeTimestamp(text);
  if (n === undefined) throw new TypeError(`not an MDE timestamp: ${text}`);
  const base = Date.parse(n.slice(0, 23) + 'Z');
  return millisToTimestamp(base - ms, Number(n.slice(23, 27)));
}
