import type { TimeRange } from '../core/query.js';

/**
 * Periods in chat: any whole number of hours (`1h` to `8760h`) or days (`1d` to `3650d`, ten
 * years), e.g. `24h`, `7d`, `30d`, `180d`, or `since YYYY-MM-DD` (a UTC date). The default is 30
 * days. Ranges are on the action's creation time, in UTC.
 */
export const PERIOD_PATTERN = '(?:\\d{1,5}[hd]|since\\s+\\d{4}-\\d{2}-\\d{2})';
export const DEFAULT_PERIOD_DAYS = 30;
export const MAX_PERIOD_HOURS = 8760;
export const MAX_PERIOD_DAYS = 3650;
/** What a period may be, for answers to a period that is not one. */
export const PERIOD_HELP = `Periods: a whole number of hours or days such as 24h, 7d, 30d, 90d or 180d (at most ${MAX_PERIOD_HOURS}h or ${MAX_PERIOD_DAYS}d), or since YYYY-MM-DD.`;

const DAY_MS = 86_400_000;

export type PeriodResult = { ok: true; range: TimeRange } | { ok: false; message: string };

/** Parses a period (already matched by PERIOD_PATTERN, or undefined for the default) at `nowMs`. */
export function parsePeriod(text: string | undefined, nowMs: number): PeriodResult {
  const t = (text ?? '').trim().toLowerCase().replace(/\s+/g, ' ');
  if (t === '') return { ok: true, range: relative(DEFAULT_PERIOD_DAYS, nowMs) };
  const amount = /^(\d+)([hd])$/.exec(t);
  if (amount) {
    const n = Number(amount[1]);
    const hours = amount[2] === 'h';
    if (n < 1 || n > (hours ? MAX_PERIOD_HOURS : MAX_PERIOD_DAYS))
      return { ok: false, message: `"${t}" is outside the periods I answer. ${PERIOD_HELP}` };
    if (!hours) return { ok: true, range: relative(n, nowMs) };
    // Whole days in hours keep their day form (24h → the same range and ago(1d) as 1d).
    if (n % 24 === 0) return { ok: true, range: { ...relative(n / 24, nowMs), label: `last ${n} hours` } };
    return {
      ok: true,
      range: {
        from: new Date(nowMs - n * 3_600_000).toISOString(),
        source: { kind: 'ago', days: n / 24, hours: n },
        label: `last ${n} hour${n === 1 ? '' : 's'}`,
      },
    };
  }
  const since = /^since (\d{4})-(\d{2})-(\d{2})$/.exec(t);
  if (since) {
    const date = `${since[1]}-${since[2]}-${since[3]}`;
    const ms = Date.parse(`${date}T00:00:00.000Z`);
    if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date)
      return { ok: false, message: `"${date}" is not a date (use YYYY-MM-DD).` };
    if (ms > nowMs) return { ok: false, message: `${date} is in the future.` };
    return {
      ok: true,
      range: { from: new Date(ms).toISOString(), source: { kind: 'since', date }, label: `since ${date} (UTC)` },
    };
  }
  return { ok: false, message: `"${text ?? ''}" is not a period. ${PERIOD_HELP}` };
}

function relative(days: number, nowMs: number): TimeRange {
  return {
    from: new Date(nowMs - days * DAY_MS).toISOString(),
    source: { kind: 'ago', days },
    label: `last ${days} day${days === 1 ? '' : 's'}`,
  };
}
