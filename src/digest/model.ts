import type { DigestModel } from '../core/alerts.js';
import type { ActionRow, CountRow, QueryBackend, QueryResult, QuerySpec, TimeRange } from '../core/query.js';
import { OPEN_STATUSES } from '../core/types.js';
import { localDate } from './local-time.js';

/**
 * The daily digest model, computed from named query shapes so that it runs unchanged on SQLite and
 * on Log Analytics. Every window is an absolute UTC range ending at `nowMs` (from inclusive, to
 * exclusive), so the digest describes one instant and its KQL stays reproducible.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Days (UTC) in the per-day chart and the share by type, today's partial day included. */
export const DIGEST_CHART_DAYS = 14;
/** Days over which the top requestors and top devices are counted (a rolling window ending now). */
export const DIGEST_TOP_DAYS = 7;
export const DIGEST_TOP_N = 5;
export const DIGEST_PENDING_N = 5;

export interface BuildDigestOptions {
  /** The instant the digest describes, epoch milliseconds (UTC). */
  nowMs: number;
  /** IANA zone of the digest's local date (DIGEST_TIMEZONE). */
  timeZone: string;
  /** Rows of the top requestors and top devices; default DIGEST_TOP_N. */
  topN?: number;
  /** Oldest open actions listed; default DIGEST_PENDING_N. */
  pendingN?: number;
}

/** The time ranges of one digest. */
export interface DigestRanges {
  /** [now − 24 h, now): the tiles and the trend's current value. */
  last24h: TimeRange;
  /** [now − 48 h, now − 24 h): the trend's previous value. */
  previous24h: TimeRange;
  /** [00:00Z of the UTC day 13 days before today, now): per-day chart and share by type. */
  chart: TimeRange;
  /** [now − 7 days, now): top requestors and top devices. */
  top: TimeRange;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function absolute(fromMs: number, toMs: number, label: string): TimeRange {
  return { from: iso(fromMs), to: iso(toMs), source: { kind: 'absolute' }, label };
}

/** The digest's windows at `nowMs` (epoch milliseconds, UTC). */
export function digestRanges(nowMs: number): DigestRanges {
  const todayUtcMs = Math.floor(nowMs / DAY_MS) * DAY_MS;
  return {
    last24h: absolute(nowMs - DAY_MS, nowMs, 'last 24 hours'),
    previous24h: absolute(nowMs - 2 * DAY_MS, nowMs - DAY_MS, 'previous 24 hours'),
    chart: absolute(todayUtcMs - (DIGEST_CHART_DAYS - 1) * DAY_MS, nowMs, `last ${DIGEST_CHART_DAYS} days (UTC)`),
    top: absolute(nowMs - DIGEST_TOP_DAYS * DAY_MS, nowMs, `last ${DIGEST_TOP_DAYS} days`),
  };
}

/**
 * One row per UTC day (YYYY-MM-DD) from the day of `fromIso` to the day of `nowMs`, oldest first,
 * with zero for days the query left out.
 */
export function fillUtcDays(rows: readonly CountRow[], fromIso: string, nowMs: number): CountRow[] {
  const counts = new Map(rows.map((r) => [r.key, r.count]));
  const out: CountRow[] = [];
  for (let d = Date.parse(`${fromIso.slice(0, 10)}T00:00:00.000Z`); d <= nowMs; d += DAY_MS) {
    const key = iso(d).slice(0, 10);
    out.push({ key, count: counts.get(key) ?? 0 });
  }
  return out;
}

type CountResult = Extract<QueryResult, { rows: CountRow[] }>;

function counts(result: QueryResult, shape: CountResult['shape']): CountResult {
  if (result.shape !== shape) throw new Error(`the ${shape} query returned ${result.shape}`);
  return result;
}

function countOf(rows: readonly CountRow[], key: string): number {
  return rows.find((r) => r.key === key)?.count ?? 0;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`${name} must be a whole number ≥ 1, not ${String(value)}.`);
  return value;
}

/**
 * The `n` oldest open actions (Pending or InProgress, any age), oldest first. The list shape returns
 * newest first, so the last page is read: a first page at offset 0 gives the total, and when there
 * are more than `n`, the page at offset `total − n` holds the oldest. When the total changed between
 * the reads (actions ingested late or finished meanwhile) so that the page is not the tail, the tail
 * is read again from the new total, at most three reads in all; after that the last page is used.
 */
async function oldestOpen(backend: QueryBackend, n: number): Promise<ActionRow[]> {
  const base: QuerySpec = { shape: 'list', statuses: OPEN_STATUSES, limit: n };
  let offset = 0;
  for (let attempt = 1; ; attempt++) {
    const page = await backend.run({ ...base, offset });
    if (page.shape !== 'list') throw new Error(`the list query returned ${page.shape}`);
    // The page is the tail when it starts n rows before the end (or at 0) and reaches the end.
    const isTail = offset === Math.max(0, page.total - n) && offset + page.rows.length >= page.total;
    if (isTail || attempt >= 3) return [...page.rows].reverse();
    offset = Math.max(0, page.total - n);
  }
}

/**
 * Computes the digest at `nowMs`. Ten or so queries, the independent ones concurrently; any query
 * failure rejects (the scheduler retries). Ages in the model are measured from `now`.
 */
export async function buildDigest(backend: QueryBackend, options: BuildDigestOptions): Promise<DigestModel> {
  const { nowMs } = options;
  const timeZone = options.timeZone;
  const topN = positiveInteger(options.topN ?? DIGEST_TOP_N, 'topN');
  const pendingN = positiveInteger(options.pendingN ?? DIGEST_PENDING_N, 'pendingN');
  const r = digestRanges(nowMs);

  const [byType, byStatus, previous, perDay, share, requestors, devices, isolation, oldestPending] = await Promise.all([
    backend.run({ shape: 'countByType', range: r.last24h }),
    backend.run({ shape: 'countByStatus', range: r.last24h }),
    backend.run({ shape: 'countByStatus', range: r.previous24h }),
    backend.run({ shape: 'countByDay', range: r.chart }),
    backend.run({ shape: 'countByType', range: r.chart }),
    backend.run({ shape: 'countByRequestor', range: r.top, top: topN }),
    backend.run({ shape: 'countByDevice', range: r.top, top: topN }),
    backend.run({ shape: 'isolation' }),
    oldestOpen(backend, pendingN),
  ]);

  const typeCounts = counts(byType, 'countByType');
  const statusCounts = counts(byStatus, 'countByStatus');
  if (isolation.shape !== 'isolation') throw new Error(`the isolation query returned ${isolation.shape}`);

  return {
    date: localDate(nowMs, timeZone),
    timeZone,
    window: { from: r.last24h.from, to: r.last24h.to ?? iso(nowMs) },
    tiles: {
      total: typeCounts.total,
      byType: typeCounts.rows,
      failed: countOf(statusCounts.rows, 'Failed'),
      timedOut: countOf(statusCounts.rows, 'TimeOut'),
    },
    perDay: fillUtcDays(counts(perDay, 'countByDay').rows, r.chart.from, nowMs),
    shareByType: counts(share, 'countByType').rows,
    topDays: DIGEST_TOP_DAYS,
    topRequestors: counts(requestors, 'countByRequestor').rows,
    topDevices: counts(devices, 'countByDevice').rows,
    isolated: isolation.rows,
    oldestPending,
    trend: { current: typeCounts.total, previous: counts(previous, 'countByStatus').total },
    now: iso(nowMs),
  };
}
