import type { CountRow } from '../core/query.js';
import type { Reply } from '../core/replies.js';
import { headerView, line, queryView, type HeaderView, type QueryView, type RenderEnv } from './common.js';
import { formatCount, moreText, plural, requestorLabel, shortDay, statusColor, type TextColor } from './format.js';

/** View models of the count cards: `counts.json`, `summary.json` and `timeline.json`. */

type CountsReply = Extract<Reply, { kind: 'counts' }>;
type SummaryReply = Extract<Reply, { kind: 'summary' }>;
type TimelineReply = Extract<Reply, { kind: 'timeline' }>;
/** What count keys are: they decide how keys are shown (requestor names, status colours). */
export type CountDimension = CountsReply['dimension'];
type Dimension = CountDimension;

export interface CountRowView {
  key: string;
  color: TextColor;
  count: string;
  /** Share of the total, `42%`. */
  share: string;
}

export interface TileView {
  value: string;
  label: string;
  color: TextColor;
}

const KEY_LABELS: Readonly<Record<Dimension, string>> = {
  type: 'Action type',
  status: 'Status',
  requestor: 'Requestor',
  device: 'Device',
  day: 'Day (UTC)',
};

export function sum(rows: readonly CountRow[]): number {
  return rows.reduce((acc, r) => acc + r.count, 0);
}

/**
 * The number the shares are relative to: the reply's total, or the sum of the keys when that is
 * larger (so that shares never exceed 100 % whichever way a backend counts its total).
 */
function denominator(total: number, rows: readonly CountRow[]): number {
  return Math.max(total, sum(rows));
}

export function shareText(count: number, of: number): string {
  if (of <= 0) return '–';
  const pct = (count / of) * 100;
  return pct > 0 && pct < 1 ? '<1%' : `${Math.round(pct)}%`;
}

function keyText(key: string, dimension: Dimension, env: RenderEnv): string {
  if (key.trim() === '') return '(none)';
  if (dimension === 'requestor') return requestorLabel(key, env.names).short;
  return key;
}

export function countRowViews(
  rows: readonly CountRow[],
  of: number,
  dimension: Dimension,
  env: RenderEnv,
): CountRowView[] {
  return rows.map((r) => ({
    key: line(keyText(r.key, dimension, env), env),
    color: dimension === 'status' ? statusColor(r.key) : 'Default',
    count: formatCount(r.count),
    share: shareText(r.count, of),
  }));
}

export interface CountsView extends HeaderView {
  keyLabel: string;
  isEmpty: boolean;
  emptyText: string;
  rows: CountRowView[];
  totalText: string;
  hasShowing: boolean;
  showing: string;
  hasMore: boolean;
  moreData: { command: string };
  query: QueryView;
}

export function countsView(reply: CountsReply, shown: number, env: RenderEnv): CountsView {
  const of = denominator(reply.total, reply.rows);
  const rows = reply.rows.slice(0, shown);
  const keyNoun = KEY_LABELS[reply.dimension].replace(' (UTC)', '').toLowerCase();
  const offset = reply.offset ?? 0;
  const keys = Math.max(reply.keys ?? 0, offset + reply.rows.length);
  const more = reply.moreCommand !== undefined && reply.moreCommand.trim() !== '';
  const left = keys - offset - rows.length;
  const cut = reply.rows.length - rows.length;
  const range =
    offset > 0 && rows.length > 0 ? ` (${formatCount(offset + 1)}–${formatCount(offset + rows.length)})` : '';
  const showing =
    `Showing ${formatCount(rows.length)} of ${plural(keys, keyNoun)}${range} (largest first)` +
    moreText(left, keyNoun, { more, cut });
  return {
    ...headerView(reply.title, reply.subtitle, reply.dimension === 'day' ? 'Days in UTC' : '', env),
    keyLabel: KEY_LABELS[reply.dimension],
    isEmpty: reply.rows.length === 0,
    emptyText: 'No actions in this period.',
    rows: countRowViews(rows, of, reply.dimension, env),
    totalText: `Total: ${plural(of, 'action')}`,
    hasShowing: rows.length < keys,
    showing: line(showing, env),
    hasMore: more,
    moreData: { command: reply.moreCommand ?? '' },
    query: queryView(reply.query, env),
  };
}

