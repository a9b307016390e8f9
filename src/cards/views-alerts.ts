import type { AlertCardModel, AuditFlag, BackfillCardModel, StormCardModel, SubscriptionRow } from '../core/alerts.js';
import type { ActionRow, CountRow } from '../core/query.js';
import { headerView, line, paragraphs, queryView, type HeaderView, type QueryView, type RenderEnv } from './common.js';
import {
  formatCount,
  formatElapsed,
  formatHResult,
  parseInstant,
  plural,
  requestorLabel,
  statusColor,
  typeWithScope,
  type TextColor,
} from './format.js';
import { clip, sanitize } from './text.js';
import { countRowViews, statusTiles, sum, type CountRowView, type TileView } from './views-counts.js';
import { fact, type FactView } from './views-detail.js';
import { actionRowView, deviceLink, showingText, type ActionRowView } from './views-lists.js';

/**
 * View models of the alert cards: `alert.json` (one action, updated in place until it is final),
 * `alert-compact.json` (its essentials, after a 413), `storm.json`, `backfill.json` and
 * `subscriptions.json`. Times are shown in the env's zone, which the note names.
 */

/** Adaptive Card container styles (schema spelling). */
export type ContainerStyle = 'default' | 'emphasis' | 'good' | 'attention' | 'warning' | 'accent';

const FINAL_STATUSES: ReadonlySet<string> = new Set(['Succeeded', 'Failed', 'TimeOut', 'Cancelled']);

const STATUS_STYLES: Readonly<Record<string, ContainerStyle>> = {
  Succeeded: 'good',
  Failed: 'attention',
  TimeOut: 'attention',
  Cancelled: 'warning',
  Pending: 'emphasis',
  InProgress: 'emphasis',
};

/** The background of the status banner: as `statusColor`, for a container. */
export function statusStyle(status: string): ContainerStyle {
  return STATUS_STYLES[status] ?? 'default';
}

/** The sentence that explains a flag. */
export function flagSentence(flag: AuditFlag): string {
  switch (flag.kind) {
    case 'massAction':
      return `${plural(flag.count, 'action')} by this requestor within ${plural(flag.windowMinutes, 'minute')}`;
    case 'unknownRequestor':
      return 'Requestor not in the known list';
    case 'outsideBusinessHours':
      return `Requested outside business hours (${flag.localTime} ${flag.timeZone})`;
    case 'offboard':
      return 'Offboarding removes the device from Defender';
  }
}

/** The button that lists every action on the device; hidden when the model has no command. */
export interface DeviceButtonView {
  hasDeviceCommand: boolean;
  deviceData: { command: string };
}

function deviceButton(command: string): DeviceButtonView {
  return { hasDeviceCommand: command.trim() !== '', deviceData: { command } };
}

/**
 * Milliseconds from creation to the final status: the model's value, or, for a final status
 * without one, `lastUpdateDateTimeUtc − creationDateTimeUtc`. Null while the action runs.
 */
function timeToComplete(model: AlertCardModel): number | null {
  if (model.timeToCompleteMs !== null) return model.timeToCompleteMs;
  if (!FINAL_STATUSES.has(model.action.status)) return null;
  const created = parseInstant(model.action.creationDateTimeUtc);
  const updated = parseInstant(model.action.lastUpdateDateTimeUtc);
  return created === undefined || updated === undefined ? null : updated - created;
}

/**
 * What follows the status word: `completed in 4 min 12 s` (Succeeded), `after 2 min 11 s` (other
 * final statuses), or what a running action waits for.
 */
function statusDetail(status: string, elapsedMs: number | null): string {
  const elapsed = elapsedMs === null ? 'an unknown time' : formatElapsed(elapsedMs);
  switch (status) {
    case 'Succeeded':
      return `completed in ${elapsed}`;
    case 'Pending':
      return 'waiting for the device; this card is updated when the status changes';
    case 'InProgress':
      return 'running on the device; this card is updated when the status changes';
    default:
      return elapsedMs === null ? 'this card is updated when the status changes' : `after ${elapsed}`;
  }
}

