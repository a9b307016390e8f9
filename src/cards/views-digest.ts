import type { DigestModel } from '../core/alerts.js';
import type { ActionRow, CountRow, IsolationRow } from '../core/query.js';
import { headerView, line, type HeaderView, type RenderEnv } from './common.js';
import {
  formatAge,
  formatCount,
  plural,
  requestorLabel,
  shortDay,
  statusColor,
  typeWithScope,
  type TextColor,
} from './format.js';
import { perDayView, shareText, sum, type PerDayView, type TileView } from './views-counts.js';
import { fact, type FactView } from './views-detail.js';
import { deviceLink } from './views-lists.js';
import { isOpenStatus } from '../core/types.js';

/**
 * View model of the daily digest (`digest.json`), one card for management: tiles for the last
 * 24 hours, actions per UTC day and share by type as charts (falling back to a table of weeks and
 * a text), top requestors and devices (tables whose name column takes most of the width), devices
 * isolated now and the oldest pending actions with their ages (measured to the model's `now`), and
 * the trend against the previous 24 hours.
 */

/** Rows per list shown at most, so that the card stays readable; the budget may cut further. */
export const DIGEST_LIST_ROWS = 10;
/** Donut slices at most: the largest types, the rest summed as "Other". */
const DONUT_SLICES = 7;
/** Bars at most (the model sends 14 days). */
const MAX_BARS = 31;
/** Chart labels are short. */
const LABEL_CHARS = 40;

/** A list section: its heading and, when cut, what is left out. */
export interface SectionView {
  heading: string;
  isEmpty: boolean;
  emptyText: string;
  hasShowing: boolean;
  showing: string;
}

/** A list section; `command`: the chat command that lists all of a cut list, named after "Showing N of M". */
function section(
  heading: string,
  shown: number,
  total: number,
  noun: string,
  emptyText: string,
  env: RenderEnv,
  command?: string,
): SectionView {
  return {
    heading: line(heading, env),
    isEmpty: total === 0,
    emptyText,
    hasShowing: shown < total,
    showing: line(
      `Showing ${formatCount(shown)} of ${plural(total, noun)}${command ? ` · all: "${command}"` : ''}`,
      env,
    ),
  };
}

export interface DigestIsolatedView {
  /** `**[ws-042](portal link)** · Isolated (Full) for 3 d`. */
  headline: string;
  /** `Since … · by … · action …`. */
  meta: string;
}

export interface DigestPendingView {
  /** `**Isolate (Full)** · [ws-042](portal link)`. */
  headline: string;
  status: string;
  statusColor: TextColor;
  /** `Created … · 2 d ago · by …`. */
  meta: string;
}

export interface DigestView extends HeaderView {
  tiles: TileView[];
  byTypeSection: SectionView;
  byType: FactView[];
  trendText: string;
  hasPerDay: boolean;
  perDayTitle: string;
  perDayData: { x: string; y: number }[];
  /** The chart's fallback: the days as a table, one row per week. */
  dayTable: PerDayView;
  hasShare: boolean;
  shareTitle: string;
  shareData: { legend: string; value: number }[];
  shareFallback: string;
  requestorsSection: SectionView;
  topRequestors: FactView[];
  devicesSection: SectionView;
  topDevices: FactView[];
  isolatedSection: SectionView;
  isolated: DigestIsolatedView[];
  pendingSection: SectionView;
  oldestPending: DigestPendingView[];
}

/** `+25%`, `−10%`, `±0%`; `new` when there was nothing before. */
function trendTile(current: number, previous: number): TileView {
  if (previous <= 0)
    return {
      value: current > 0 ? 'new' : '–',
      label: 'vs 0 in the 24 h before',
      color: current > 0 ? 'Accent' : 'Default',
    };
  const pct = Math.round(((current - previous) / previous) * 100);
  const value = pct > 0 ? `+${pct}%` : pct < 0 ? `−${-pct}%` : '±0%';
  return { value, label: `vs ${formatCount(previous)} in the 24 h before`, color: pct > 0 ? 'Accent' : 'Default' };
}

