import type { ActionRow, IsolationRow } from '../core/query.js';
import { isOpenStatus } from '../core/types.js';
import type { Reply } from '../core/replies.js';
import { headerView, line, queryView, type HeaderView, type QueryView, type RenderEnv } from './common.js';
import {
  formatAgo,
  formatCount,
  moreText,
  plural,
  portalMachineUrl,
  requestorLabel,
  statusColor,
  typeWithScope,
  type TextColor,
} from './format.js';
import { markdownLink } from './text.js';

/** View models of the list cards: `actions.json` and `isolated.json`. */

type ActionsReply = Extract<Reply, { kind: 'actions' }>;
type IsolatedReply = Extract<Reply, { kind: 'isolated' }>;

/** Device names shown in full up to this many characters. */
const DEVICE_CHARS = 80;
/** Shared-name notices shown at most. */
const MAX_SHARED_NOTICES = 10;

export interface ActionRowView {
  /** `Isolate (Full)`. */
  what: string;
  /** Markdown link to the device page in the Defender portal. */
  device: string;
  status: string;
  statusColor: TextColor;
  /** `2026-11-29 10:00 UTC · by Alex.Wilber@contoso.com · id …`. */
  meta: string;
  hasComment: boolean;
  comment: string;
}

export interface ActionGroupView {
  hasHeader: boolean;
  header: string;
  headerDetail: string;
  rows: ActionRowView[];
}

export interface ActionsView extends HeaderView {
  sharedNotices: { text: string }[];
  isEmpty: boolean;
  emptyText: string;
  groups: ActionGroupView[];
  hasShowing: boolean;
  showing: string;
  hasCutNote: boolean;
  cutNote: string;
  hasMore: boolean;
  moreData: { command: string };
  query: QueryView;
}

/** The device as a portal link, named by its DNS name or, before MDE knows it, its machine id. */
export function deviceLink(machineId: string, computerDnsName: string | null): string {
  const name = computerDnsName !== null && computerDnsName.trim() !== '' ? computerDnsName : machineId;
  return markdownLink(name, portalMachineUrl(machineId), DEVICE_CHARS);
}

export function actionRowView(row: ActionRow, env: RenderEnv): ActionRowView {
  const who = requestorLabel(row.requestor, env.names).short;
  const comment = row.requestorComment ?? '';
  return {
    what: line(typeWithScope(row.type, row.scope), env),
    device: deviceLink(row.machineId, row.computerDnsName),
    status: line(row.status, env),
    statusColor: statusColor(row.status),
    meta: line(`${env.time.format(row.creationDateTimeUtc)} · by ${who} · id ${row.id}`, env),
    hasComment: comment.trim() !== '',
    comment: line(comment, env, env.limits.listComment),
  };
}

/** Rows grouped by machine id, groups in order of first appearance (rows stay newest first). */
function groupByMachine(rows: readonly ActionRow[], env: RenderEnv): ActionGroupView[] {
  const groups = new Map<string, ActionRow[]>();
  for (const row of rows) {
    const group = groups.get(row.machineId);
    if (group) group.push(row);
    else groups.set(row.machineId, [row]);
  }
  return [...groups.entries()].map(([machineId, members]) => {
    const named = members.find((r) => r.computerDnsName !== null && r.computerDnsName.trim() !== '');
    return {
      hasHeader: true,
      header: `Machine ${deviceLink(machineId, named?.computerDnsName ?? null)}`,
      headerDetail: line(`machine id ${machineId} · ${plural(members.length, 'action')} shown`, env),
      rows: members.map((r) => actionRowView(r, env)),
    };
  });
}

export function showingText(shown: number, total: number, offset: number, noun: string): string {
  const range = offset > 0 && shown > 0 ? ` (${formatCount(offset + 1)}–${formatCount(offset + shown)})` : '';
  return `Showing ${formatCount(shown)} of ${plural(total, noun)}${range}`;
}

