import type { TimeRange } from '../core/query.js';

/**
 * Periods in chat: `24h`, `7d`, `30d`, `90d`, `360d`, or `since YYYY-MM-DD` (a UTC date). The
 * default is 30 days. Ranges are on the action's creation time, in UTC.
 */
export const PERIOD_PATTERN = '(?:24h|7d|30d|90d|360d|since\\s+\\d{4}-\\d{2}-\\d{2})';
export const DEFAULT_PERIOD_DAYS = 30;

const DAY_MS = 86_400_000;

export type PeriodResult = { ok: true; range: TimeRange } | { ok: false; message: string };

/** Parses a period (already matched by PERIOD_PATTERN, or undefined for the default) at `nowMs`. */
export function parsePeriod(text: string | undefined, nowMs: number): PeriodResult {
  const t = (text ?? '').trim().toLowerCase().replace(/\s+/g, ' ');
  if (t === '') return { ok: true, range: relative(DEFAULT_PERIOD_DAYS, nowMs) };
  if (t === '24h') return { ok: true, range: { ...relative(1, nowMs), label: 'last 24 hours' } };
  const days = /^(\d+)d$/.exec(t);
  if (days) return { ok: true, range: relative(Number(days[1]), nowMs) };
  const since = /^since (\d{4})-(\d{2})-(\d{2})$/.exec(t);
  if (since) {
    const date = `${since[1]}-${since[2]}-${since[3]}`;
    const ms = Date.parse(`${date}T00:00:00.000Z`);
    if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) return { ok: false, message: `"${date}" is not a date (use YYYY-MM-DD).` };
    if (ms > nowMs) return { ok: false, message: `${date} is in the future.` };
    return { ok: true, range: { from: new Date(ms).toISOString(), source: { kind: 'since', date }, label: `since ${date} (UTC)` } };
  }
  return { ok: false, message: `"${text ?? ''}" is not a period. Use 24h, 7d, 30d, 90d, 360d or since YYYY-MM-DD.` };
}

function relative(days: number, nowMs: number): TimeRange {
  return { from: new Date(nowMs - days * DAY_MS).toISOString(), source: { kind: 'ago', days }, label: `last ${days} days` };
}