function trendSentence(current: number, previous: number): string {
  const now = `${plural(current, 'action')} in the last 24 hours`;
  if (current === previous) return `${now}, as many as in the 24 hours before.`;
  const diff = Math.abs(current - previous);
  const direction = current > previous ? 'more' : 'fewer';
  const pct = previous > 0 ? ` (${current > previous ? 'up' : 'down'} ${Math.round((diff / previous) * 100)}%)` : '';
  return `${now}: ${formatCount(diff)} ${direction} than the ${formatCount(previous)} of the 24 hours before${pct}.`;
}

function countFacts(rows: readonly CountRow[], label: (key: string) => string, env: RenderEnv): FactView[] {
  return rows.map((r) => fact(r.key.trim() === '' ? '(none)' : label(r.key), formatCount(r.count), env));
}

/** The largest types, the rest as "Other" (the fallback lists every type). */
function donutSlices(rows: readonly CountRow[]): CountRow[] {
  const sorted = [...rows].filter((r) => r.count > 0).sort((a, b) => b.count - a.count);
  if (sorted.length <= DONUT_SLICES) return sorted;
  const head = sorted.slice(0, DONUT_SLICES - 1);
  return [...head, { key: 'Other', count: sum(sorted.slice(DONUT_SLICES - 1)) }];
}

/** `29` for 2026-11-29: the label of one bar in the per-day chart. */
function dayOfMonth(day: string): string {
  const m = /^\d{4}-\d{2}-(\d{2})$/.exec(day);
  return m ? String(Number(m[1])) : day;
}

function isolatedRow(row: IsolationRow, now: string, env: RenderEnv): DigestIsolatedView {
  const scope = row.scope ? ` (${row.scope})` : '';
  const age = formatAge(row.since, now);
  const when = age === 'just now' || age === 'unknown' ? age : isOpenStatus(row.status) ? `${age} ago` : `for ${age}`;
  const what = isOpenStatus(row.status)
    ? `Isolation requested${scope}, not yet confirmed: requested ${when}`
    : `Isolated${scope} ${when}`;
  return {
    headline: `**${deviceLink(row.machineId, row.computerDnsName)}** · ${line(what, env)}`,
    meta: line(
      `Since ${env.time.format(row.since)} · by ${requestorLabel(row.requestor, env.names).short} · ${row.status}`,
      env,
    ),
  };
}

function pendingRow(row: ActionRow, now: string, env: RenderEnv): DigestPendingView {
  return {
    headline: `**${line(typeWithScope(row.type, row.scope), env)}** · ${deviceLink(row.machineId, row.computerDnsName)}`,
    status: line(row.status, env),
    statusColor: statusColor(row.status),
    meta: line(
      `Created ${env.time.format(row.creationDateTimeUtc)} · waiting ${formatAge(row.creationDateTimeUtc, now)} · by ${requestorLabel(row.requestor, env.names).short}`,
      env,
    ),
  };
}

/** The largest list the budget may cut. */
export function digestItems(model: DigestModel): number {
  const lengths = [model.tiles.byType, model.topRequestors, model.topDevices, model.isolated, model.oldestPending].map(
    (l) => Math.min(l.length, DIGEST_LIST_ROWS),
  );
  return Math.max(0, ...lengths);
}