export interface SummaryView extends HeaderView {
  tiles: TileView[];
  isEmpty: boolean;
  emptyText: string;
  byType: CountRowView[];
  byStatus: CountRowView[];
  hasShowing: boolean;
  showing: string;
  query: QueryView;
}

function statusCount(rows: readonly CountRow[], ...statuses: string[]): number {
  return sum(rows.filter((r) => statuses.includes(r.key)));
}

/** Tiles by status: succeeded, failed or timed out, cancelled, pending or in progress. */
export function statusTiles(byStatus: readonly CountRow[]): TileView[] {
  return [
    { value: formatCount(statusCount(byStatus, 'Succeeded')), label: 'Succeeded', color: 'Good' },
    {
      value: formatCount(statusCount(byStatus, 'Failed', 'TimeOut')),
      label: 'Failed or timed out',
      color: 'Attention',
    },
    { value: formatCount(statusCount(byStatus, 'Cancelled')), label: 'Cancelled', color: 'Warning' },
    {
      value: formatCount(statusCount(byStatus, 'Pending', 'InProgress')),
      label: 'Pending or in progress',
      color: 'Accent',
    },
  ];
}

export function summaryView(reply: SummaryReply, shown: number, env: RenderEnv): SummaryView {
  const of = Math.max(reply.total, sum(reply.byType), sum(reply.byStatus));
  const byType = reply.byType.slice(0, shown);
  const byStatus = reply.byStatus.slice(0, shown);
  const cutTypes = reply.byType.length - byType.length;
  const cutStatuses = reply.byStatus.length - byStatus.length;
  const tiles: TileView[] = [
    { value: formatCount(of), label: 'Actions', color: 'Default' },
    ...statusTiles(reply.byStatus),
  ];
  const cuts = [
    cutTypes > 0 ? `${formatCount(byType.length)} of ${plural(reply.byType.length, 'type')}` : '',
    cutStatuses > 0 ? `${formatCount(byStatus.length)} of ${plural(reply.byStatus.length, 'status', 'statuses')}` : '',
  ].filter((s) => s !== '');
  return {
    ...headerView(reply.title, reply.subtitle, '', env),
    tiles,
    isEmpty: of === 0,
    emptyText: 'No actions in this period.',
    byType: countRowViews(byType, of, 'type', env),
    byStatus: countRowViews(byStatus, of, 'status', env),
    hasShowing: cuts.length > 0,
    showing: line(`Showing ${cuts.join(' and ')} (largest first)`, env),
    query: queryView(reply.query, env),
  };
}

export interface TimelineView extends HeaderView {
  tiles: TileView[];
  isEmpty: boolean;
  emptyText: string;
  chartTitle: string;
  xAxisTitle: string;
  showBarValues: boolean;
  chartData: { x: string; y: number }[];
  /** What clients without charts show instead: the same counts as a table. */
  dayTable: PerDayView;
  query: QueryView;
}

/** Bars shown at most; longer ranges are summed into buckets of several days. */
const MAX_BARS = 62;
const BUCKET_DAYS = [1, 7, 14, 28, 91];

interface Bucket {
  first: string;
  last: string;
  count: number;
}

/** `days` summed `size` at a time. */
function bucketsOf(days: readonly CountRow[], size: number): Bucket[] {
  const buckets: Bucket[] = [];
  for (let i = 0; i < days.length; i += size) {
    const slice = days.slice(i, i + size);
    buckets.push({ first: slice[0]?.key ?? '', last: slice.at(-1)?.key ?? '', count: sum(slice) });
  }
  return buckets;
}

function bucketDays(days: readonly CountRow[]): { size: number; buckets: Bucket[] } {
  const size = BUCKET_DAYS.find((d) => Math.ceil(days.length / d) <= MAX_BARS) ?? Math.ceil(days.length / MAX_BARS);
  return { size, buckets: bucketsOf(days, size) };
}