function deviceName(a: ActionRow): string {
  return a.computerDnsName !== null && a.computerDnsName.trim() !== '' ? a.computerDnsName : a.machineId;
}

function alertHeader(a: ActionRow, env: RenderEnv, note: string): HeaderView {
  const who = requestorLabel(a.requestor, env.names).short;
  return headerView(
    `${typeWithScope(a.type, a.scope)} on ${deviceName(a)}`,
    `Requested by ${who} · ${env.time.format(a.creationDateTimeUtc)}`,
    note,
    env,
  );
}

function isCancelled(a: ActionRow): boolean {
  return (
    a.status === 'Cancelled' ||
    a.cancellationRequestor !== null ||
    a.cancellationComment !== null ||
    a.cancellationDateTimeUtc !== null
  );
}

export interface AlertView extends HeaderView, DeviceButtonView {
  hasFlags: boolean;
  flagsTitle: string;
  flags: { text: string }[];
  status: string;
  statusColor: TextColor;
  statusStyle: ContainerStyle;
  /** `completed in 4 min 12 s` or what the action waits for. */
  statusDetail: string;
  hasCancellation: boolean;
  cancellation: FactView[];
  hasError: boolean;
  error: string;
  /** `Device: [ws-042](portal link)`. */
  deviceLine: string;
  facts: FactView[];
  query: QueryView;
}

export function alertView(model: AlertCardModel, env: RenderEnv): AlertView {
  const a = model.action;
  const t = env.time;
  const elapsed = timeToComplete(model);
  const dash = (v: string | null): string => v ?? '';
  const facts: FactView[] = [
    fact('Type', a.type, env),
    fact('Scope', dash(a.scope), env),
    fact('Requested by', requestorLabel(a.requestor, env.names).long, env),
    fact('Comment', dash(a.requestorComment), env, env.limits.longText),
    fact('Request source', dash(a.requestSource), env),
    fact('Created', t.format(a.creationDateTimeUtc, 'seconds'), env),
    fact('Last update', t.format(a.lastUpdateDateTimeUtc, 'seconds'), env),
  ];
  if (elapsed !== null) facts.push(fact('Time to complete', formatElapsed(elapsed), env));
  facts.push(fact('Action id', a.id, env), fact('Machine id', a.machineId, env));
  if (a.externalId !== null && a.externalId.trim() !== '') facts.push(fact('External id', a.externalId, env));
  const cancellation = isCancelled(a)
    ? [
        fact(
          'Cancelled by',
          a.cancellationRequestor === null ? '' : requestorLabel(a.cancellationRequestor, env.names).long,
          env,
        ),
        fact('Cancellation comment', dash(a.cancellationComment), env, env.limits.longText),
        fact(
          'Cancelled at',
          a.cancellationDateTimeUtc === null ? '' : t.format(a.cancellationDateTimeUtc, 'seconds'),
          env,
        ),
      ]
    : [];
  return {
    ...alertHeader(a, env, t.zoneNote),
    hasFlags: model.flags.length > 0,
    flagsTitle:
      model.flags.length === 1
        ? 'Needs a second look'
        : `Needs a second look (${formatCount(model.flags.length)} reasons)`,
    flags: model.flags.map((f) => ({ text: line(`⚠️ ${flagSentence(f)}`, env) })),
    status: line(a.status, env),
    statusColor: statusColor(a.status),
    statusStyle: statusStyle(a.status),
    statusDetail: line(statusDetail(a.status, elapsed), env),
    hasCancellation: cancellation.length > 0,
    cancellation,
    hasError: a.errorHResult !== 0,
    error: line(`Error ${formatHResult(a.errorHResult)}`, env),
    deviceLine: `Device: ${deviceLink(a.machineId, a.computerDnsName)}`,
    facts,
    ...deviceButton(model.deviceCommand),
    query: queryView({ kql: model.kql }, env),
  };
}

export interface AlertCompactView extends HeaderView, DeviceButtonView {
  hasFlags: boolean;
  /** All flag sentences on one line. */
  flags: string;
  status: string;
  statusColor: TextColor;
  statusDetail: string;
  deviceLine: string;
  /** `Action id …`. */
  meta: string;
}

