import type { CountRow } from '../core/query.js';
import type { Reply } from '../core/replies.js';
import { headerView, line, queryView, type HeaderView, type QueryView, type RenderEnv } from './common.js';
import { formatCount, plural, requestorLabel, shortDay, statusColor, type TextColor } from './format.js';

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

export function countRowViews(rows: readonly CountRow[], of: number, dimension: Dimension, env: RenderEnv): CountRowView[] {
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
  query: QueryView;
}

export function countsView(reply: CountsReply, shown: number, env: RenderEnv): CountsView {
  const of = denominator(reply.total, reply.rows);
  const rows = reply.rows.slice(0, shown);
  const keyNoun = KEY_LABELS[reply.dimension].replace(' (UTC)', '').toLowerCase();
  return {
    ...headerView(reply.title, reply.subtitle, reply.dimension === 'day' ? 'Days in UTC' : '', env),
    keyLabel: KEY_LABELS[reply.dimension],
    isEmpty: reply.rows.length === 0,
    emptyText: 'No actions in this period.',
    rows: countRowViews(rows, of, reply.dimension, env),
    totalText: `Total: ${plural(of, 'action')}`,
    hasShowing: rows.length < reply.rows.length,
    showing: line(`Showing ${formatCount(rows.length)} of ${plural(reply.rows.length, keyNoun)} (largest first)`, env),
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
    { value: formatCount(statusCount(byStatus, 'Failed', 'TimeOut')), label: 'Failed or timed out', color: 'Attention' },
    { value: formatCount(statusCount(byStatus, 'Cancelled')), label: 'Cancelled', color: 'Warning' },
    { value: formatCount(statusCount(byStatus, 'Pending', 'InProgress')), label: 'Pending or in progress', color: 'Accent' },
  ];
}

export function summaryView(reply: SummaryReply, shown: number, env: RenderEnv): SummaryView {
  const of = Math.max(reply.total, sum(reply.byType), sum(reply.byStatus));
  const byType = reply.byType.slice(0, shown);
  const byStatus = reply.byStatus.slice(0, shown);
  const cutTypes = reply.byType.length - byType.length;
  const cutStatuses = reply.byStatus.length - byStatus.length;
  const tiles: TileView[] = [{ value: formatCount(of), label: 'Actions', color: 'Default' }, ...statusTiles(reply.byStatus)];
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
  fallbackText: string;
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

function bucketDays(days: readonly CountRow[]): { size: number; buckets: Bucket[] } {
  const size = BUCKET_DAYS.find((d) => Math.ceil(days.length / d) <= MAX_BARS) ?? Math.ceil(days.length / MAX_BARS);
  const buckets: Bucket[] = [];
  for (let i = 0; i < days.length; i += size) {
    const slice = days.slice(i, i + size);
    buckets.push({ first: slice[0]?.key ?? '', last: slice.at(-1)?.key ?? '', count: sum(slice) });
  }
  return { size, buckets };
}

export function timelineView(reply: TimelineReply, env: RenderEnv): TimelineView {
  const total = Math.max(reply.total, sum(reply.days));
  const { size, buckets } = bucketDays(reply.days);
  const spansYears = (reply.days[0]?.key.slice(0, 4) ?? '') !== (reply.days.at(-1)?.key.slice(0, 4) ?? '');
  const label = (day: string): string => (spansYears ? day : shortDay(day));
  const busiest = reply.days.reduce<CountRow | undefined>((best, d) => (best === undefined || d.count > best.count ? d : best), undefined);
  const average = reply.days.length > 0 ? total / reply.days.length : 0;
  const unit = size === 1 ? 'day' : `${size} days`;
  return {
    ...headerView(reply.title, reply.subtitle, size === 1 ? 'Days in UTC' : `Days in UTC, summed per ${unit} (bars are labelled with their first day)`, env),
    tiles: [
      { value: formatCount(total), label: 'Actions', color: 'Default' },
      {
        value: busiest && busiest.count > 0 ? formatCount(busiest.count) : '–',
        label: busiest && busiest.count > 0 ? `Busiest day: ${line(busiest.key, env)}` : 'Busiest day',
        color: 'Accent',
      },
      { value: average.toLocaleString('en-US', { maximumFractionDigits: 1 }), label: 'Per day on average', color: 'Default' },
    ],
    isEmpty: reply.days.length === 0,
    emptyText: 'No days in this period.',
    chartTitle: size === 1 ? 'Actions per day (UTC)' : `Actions per ${unit} (UTC)`,
    xAxisTitle: size === 1 ? 'Day (UTC)' : `First day of ${unit} (UTC)`,
    showBarValues: buckets.length <= 14,
    chartData: buckets.map((b) => ({ x: line(label(b.first), env), y: b.count })),
    fallbackText: line(
      buckets.map((b) => `${size === 1 ? b.first : `${b.first} to ${b.last}`}: ${formatCount(b.count)}`).join(' · '),
      env,
      MAX_BARS * 40,
    ),
    query: queryView(reply.query, env),
  };
}