/** `shown`: rows per list (at most `DIGEST_LIST_ROWS`). Ages are measured to `model.now`. */
export function digestView(model: DigestModel, shown: number, env: RenderEnv): DigestView {
  const t = env.time;
  const n = Math.min(shown, DIGEST_LIST_ROWS);
  const { tiles } = model;
  const days = model.perDay.slice(-MAX_BARS);
  const shareTotal = sum(model.shareByType);
  const byTypeTotal = Math.max(tiles.total, sum(tiles.byType));
  const byType = tiles.byType.slice(0, n);
  const requestors = model.topRequestors.slice(0, n);
  const devices = model.topDevices.slice(0, n);
  // Confirmed isolations first, then those only requested (Pending, InProgress); each newest first.
  const requested = model.isolated.filter((r) => isOpenStatus(r.status));
  const unconfirmed = requested.length;
  const isolated = [...model.isolated.filter((r) => !isOpenStatus(r.status)), ...requested].slice(0, n);
  const pending = model.oldestPending.slice(0, n);
  const requestorName = (key: string): string => requestorLabel(key, env.names).short;
  // Day-of-month labels (`29`, `1`): Teams cuts longer bar labels of a 14-day chart to "2…"; the
  // title names the dates.
  const span = days.length > 0 ? `${shortDay(days[0]!.key)} to ${shortDay(days.at(-1)!.key)}` : '';
  const perDayTitle = `Actions per day, last ${plural(days.length, 'day')}${span ? `: ${span}` : ''} (UTC)`;
  return {
    ...headerView(
      'Machine actions: daily digest',
      `${model.date} · last 24 hours: ${t.format(model.window.from)} to ${t.format(model.window.to)}`,
      `${t.zoneNote} · chart days in UTC · ages as of ${t.format(model.now)}`,
      env,
    ),
    tiles: [
      { value: formatCount(byTypeTotal), label: 'Actions (24 h)', color: 'Default' },
      { value: formatCount(tiles.failed), label: 'Failed', color: tiles.failed > 0 ? 'Attention' : 'Good' },
      { value: formatCount(tiles.timedOut), label: 'Timed out', color: tiles.timedOut > 0 ? 'Attention' : 'Good' },
      trendTile(model.trend.current, model.trend.previous),
    ],
    byTypeSection: section(
      'By type (last 24 hours)',
      byType.length,
      tiles.byType.length,
      'type',
      'No actions in the last 24 hours.',
      env,
    ),
    byType: byType.map((r) =>
      fact(r.key.trim() === '' ? '(none)' : r.key, `${formatCount(r.count)} (${shareText(r.count, byTypeTotal)})`, env),
    ),
    trendText: line(trendSentence(model.trend.current, model.trend.previous), env),
    hasPerDay: days.length > 0,
    perDayTitle,
    perDayData: days.map((d) => ({ x: dayOfMonth(d.key), y: d.count })),
    dayTable: perDayView(days, perDayTitle, env),
    hasShare: shareTotal > 0,
    shareTitle: `Share by type, last ${plural(days.length > 0 ? days.length : 14, 'day')}`,
    shareData: donutSlices(model.shareByType).map((r) => ({ legend: line(r.key, env, LABEL_CHARS), value: r.count })),
    shareFallback: line(
      `Share by type: ${[...model.shareByType]
        .sort((a, b) => b.count - a.count)
        .map((r) => `${r.key} ${formatCount(r.count)} (${shareText(r.count, shareTotal)})`)
        .join(' · ')}`,
      env,
      env.limits.longText * 2,
    ),
    requestorsSection: section(
      `Top requestors (last ${plural(model.topDays, 'day')})`,
      requestors.length,
      model.topRequestors.length,
      'requestor',
      `No requestors in the last ${plural(model.topDays, 'day')}.`,
      env,
      `requestors ${model.topDays}d`,
    ),
    topRequestors: countFacts(requestors, requestorName, env),
    devicesSection: section(
      `Top devices (last ${plural(model.topDays, 'day')})`,
      devices.length,
      model.topDevices.length,
      'device',
      `No devices in the last ${plural(model.topDays, 'day')}.`,
      env,
      `devices ${model.topDays}d`,
    ),
    topDevices: countFacts(devices, (key) => key, env),
    isolatedSection: section(
      `Isolated now (${formatCount(model.isolated.length - unconfirmed)})${unconfirmed > 0 ? ` · requested, not yet confirmed (${formatCount(unconfirmed)})` : ''}`,
      isolated.length,
      model.isolated.length,
      'isolated or requested device',
      'No device is isolated now.',
      env,
      'isolated',
    ),
    isolated: isolated.map((r) => isolatedRow(r, model.now, env)),
    pendingSection: section(
      'Oldest pending actions',
      pending.length,
      model.oldestPending.length,
      'pending action',
      'Nothing is pending.',
      env,
      'pending',
    ),
    oldestPending: pending.map((r) => pendingRow(r, model.now, env)),
  };
}