export function actionsView(reply: ActionsReply, shown: number, env: RenderEnv): ActionsView {
  const rows = reply.rows.slice(0, shown);
  const shared = (reply.sharedNames ?? []).filter((s) => s.machineIds.length > 1);
  const grouped = shared.length > 0;
  let groups: ActionGroupView[] = [];
  if (grouped) groups = groupByMachine(rows, env);
  else if (rows.length > 0)
    groups = [{ hasHeader: false, header: '', headerDetail: '', rows: rows.map((r) => actionRowView(r, env)) }];
  const total = Math.max(reply.total, reply.offset + reply.rows.length);
  const cut = reply.rows.length - rows.length;
  const more = reply.moreCommand !== undefined && reply.moreCommand.trim() !== '';
  const cutNote =
    `${plural(cut, 'more row')} of this page did not fit in the card` +
    (more ? ' and will not be on the next page' : '') +
    '. Narrow the search, or export the rows with the CLI: defender-audit-bot ask "…" --format csv';
  return {
    ...headerView(reply.title, reply.subtitle, `${env.time.zoneNote} · newest first`, env),
    sharedNotices: shared.slice(0, MAX_SHARED_NOTICES).map((s) => ({
      text: line(
        `⚠️ ${s.name} is the name of ${formatCount(s.machineIds.length)} machines (re-imaged or renamed devices): actions are grouped by machine.`,
        env,
      ),
    })),
    isEmpty: reply.rows.length === 0,
    emptyText: reply.offset > 0 ? 'No more actions match.' : 'No actions match.',
    groups,
    hasShowing: rows.length < total,
    showing: line(
      showingText(rows.length, total, reply.offset, 'action') +
        moreText(more ? total - reply.offset - reply.rows.length : 0, 'action', { more, cut: 0 }),
      env,
    ),
    hasCutNote: cut > 0,
    cutNote: line(cutNote, env),
    hasMore: more,
    moreData: { command: reply.moreCommand ?? '' },
    query: queryView(reply.query, env),
  };
}

export interface IsolationRowView {
  /** Markdown link to the device page. */
  device: string;
  /** `Isolated (Full)`. */
  what: string;
  status: string;
  statusColor: TextColor;
  /** `Since 2026-11-29 10:00 UTC · 3 h ago`. */
  since: string;
  /** `By Alex.Wilber@contoso.com · action <id>`. */
  by: string;
  hasComment: boolean;
  comment: string;
}

/** Confirmed isolations apart from requested ones: "Isolated", then "Isolation requested, not yet confirmed". */
export interface IsolationGroupView {
  heading: string;
  rows: IsolationRowView[];
}

export interface IsolatedView extends HeaderView {
  isEmpty: boolean;
  emptyText: string;
  groups: IsolationGroupView[];
  hasShowing: boolean;
  showing: string;
  hasMore: boolean;
  moreData: { command: string };
  query: QueryView;
}

function isolationRowView(row: IsolationRow, now: string, env: RenderEnv): IsolationRowView {
  const comment = row.requestorComment ?? '';
  return {
    device: deviceLink(row.machineId, row.computerDnsName),
    what: line(
      isOpenStatus(row.status)
        ? `Isolation requested${row.scope ? ` (${row.scope})` : ''}, not yet confirmed`
        : row.scope
          ? `Isolated (${row.scope})`
          : 'Isolated',
      env,
    ),
    status: line(row.status, env),
    statusColor: statusColor(row.status),
    since: line(`Since ${env.time.format(row.since)} · ${formatAgo(row.since, now)}`, env),
    by: line(`By ${requestorLabel(row.requestor, env.names).short} · action ${row.actionId}`, env),
    hasComment: comment.trim() !== '',
    comment: line(comment, env, env.limits.listComment),
  };
}

export function isolatedView(reply: IsolatedReply, shown: number, env: RenderEnv): IsolatedView {
  // Ages count to when the answer was computed, so that the card agrees with its query.
  const now = reply.now.trim() !== '' ? reply.now : env.now;
  const rows = reply.rows.slice(0, shown);
  const offset = reply.offset ?? 0;
  const total = Math.max(reply.total, offset + reply.rows.length);
  const more = reply.moreCommand !== undefined && reply.moreCommand.trim() !== '';
  const groups: IsolationGroupView[] = [
    {
      heading: 'Isolated',
      rows: rows.filter((r) => !isOpenStatus(r.status)).map((r) => isolationRowView(r, now, env)),
    },
    {
      heading: 'Isolation requested, not yet confirmed',
      rows: rows.filter((r) => isOpenStatus(r.status)).map((r) => isolationRowView(r, now, env)),
    },
  ].filter((g) => g.rows.length > 0);
  const left = total - offset - rows.length;
  const cut = reply.rows.length - rows.length;
  const showing = showingText(rows.length, total, offset, 'device') + moreText(left, 'device', { more, cut });
  return {
    ...headerView(reply.title, reply.subtitle, env.time.zoneNote, env),
    isEmpty: reply.rows.length === 0,
    emptyText: offset > 0 ? 'No more devices.' : 'No device is isolated, and no isolation is waiting.',
    groups,
    hasShowing: rows.length < total,
    showing: line(showing, env),
    hasMore: more,
    moreData: { command: reply.moreCommand ?? '' },
    query: queryView(reply.query, env),
  };
}