/** The essentials only: what, where, who, status, flags. No comment, no facts, no query. */
export function alertCompactView(model: AlertCardModel, env: RenderEnv): AlertCompactView {
  const a = model.action;
  return {
    ...alertHeader(a, env, `${env.time.zoneNote} · short form: the full card was too large for Teams`),
    hasFlags: model.flags.length > 0,
    flags: line(`⚠️ ${model.flags.map(flagSentence).join(' · ')}`, env, env.limits.line * 3),
    status: line(a.status, env),
    statusColor: statusColor(a.status),
    statusDetail: line(statusDetail(a.status, timeToComplete(model)), env),
    deviceLine: `Device: ${deviceLink(a.machineId, a.computerDnsName)}`,
    meta: line(`Action id ${a.id}`, env),
    ...deviceButton(model.deviceCommand),
  };
}

/**
 * Rows of each storm group shown at most. The budget cuts only the action list: even at tight text
 * limits two groups of 10 rows stay far under the budget.
 */
const GROUP_ROWS = 10;

/** A count list cut to `max` rows, with what was left out. */
export interface GroupView {
  hasRows: boolean;
  rows: CountRowView[];
  hasMore: boolean;
  more: string;
}

function groupView(
  rows: readonly CountRow[],
  of: number,
  dimension: 'type' | 'requestor',
  max: number,
  noun: string,
  env: RenderEnv,
): GroupView {
  const shown = rows.slice(0, max);
  const rest = rows.slice(max);
  return {
    hasRows: shown.length > 0,
    rows: countRowViews(shown, of, dimension, env),
    hasMore: rest.length > 0,
    more: line(`and ${plural(rest.length, `more ${noun}`)} with ${plural(sum(rest), 'action')}`, env),
  };
}

export interface StormView extends HeaderView {
  tiles: TileView[];
  byType: GroupView;
  byRequestor: GroupView;
  isEmpty: boolean;
  emptyText: string;
  rows: ActionRowView[];
  hasShowing: boolean;
  showing: string;
  hasShowAll: boolean;
  showAllData: { command: string };
}

export function stormView(model: StormCardModel, shown: number, env: RenderEnv): StormView {
  const total = Math.max(model.actions.length, sum(model.byType), sum(model.byStatus));
  const rows = model.actions.slice(0, shown);
  const showAll = model.showAllCommand.trim() !== '';
  return {
    ...headerView(
      `${plural(total, 'machine action')} at once`,
      `Created ${env.time.format(model.from)} to ${env.time.format(model.to)}`,
      `${env.time.zoneNote} · statuses as of now; this card is updated as the actions complete`,
      env,
    ),
    tiles: [{ value: formatCount(total), label: 'Actions', color: 'Default' }, ...statusTiles(model.byStatus)],
    byType: groupView(model.byType, total, 'type', GROUP_ROWS, 'type', env),
    byRequestor: groupView(model.byRequestor, total, 'requestor', GROUP_ROWS, 'requestor', env),
    isEmpty: model.actions.length === 0,
    emptyText: 'No actions to list.',
    rows: rows.map((r) => actionRowView(r, env)),
    hasShowing: rows.length < model.actions.length,
    showing: line(
      `${showingText(rows.length, model.actions.length, 0, 'action')}, newest first${showAll ? showAllNote(model.showAllCommand) : '.'}`,
      env,
    ),
    hasShowAll: showAll,
    showAllData: { command: model.showAllCommand },
  };
}

/** What "Show all" gives: a list for one requestor (`actions by …`), counts for several (`summary …`). */
function showAllNote(command: string): string {
  return command.startsWith('actions ')
    ? '. "Show all" lists every one.'
    : '. "Show all" counts every one; "action <id>" shows one.';
}

export interface BackfillView extends HeaderView {
  tiles: TileView[];
  facts: FactView[];
  isEmpty: boolean;
  emptyText: string;
  byType: CountRowView[];
  hasShowing: boolean;
  showing: string;
  closing: string;
}