/** A count in a per-day table: zero is shown subtle, so that the busy days stand out. */
export interface DayCountView {
  text: string;
  isZero: boolean;
}

/** A week of the per-day table: `Week of 24 Nov`, Monday to Sunday, and the week's total. */
export interface WeekRowView {
  label: string;
  /** Seven cells, Monday first; days outside the range are blank. */
  days: DayCountView[];
  total: string;
}

/** Two periods side by side (first half of the range on the left, second half on the right). */
export interface PeriodPairView {
  left: { label: string; count: DayCountView };
  right: { label: string; count: DayCountView };
}

/**
 * The counts of a chart of days as a compact table, the fallback of clients without charts:
 * daily counts as one row per week (Monday to Sunday, with the week's total); days summed into
 * longer periods as two columns of periods. Both with a header row (Teams styles the first row of
 * a table as its header whatever the card says).
 */
export interface PerDayView {
  caption: string;
  isWeekly: boolean;
  weekHeader: { text: string }[];
  weeks: WeekRowView[];
  pairHeader: { text: string }[];
  pairs: PeriodPairView[];
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const DAY_MS = 86_400_000;
/** Longest range shown as weeks (as many days as the chart shows bars, at most ten rows). */
const MAX_WEEK_TABLE_DAYS = MAX_BARS;

/** Epoch ms of a `YYYY-MM-DD` UTC day; undefined for anything else. */
function dayMs(key: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(key)) return undefined;
  const ms = Date.parse(`${key}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().startsWith(key) ? ms : undefined;
}

function dayKey(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function countCell(count: number): DayCountView {
  return { text: formatCount(count), isZero: count === 0 };
}

/** `24 Nov`, or `24 Nov 2025` when the range spans years. */
function dayLabel(key: string, withYear: boolean): string {
  return withYear && /^\d{4}-/.test(key) ? `${shortDay(key)} ${key.slice(0, 4)}` : shortDay(key);
}

/** `3 Jun – 9 Jun`; with years `26 Oct – 1 Nov 2025` or `28 Dec 2025 – 3 Jan 2026`. */
function periodLabel(first: string, last: string, withYear: boolean): string {
  if (first === last) return dayLabel(first, withYear);
  const sameYear = first.slice(0, 4) === last.slice(0, 4);
  return `${dayLabel(first, withYear && !sameYear)} – ${dayLabel(last, withYear)}`;
}

/**
 * Weeks (Monday first) from the first to the last day; undefined unless every key is a UTC day and
 * they span at most `MAX_WEEK_TABLE_DAYS`.
 */
function weekRows(days: readonly CountRow[], env: RenderEnv): WeekRowView[] | undefined {
  const counts = new Map<number, number>();
  for (const d of days) {
    const ms = dayMs(d.key);
    if (ms === undefined) return undefined;
    counts.set(ms, (counts.get(ms) ?? 0) + d.count);
  }
  const known = [...counts.keys()];
  if (known.length === 0) return [];
  const first = Math.min(...known);
  const last = Math.max(...known);
  // Days far apart (a reply without its zero days): listed one by one instead of as empty weeks.
  if (last - first > MAX_WEEK_TABLE_DAYS * DAY_MS) return undefined;
  const withYear = dayKey(first).slice(0, 4) !== dayKey(last).slice(0, 4);
  const weeks: WeekRowView[] = [];
  // getUTCDay: Sunday 0 … Saturday 6; the week starts on Monday.
  for (let monday = first - ((new Date(first).getUTCDay() + 6) % 7) * DAY_MS; monday <= last; monday += 7 * DAY_MS) {
    let total = 0;
    const cells = WEEKDAYS.map((_d, i) => {
      const ms = monday + i * DAY_MS;
      if (ms < first || ms > last) return { text: '', isZero: false };
      const count = counts.get(ms) ?? 0;
      total += count;
      return countCell(count);
    });
    weeks.push({ label: line(dayLabel(dayKey(monday), withYear), env), days: cells, total: formatCount(total) });
  }
  return weeks;
}

/** Periods in two columns: the first half of the range on the left, the rest on the right. */
function periodPairs(periods: readonly { label: string; count: number }[]): PeriodPairView[] {
  const half = Math.ceil(periods.length / 2);
  const blank = { label: '', count: { text: '', isZero: false } };
  return periods.slice(0, half).map((p, i) => {
    const r = periods[half + i];
    return {
      left: { label: p.label, count: countCell(p.count) },
      right: r === undefined ? blank : { label: r.label, count: countCell(r.count) },
    };
  });
}

/**
 * The per-day table of `days` (one row per UTC day, oldest first). With `bucketSize` > 1 the days
 * are summed into periods of that many days (as the chart does) and listed in two columns.
 */
export function perDayView(days: readonly CountRow[], caption: string, env: RenderEnv, bucketSize = 1): PerDayView {
  const weeks = bucketSize === 1 ? weekRows(days, env) : undefined;
  const spansYears = (days[0]?.key.slice(0, 4) ?? '') !== (days.at(-1)?.key.slice(0, 4) ?? '');
  const periods =
    weeks !== undefined
      ? []
      : bucketsOf(days, Math.max(1, bucketSize)).map((b) => ({
          label: line(periodLabel(b.first, b.last, spansYears), env),
          count: b.count,
        }));
  const periodNoun = bucketSize === 1 ? 'Day (UTC)' : 'Days (UTC)';
  return {
    caption: line(caption, env),
    isWeekly: weeks !== undefined,
    weekHeader: ['Week of', ...WEEKDAYS, 'Total'].map((text) => ({ text })),
    weeks: weeks ?? [],
    pairHeader: [periodNoun, 'Actions', '', periodNoun, 'Actions'].map((text) => ({ text })),
    pairs: periodPairs(periods),
  };
}

export function timelineView(reply: TimelineReply, env: RenderEnv): TimelineView {
  const total = Math.max(reply.total, sum(reply.days));
  const { size, buckets } = bucketDays(reply.days);
  const spansYears = (reply.days[0]?.key.slice(0, 4) ?? '') !== (reply.days.at(-1)?.key.slice(0, 4) ?? '');
  const label = (day: string): string => (spansYears ? day : shortDay(day));
  const busiest = reply.days.reduce<CountRow | undefined>(
    (best, d) => (best === undefined || d.count > best.count ? d : best),
    undefined,
  );
  const average = reply.days.length > 0 ? total / reply.days.length : 0;
  const unit = size === 1 ? 'day' : `${size} days`;
  const chartTitle = size === 1 ? 'Actions per day (UTC)' : `Actions per ${unit} (UTC)`;
  return {
    ...headerView(
      reply.title,
      reply.subtitle,
      size === 1 ? 'Days in UTC' : `Days in UTC, summed per ${unit} (bars are labelled with their first day)`,
      env,
    ),
    tiles: [
      { value: formatCount(total), label: 'Actions', color: 'Default' },
      {
        value: busiest && busiest.count > 0 ? formatCount(busiest.count) : '–',
        label: busiest && busiest.count > 0 ? `Busiest day: ${line(busiest.key, env)}` : 'Busiest day',
        color: 'Accent',
      },
      {
        value: average.toLocaleString('en-US', { maximumFractionDigits: 1 }),
        label: 'Per day on average',
        color: 'Default',
      },
    ],
    isEmpty: reply.days.length === 0,
    emptyText: 'No days in this period.',
    chartTitle,
    xAxisTitle: size === 1 ? 'Day (UTC)' : `First day of ${unit} (UTC)`,
    showBarValues: buckets.length <= 14,
    chartData: buckets.map((b) => ({ x: line(label(b.first), env), y: b.count })),
    dayTable: perDayView(reply.days, chartTitle, env, size),
    query: queryView(reply.query, env),
  };
}
