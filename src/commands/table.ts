import type { CountRow, QueryResult, QuerySpec, TimeRange } from '../core/query.js';
import type { Reply, RequestorNames } from '../core/replies.js';
import { OPEN_STATUSES } from '../core/types.js';
import { adHocProblem, decodeHtmlEntities } from './adhoc.js';
import { PERIOD_PATTERN, parsePeriod } from './period.js';

/** What a command handler needs to plan its queries. */
export interface PlanContext {
  nowMs: number;
  /** Rows per page of action lists. */
  pageSize: number;
  requestorNames: RequestorNames;
  /** The command text as the user wrote it (normalised whitespace), for "more" links. */
  text: string;
}

/** Queries to run, and how to turn their results into the reply. `kql[i]` is the KQL of `specs[i]`. */
export interface QueryPlan {
  specs: QuerySpec[];
  finish(results: QueryResult[], kql: string[]): Reply;
}

/** A change of what a conversation receives (alerts, digest), or the list of subscriptions. */
export type SubscriptionRequest =
  { op: 'subscribe' | 'unsubscribe'; alerts: boolean; digest: boolean } | { op: 'list' };

export type Planned =
  | { kind: 'reply'; reply: Reply }
  | { kind: 'queries'; plan: QueryPlan }
  | { kind: 'status' }
  | { kind: 'digest' }
  | { kind: 'subscription'; request: SubscriptionRequest }
  /** An ad hoc KQL query (decoded, trimmed, not a control command); run only in workspace mode, by admins. */
  | { kind: 'kql'; query: string };

export interface CommandDef {
  name: string;
  /** Anchored, case-insensitive; named groups feed the handler. */
  pattern: RegExp;
  usage: string;
  description: string;
  example: string;
  plan(groups: Record<string, string | undefined>, ctx: PlanContext): Planned;
}

const P = PERIOD_PATTERN;
const PAGE = '(?:\\s+page\\s+(?<page>\\d{1,6}))?';
const PERIOD = `(?:\\s+(?<period>${P}))?`;

function err(message: string): Planned {
  return { kind: 'reply', reply: { kind: 'error', title: 'Cannot run that', message, reason: 'usage' } };
}

function range(groups: Record<string, string | undefined>, ctx: PlanContext): TimeRange | string {
  const r = parsePeriod(groups.period, ctx.nowMs);
  return r.ok ? r.range : r.message;
}