export function backfillView(model: BackfillCardModel, shown: number, env: RenderEnv): BackfillView {
  const total = Math.max(model.total, sum(model.byType));
  const byType = model.byType.slice(0, shown);
  const when = (iso: string | null): string => (iso === null ? '' : env.time.format(iso));
  // The history found reaches back to the oldest action (whole days, at least 1, to the card's
  // time), which may be far less than the window searched (MDE_BACKFILL_DAYS).
  const oldestMs = model.from === null ? NaN : Date.parse(model.from);
  const found = Number.isNaN(oldestMs) ? 0 : Math.max(1, Math.floor((Date.parse(env.now) - oldestMs) / 86_400_000));
  return {
    ...headerView(
      'Audit trail started',
      `First run: searched the last ${plural(model.days, 'day')} and read ${plural(total, 'machine action')}`,
      env.time.zoneNote,
      env,
    ),
    tiles: [
      { value: formatCount(total), label: 'Actions read', color: 'Accent' },
      { value: formatCount(model.byType.length), label: 'Action types', color: 'Default' },
      {
        value: formatCount(found),
        label: found === 1 ? 'Day of history found' : 'Days of history found',
        color: 'Default',
      },
    ],
    facts: [fact('Oldest action', when(model.from), env), fact('Newest action', when(model.to), env)],
    isEmpty: total === 0,
    emptyText: `No machine actions in the last ${plural(model.days, 'day')}.`,
    byType: countRowViews(byType, total, 'type', env),
    hasShowing: byType.length < model.byType.length,
    showing: line(
      `Showing ${formatCount(byType.length)} of ${plural(model.byType.length, 'type')} (largest first)`,
      env,
    ),
    closing: 'These actions were stored quietly, without alerts. From now on, new actions are alerted as they happen.',
  };
}

export interface SubscriptionRowView {
  name: string;
  state: string;
  stateColor: TextColor;
  /** `Alerts and digest`. */
  what: string;
  /** `Since … · conversation …`. */
  meta: string;
  hasReason: boolean;
  reason: string;
}

export interface SubscriptionsView extends HeaderView {
  isEmpty: boolean;
  emptyText: string;
  rows: SubscriptionRowView[];
  hasShowing: boolean;
  showing: string;
}

/** Conversation ids are long and opaque: shown this far. */
const CONVERSATION_ID_CHARS = 60;

function receives(row: SubscriptionRow): string {
  if (row.alerts && row.digest) return 'Alerts and digest';
  if (row.alerts) return 'Alerts';
  if (row.digest) return 'Digest';
  return 'Nothing (neither alerts nor digest)';
}

export function subscriptionsView(rows: readonly SubscriptionRow[], shown: number, env: RenderEnv): SubscriptionsView {
  const visible = rows.slice(0, shown);
  const active = rows.filter((r) => r.active).length;
  return {
    ...headerView(
      'Subscriptions',
      `Where alerts and digests are posted · ${formatCount(active)} of ${plural(rows.length, 'conversation')} active`,
      env.time.zoneNote,
      env,
    ),
    isEmpty: rows.length === 0,
    emptyText: 'No conversation receives alerts or digests yet.',
    rows: visible.map((r) => {
      const reason = (r.inactiveReason ?? '').trim();
      return {
        name: line(r.name.trim() === '' ? '(unnamed conversation)' : r.name, env),
        state: r.active ? 'Active' : 'Stopped',
        stateColor: r.active ? 'Good' : 'Attention',
        what: line(receives(r), env),
        meta: line(
          `Since ${env.time.format(r.since)} · conversation ${clip(sanitize(r.conversationId).replace(/\s+/g, ' '), CONVERSATION_ID_CHARS)}`,
          env,
        ),
        hasReason: !r.active,
        reason: paragraphs(`Posting stopped: ${reason === '' ? 'no reason recorded' : reason}`, env.limits.line),
      };
    }),
    hasShowing: visible.length < rows.length,
    showing: line(showingText(visible.length, rows.length, 0, 'conversation'), env),
  };
}