function pageOf(groups: Record<string, string | undefined>): number {
  const n = Number(groups.page ?? '1');
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

/** The text of the next page's command: the same command with `page N`. */
function nextPageText(text: string, page: number): string {
  return `${text.replace(/\s+page\s+\d+\s*$/i, '')} page ${page + 1}`;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** Isolated devices per page of `isolated`, newest isolations first; the total counts them all. */
export const ISOLATED_PAGE = 25;

/** Resolves a typed requestor: a configured friendly app name becomes its GUID. */
function resolveRequestor(who: string, names: RequestorNames): string {
  const lower = who.trim().toLowerCase();
  for (const [guid, name] of names) if (name.toLowerCase() === lower) return guid;
  return who.trim();
}

/** A paged action list: the list spec plus optional extra specs (e.g. machines sharing a name). */
function listPlan(
  title: string,
  base: QuerySpec,
  ctx: PlanContext,
  page: number,
  extra: { sharedName?: string } = {},
): Planned {
  const offset = (page - 1) * ctx.pageSize;
  const specs: QuerySpec[] = [{ ...base, shape: 'list', limit: ctx.pageSize, offset }];
  if (extra.sharedName !== undefined) specs.push({ ...base, shape: 'countByMachine' });
  return {
    kind: 'queries',
    plan: {
      specs,
      finish(results, kql) {
        const list = results[0];
        if (list?.shape !== 'list') throw new Error('list query returned another shape');
        const machines = results[1];
        const sharedNames =
          extra.sharedName !== undefined &&
          machines &&
          machines.shape !== 'list' &&
          'rows' in machines &&
          machines.rows.length > 1
            ? [{ name: extra.sharedName, machineIds: (machines.rows as CountRow[]).map((r) => r.key) }]
            : undefined;
        const shownTo = offset + list.rows.length;
        const label = base.range?.label ?? 'all time';
        return {
          kind: 'actions',
          title,
          subtitle: `${label} · ${fmt(list.total)} action${list.total === 1 ? '' : 's'}${list.total > 0 ? ` · ${fmt(offset + 1)}–${fmt(shownTo)}` : ''}`,
          rows: list.rows,
          total: list.total,
          offset,
          ...(shownTo < list.total ? { moreCommand: nextPageText(ctx.text, page) } : {}),
          ...(sharedNames ? { sharedNames } : {}),
          query: { kql: kql[0] ?? '' },
        };
      },
    },
  };
}

/** Keys per page of `requestors` and `devices`, largest counts first. */
export const COUNTS_PAGE = 25;

function countsPlan(
  title: string,
  dimension: 'requestor' | 'device',
  shape: QuerySpec['shape'],
  r: TimeRange,
  ctx: PlanContext,
  page: number,
): Planned {
  const offset = (page - 1) * COUNTS_PAGE;
  return {
    kind: 'queries',
    plan: {
      // The keys up to the end of the page (sliced here, the same on both backends).
      specs: [{ shape, range: r, top: offset + COUNTS_PAGE }],
      finish(results, kql) {
        const res = results[0];
        if (!res || !('rows' in res) || res.shape === 'list' || res.shape === 'isolation')
          throw new Error('count query returned another shape');
        const rows: CountRow[] = res.rows.slice(offset);
        const keys = res.keys ?? res.rows.length;
        const shownTo = offset + rows.length;
        return {
          kind: 'counts',
          title,
          subtitle: `${r.label} · ${fmt(res.total)} actions · ${fmt(keys)} ${dimension}s${offset > 0 || shownTo < keys ? ` · ${fmt(offset + 1)}–${fmt(shownTo)}` : ''}`,
          dimension,
          rows,
          total: res.total,
          keys,
          offset,
          ...(shownTo < keys ? { moreCommand: nextPageText(ctx.text, page) } : {}),
          query: { kql: kql[0] ?? '' },
        };
      },
    },
  };
}

/** Which feeds a (un)subscribe names: both when none is named. */
function which(what: string | undefined): { alerts: boolean; digest: boolean } {
  const w = what?.toLowerCase();
  return { alerts: w !== 'digest', digest: w !== 'alerts' };
}

/** `<name> [period]`: the top keys of one dimension. */
function countsCommand(
  name: string,
  shape: QuerySpec['shape'],
  dimension: 'requestor' | 'device',
  title: string,
  description: string,
  example: string,
): CommandDef {
  return {
    name,
    pattern: new RegExp(`^${name}${PERIOD}${PAGE}$`, 'i'),
    usage: `${name} [period]`,
    description,
    example,
    plan(g, ctx) {
      const r = range(g, ctx);
      return typeof r === 'string' ? err(r) : countsPlan(title, dimension, shape, r, ctx, pageOf(g));
    },
  };
}

/** Every UTC day from the range start to now, with zero for days without actions. */
export function fillDays(rows: readonly CountRow[], fromIso: string, nowMs: number): CountRow[] {
  const counts = new Map(rows.map((r) => [r.key, r.count]));
  const out: CountRow[] = [];
  const start = Date.parse(`${fromIso.slice(0, 10)}T00:00:00.000Z`);
  for (let d = start; d <= nowMs; d += 86_400_000) {
    const key = new Date(d).toISOString().slice(0, 10);
    out.push({ key, count: counts.get(key) ?? 0 });
  }
  return out;
}

/** What `kql` does; with the configured row limit when known (help in workspace mode). */
export function kqlDescription(rowLimit?: number): string {
  return `Admins only, Log Analytics workspace mode (QUERY_BACKEND=log-analytics): runs a read-only KQL query and shows the first ${rowLimit === undefined ? 'rows' : `${rowLimit.toLocaleString('en-US')} rows`}.`;
}

/**
 * The chat commands. Order matters only for overlapping patterns (the first match wins), so the
 * more specific forms come first.
 */
export const COMMANDS: readonly CommandDef[] = [
  {
    name: 'help',
    pattern: /^(?:help|\?|commands)$/i,
    usage: 'help',
    description: 'What I can answer.',
    example: 'help',
    plan: () => ({
      kind: 'reply',
      reply: { kind: 'help', title: 'Defender Audit Bot', message: null, suggestion: null, commands: [] },
    }),
  },
  {
    name: 'actions for device',
    pattern: new RegExp(`^(?:actions\\s+for\\s+device|device)\\s+(?<name>.+?)${PERIOD}${PAGE}$`, 'i'),
    usage: 'actions for device NAME [period]',
    description: 'Every action on a device (short name or FQDN, any case), newest first.',
    example: 'actions for device WS-042 7d',
    plan(g, ctx) {
      const r = range(g, ctx);
      if (typeof r === 'string') return err(r);
      const name = (g.name ?? '').trim();
      return listPlan(`Actions for device ${name}`, { shape: 'list', device: name, range: r }, ctx, pageOf(g), {
        sharedName: name,
      });
    },
  },
  {
    name: 'actions by',
    pattern: new RegExp(`^actions\\s+by\\s+(?<who>.+?)${PERIOD}${PAGE}$`, 'i'),
    usage: 'actions by REQUESTOR [period]',
    description: 'Every action requested by a person (UPN) or an app (GUID or its configured name).',
    example: 'actions by alex.wilber@contoso.com 30d',
    plan(g, ctx) {
      const r = range(g, ctx);
      if (typeof r === 'string') return err(r);
      const who = resolveRequestor(g.who ?? '', ctx.requestorNames);
      const shown = ctx.requestorNames.get(who.toLowerCase()) ?? who;
      return listPlan(`Actions by ${shown}`, { shape: 'list', requestor: who, range: r }, ctx, pageOf(g));
    },
  },
  {
    name: 'summary',
    pattern: new RegExp(`^summary${PERIOD}$`, 'i'),
    usage: 'summary [period]',
    description: 'Counts by action type and by status.',
    example: 'summary 7d',
    plan(g, ctx) {
      const r = range(g, ctx);
      if (typeof r === 'string') return err(r);
      return {
        kind: 'queries',
        plan: {
          specs: [
            { shape: 'countByType', range: r },
            { shape: 'countByStatus', range: r },
          ],
          finish(results, kql) {
            const [byType, byStatus] = results;
            const rowsOf = (x: QueryResult | undefined): CountRow[] =>
              x && x.shape !== 'list' && x.shape !== 'one' && x.shape !== 'isolation' ? x.rows : [];
            const total = byType && 'total' in byType ? byType.total : 0;
            return {
              kind: 'summary',
              title: 'Summary',
              subtitle: `${r.label} · ${fmt(total)} actions`,
              byType: rowsOf(byType),
              byStatus: rowsOf(byStatus),
              total,
              query: { kql: `// by type\n${kql[0] ?? ''}\n\n// by status\n${kql[1] ?? ''}` },
            };
          },
        },
      };
    },
  },
  countsCommand(
    'requestors',
    'countByRequestor',
    'requestor',
    'Actions by requestor',
    'Who requested how many actions (top 25).',
    'requestors 90d',
  ),
  countsCommand(
    'devices',
    'countByDevice',
    'device',
    'Actions by device',
    'Devices with the most actions (top 25).',
    'devices 30d',
  ),
  {
    name: 'timeline',
    pattern: new RegExp(`^timeline${PERIOD}$`, 'i'),
    usage: 'timeline [period]',
    description: 'Actions per day (UTC).',
    example: 'timeline 30d',
    plan(g, ctx) {
      const r = range(g, ctx);
      if (typeof r === 'string') return err(r);
      return {
        kind: 'queries',
        plan: {
          specs: [{ shape: 'countByDay', range: r }],
          finish(results, kql) {
            const res = results[0];
            const rows = res && res.shape === 'countByDay' ? res.rows : [];
            const days = fillDays(rows, r.from, ctx.nowMs);
            const total = days.reduce((s, d) => s + d.count, 0);
            return {
              kind: 'timeline',
              title: 'Actions per day',
              subtitle: `${r.label} · ${fmt(total)} actions`,
              days,
              total,
              query: { kql: kql[0] ?? '' },
            };
          },
        },
      };
    },
  },
  {
    name: 'isolated',
    pattern: new RegExp(`^isolated(?:\\s+devices)?${PAGE}$`, 'i'),
    usage: 'isolated',
    description: 'Devices isolated now, and isolations requested but not confirmed yet: since when, by whom, why.',
    example: 'isolated',
    plan(g, ctx) {
      const page = pageOf(g);
      const offset = (page - 1) * ISOLATED_PAGE;
      return {
        kind: 'queries',
        plan: {
          // Newest isolations first: the rows up to the end of the page (the page is sliced here,
          // the same on both backends), and how many of all are only requested.
          specs: [
            { shape: 'isolation', limit: offset + ISOLATED_PAGE },
            { shape: 'isolation', statuses: [...OPEN_STATUSES], limit: 0 },
          ],
          finish(results, kql) {
            const res = results[0];
            const all = res && res.shape === 'isolation' ? res.rows : [];
            const rows = all.slice(offset);
            const total = res && res.shape === 'isolation' ? res.total : all.length;
            const pending = results[1]?.shape === 'isolation' ? results[1].total : 0;
            const shownTo = offset + rows.length;
            const split =
              pending === 0
                ? 'isolated'
                : `: ${fmt(total - pending)} isolated · ${fmt(pending)} requested, not yet confirmed`;
            return {
              kind: 'isolated',
              title: 'Devices isolated now',
              subtitle: `${fmt(total)} device${total === 1 ? '' : 's'}${pending === 0 ? ' ' : ''}${split}${total > 0 && (offset > 0 || shownTo < total) ? ` · ${fmt(offset + 1)}–${fmt(shownTo)}` : ''}`,
              rows,
              total,
              offset,
              unconfirmed: pending,
              ...(shownTo < total ? { moreCommand: nextPageText(ctx.text, page) } : {}),
              now: new Date(ctx.nowMs).toISOString(),
              query: { kql: kql[0] ?? '' },
            };
          },
        },
      };
    },
  },
  {
    name: 'failed',
    pattern: new RegExp(`^failed${PERIOD}${PAGE}$`, 'i'),
    usage: 'failed [period]',
    description: 'Actions that failed or timed out.',
    example: 'failed 7d',
    plan(g, ctx) {
      const r = range(g, ctx);
      if (typeof r === 'string') return err(r);
      return listPlan(
        'Failed and timed-out actions',
        { shape: 'list', statuses: ['Failed', 'TimeOut'], range: r },
        ctx,
        pageOf(g),
      );
    },
  },
  {
    name: 'pending',
    pattern: new RegExp(`^pending${PAGE}$`, 'i'),
    usage: 'pending',
    description: 'Actions not finished yet (Pending, InProgress), any age.',
    example: 'pending',
    plan(g, ctx) {
      return listPlan('Pending actions', { shape: 'list', statuses: [...OPEN_STATUSES] }, ctx, pageOf(g));
    },
  },
  {
    name: 'action',
    pattern: /^action\s+(?<id>\S+)$/i,
    usage: 'action ID',
    description: 'One action in detail, with its status history.',
    example: 'action 2a800b14-1234-5678-abe4-abcdef42d881',
    plan(g) {
      const id = (g.id ?? '').trim();
      return {
        kind: 'queries',
        plan: {
          specs: [{ shape: 'one', actionId: id }],
          finish(results, kql) {
            const res = results[0];
            const one = res && res.shape === 'one' ? res : { row: null, history: [] };
            return {
              kind: 'action',
              title: one.row ? `${one.row.type} on ${one.row.computerDnsName ?? one.row.machineId}` : `No action ${id}`,
              action: one.row,
              history: one.history,
              query: { kql: kql[0] ?? '' },
            };
          },
        },
      };
    },
  },
  {
    name: 'digest',
    pattern: /^digest$/i,
    usage: 'digest',
    description:
      'The daily digest, now: last 24 hours, 14 days per day, top requestors and devices, isolated, oldest pending.',
    example: 'digest',
    plan: () => ({ kind: 'digest' }),
  },
  {
    name: 'subscribe',
    pattern: /^subscribe(?:\s+(?<what>alerts|digest))?$/i,
    usage: 'subscribe [alerts|digest]',
    description: 'Send alerts and the daily digest (or only one of them) to this conversation. Admins only.',
    example: 'subscribe',
    plan: (g) => ({ kind: 'subscription', request: { op: 'subscribe', ...which(g.what) } }),
  },
  {
    name: 'unsubscribe',
    pattern: /^unsubscribe(?:\s+(?<what>alerts|digest))?$/i,
    usage: 'unsubscribe [alerts|digest]',
    description: 'Stop alerts and the digest (or one of them) here. Admins only.',
    example: 'unsubscribe digest',
    plan: (g) => ({ kind: 'subscription', request: { op: 'unsubscribe', ...which(g.what) } }),
  },
  {
    name: 'subscriptions',
    pattern: /^subscriptions$/i,
    usage: 'subscriptions',
    description: 'Where alerts and digests go.',
    example: 'subscriptions',
    plan: () => ({ kind: 'subscription', request: { op: 'list' } }),
  },
  {
    name: 'kql',
    pattern: /^kql\s+(?<query>.+)$/is,
    usage: 'kql QUERY',
    description: kqlDescription(),
    // The table holds one row per version of an action: keep the latest per ActionId first.
    example:
      'kql MDEMachineActions_CL | summarize arg_max(TimeGenerated, *) by ActionId | summarize count() by ActionType',
    plan(g) {
      const query = decodeHtmlEntities(g.query ?? '').trim();
      const problem = adHocProblem(query);
      return problem === undefined ? { kind: 'kql', query } : err(problem);
    },
  },
  {
    name: 'status',
    pattern: /^status$/i,
    usage: 'status',
    description: 'Ingest health: last run, cursor, counts, errors.',
    example: 'status',
    plan: () => ({ kind: 'status' }),
  },
];
