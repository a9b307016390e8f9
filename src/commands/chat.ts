import type { Clock } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import {
  exportSpec,
  isCutSpec,
  type ExportRow,
  type KqlRows,
  type QueryBackend,
  type QueryResult,
  type QuerySpec,
} from '../core/query.js';
import type { Reply, RequestorNames } from '../core/replies.js';
import type { DigestModel } from '../core/alerts.js';
import type { ChatConversation, SubscriptionOps } from '../core/conversation.js';
import { limitedQuery, tableReply } from './adhoc.js';
import { closest } from './closest.js';
import { PERIOD_HELP } from './period.js';
import type { RateLimiter } from './rate-limit.js';
import {
  COMMANDS,
  kqlDescription,
  type CommandDef,
  type PlanContext,
  type Planned,
  type SubscriptionRequest,
} from './table.js';

/** Longest chat text we read; longer text gets a short refusal. */
export const MAX_TEXT_LENGTH = 500;

export interface StatusReport {
  facts: { label: string; value: string }[];
  problem: string | null;
}

export interface ChatDeps {
  backend: QueryBackend;
  /** The KQL of a spec, for "Show query" (Log Analytics schema chosen by configuration). */
  kqlOf: (spec: QuerySpec) => string;
  clock: Clock;
  logger: Logger;
  /** Ingest health for the `status` command. */
  status: () => StatusReport;
  requestorNames: RequestorNames;
  /** Per-user flood protection; absent in the CLI. */
  rateLimiter?: RateLimiter;
  /** Rows per page of action lists. Default 15. */
  pageSize?: number;
  /** Deep link to run a query in the Azure portal (workspace mode only). */
  portalUrl?: (kql: string) => string | undefined;
  /** Subscriptions (the bot); absent in the CLI, where subscription commands say so. */
  subscriptions?: SubscriptionOps;
  /** Builds the daily digest now (src/digest over the same backend). */
  digest?: () => Promise<DigestModel>;
  /**
   * Ad hoc KQL (`kql <query>`) against the Log Analytics workspace; given only in workspace mode
   * (QUERY_BACKEND=log-analytics). `rowLimit`: rows shown at most.
   */
  adHocKql?: { run(query: string): Promise<KqlRows>; rowLimit: number };
}

export interface ChatUser {
  /** The channel's user id (`from.id`): the rate-limit key and the log field, never an identity for admin checks. */
  id: string;
  /** Entra ID object id (`from.aadObjectId`), when Teams sent one: the only identity admin checks use. */
  aadObjectId?: string;
  name?: string;
}

/** A parsed command: which one, and what it plans to do. */
export interface ParsedChat {
  command: CommandDef | null;
  planned: Planned;
  /** The specs and their KQL, when the command runs queries. */
  queries: { spec: QuerySpec; kql: string }[];
}

export interface Chat {
  /** Parses without running anything (`ask --format kql` uses this offline). */
  parse(text: string): ParsedChat;
  /** Parses, runs and answers. Never throws: every failure becomes an error reply. */
  handle(text: string, user?: ChatUser, conversation?: ChatConversation): Promise<Reply>;
  /**
   * The evidence export of a command (`ask --format json|csv`): for a command whose chat answer is
   * cut (a page of a list, the newest isolations, the top keys), every matching row of its main
   * query, streamed, with that query's KQL (no `take`); for the others, the complete reply. Paging
   * stays a chat matter: `page N` is ignored here. Rows are read as they are consumed.
   */
  export(
    text: string,
  ): Promise<{ kind: 'rows'; rows: AsyncIterable<ExportRow>; kql: string } | { kind: 'reply'; reply: Reply }>;
}

/** Removes `<at>…</at>` mentions and collapses white space. */
export function normalizeText(text: string): string {
  return text
    .replace(/<at>[^<]*<\/at>/gi, ' ')
    .replace(/&nbsp;/gi, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function helpReply(message: string | null, suggestion: string | null, kqlRowLimit?: number): Reply {
  return {
    kind: 'help',
    title: 'Defender Audit Bot',
    message,
    suggestion,
    commands: COMMANDS.map((c) => ({
      name: c.name,
      usage: c.usage,
      description: c.name === 'kql' ? kqlDescription(kqlRowLimit) : c.description,
      example: c.example,
    })),
  };
}

/** The answer to `kql` when the bot answers from its SQLite store. */
export const KQL_NEEDS_WORKSPACE =
  'The kql command needs the Log Analytics workspace mode (QUERY_BACKEND=log-analytics); this bot answers from its SQLite store, which KQL cannot query. ' +
  'To see the KQL of any command, run: defender-audit-bot ask --format kql "<command>"';

export function createChat(deps: ChatDeps): Chat {
  const pageSize = deps.pageSize ?? 15;
  const help = (message: string | null, suggestion: string | null): Reply =>
    helpReply(message, suggestion, deps.adHocKql?.rowLimit);

  function parse(raw: string): ParsedChat {
    if (raw.length > MAX_TEXT_LENGTH) {
      return {
        command: null,
        planned: {
          kind: 'reply',
          reply: {
            kind: 'error',
            title: 'Too long',
            message: `That message has ${raw.length} characters; commands are shorter than ${MAX_TEXT_LENGTH}. Try "help".`,
            reason: 'usage',
          },
        },
        queries: [],
      };
    }
    const text = normalizeText(raw);
    if (text === '') return { command: null, planned: { kind: 'reply', reply: help(null, null) }, queries: [] };
    const ctx: PlanContext = { nowMs: deps.clock.now(), pageSize, requestorNames: deps.requestorNames, text };
    for (const command of COMMANDS) {
      const m = command.pattern.exec(text);
      if (!m) continue;
      let planned = command.plan(m.groups ?? {}, ctx);
      if (planned.kind === 'reply' && planned.reply.kind === 'help')
        planned = { kind: 'reply', reply: help(null, null) };
      const queries =
        planned.kind === 'queries' ? planned.plan.specs.map((spec) => ({ spec, kql: deps.kqlOf(spec) })) : [];
      return { command, planned, queries };
    }
    // A known command whose last word looks like a period it does not take ("summary 99x"): say
    // what a period may be, rather than guess at another command.
    const last = text.split(' ').at(-1) ?? '';
    const named = COMMANDS.filter((c) => text.toLowerCase().startsWith(`${c.name.toLowerCase()} `)).sort(
      (a, b) => b.name.length - a.name.length,
    )[0];
    if (named !== undefined && /^\d+[a-z]*$/i.test(last) && named.usage.includes('[period]')) {
      const shownPeriod = last.length > 20 ? `${last.slice(0, 17)}...` : last;
      return {
        command: named,
        planned: {
          kind: 'reply',
          reply: {
            kind: 'error',
            title: 'Not a period',
            message: `"${shownPeriod}" is not a period. ${PERIOD_HELP} Usage: ${named.usage}`,
            reason: 'usage',
          },
        },
        queries: [],
      };
    }
    const suggestion = closest(
      text,
      COMMANDS.map((c) => c.name),
    );
    const shown = text.length > 60 ? `${text.slice(0, 57)}...` : text;
    return {
      command: null,
      planned: { kind: 'reply', reply: help(`I did not understand "${shown}".`, suggestion) },
      queries: [],
    };
  }

  function subscription(
    request: SubscriptionRequest,
    user: ChatUser | undefined,
    conversation: ChatConversation | undefined,
  ): Reply {
    const ops = deps.subscriptions;
    if (!ops || !conversation) {
      return {
        kind: 'error',
        title: 'Not here',
        message:
          'Subscriptions are managed in Teams: @mention the bot with "subscribe" in the channel that should receive alerts.',
        reason: 'usage',
      };
    }
    const listReply = (message: string): Extract<Reply, { kind: 'status' }> => {
      const rows = ops.list();
      const inactive = rows.filter((r) => !r.active).length;
      const problem =
        message !== ''
          ? message
          : inactive > 0
            ? `Teams refuses the bot's messages in ${inactive} of them (marked inactive): install the bot there again, or unsubscribe.`
            : null;
      return {
        kind: 'status',
        title: 'Subscriptions',
        subtitle: 'Where alerts and the daily digest go',
        okText:
          rows.length === 0
            ? 'No conversation is subscribed yet: send "subscribe" in the channel that should get alerts.'
            : '✅ Every subscribed conversation receives its messages.',
        facts: rows.map((r) => ({
          label: r.name,
          value: `${[r.alerts ? 'alerts' : '', r.digest ? 'digest' : ''].filter(Boolean).join(' + ') || 'nothing'}${r.active ? '' : ` · inactive (${r.inactiveReason ?? 'unknown'})`}`,
        })),
        problem,
      };
    };
    if (request.op === 'list') return listReply('');
    if (!user || !ops.isAdmin(user.aadObjectId)) {
      return {
        kind: 'error',
        title: 'Admins only',
        message: 'Only the administrators listed in ADMIN_AAD_OBJECT_IDS can change subscriptions.',
        reason: 'usage',
      };
    }
    const now = ops.get(conversation.conversationId);
    const on = request.op === 'subscribe';
    const flags = { alerts: request.alerts ? on : now.alerts, digest: request.digest ? on : now.digest };
    ops.set(conversation, flags, user.aadObjectId ?? user.id);
    const what =
      [flags.alerts ? 'alerts' : '', flags.digest ? 'the daily digest' : ''].filter(Boolean).join(' and ') || 'nothing';
    const reply = listReply('');
    return { ...reply, title: `This conversation now receives ${what}`, problem: null };
  }

  /**
   * An ad hoc query: only in workspace mode; in Teams (a user is given) only for admins, and never
   * without an admin list to check; the CLI (`ask`, no user) may run it.
   */
  async function adHoc(query: string, user: ChatUser | undefined): Promise<Reply> {
    const kql = deps.adHocKql;
    if (!kql) return { kind: 'error', title: 'Not available here', message: KQL_NEEDS_WORKSPACE, reason: 'usage' };
    if (user && !(deps.subscriptions?.isAdmin(user.aadObjectId, true) ?? false)) {
      return {
        kind: 'error',
        title: 'Admins only',
        message: 'Only the administrators listed in ADMIN_AAD_OBJECT_IDS can run ad hoc KQL queries.',
        reason: 'usage',
      };
    }
    const rowLimit = Math.max(1, Math.floor(kql.rowLimit) || 1);
    // Who ran which query is audit evidence too.
    deps.logger.info('ad hoc KQL query', {
      user: user?.aadObjectId ?? user?.id ?? 'cli',
      query: query.length > 2000 ? `${query.slice(0, 1999)}…` : query,
    });
    const rows = await kql.run(limitedQuery(query, rowLimit));
    return tableReply(query, rows, rowLimit);
  }

  async function run(parsed: ParsedChat, user?: ChatUser, conversation?: ChatConversation): Promise<Reply> {
    const { planned } = parsed;
    if (planned.kind === 'reply') return planned.reply;
    if (planned.kind === 'subscription') return subscription(planned.request, user, conversation);
    if (planned.kind === 'kql') return withPortalUrl(await adHoc(planned.query, user));
    if (planned.kind === 'digest') {
      if (!deps.digest)
        return {
          kind: 'error',
          title: 'No digest here',
          message: 'The digest is not available in this mode.',
          reason: 'usage',
        };
      return { kind: 'digest', model: await deps.digest() };
    }
    if (planned.kind === 'status') {
      const s = deps.status();
      return { kind: 'status', title: 'Ingest status', facts: s.facts, problem: s.problem };
    }
    const results: QueryResult[] = [];
    // One query at a time: SQLite is synchronous anyway, and Log Analytics counts concurrent queries.
    for (const q of parsed.queries) results.push(await deps.backend.run(q.spec));
    return withPortalUrl(
      planned.plan.finish(
        results,
        parsed.queries.map((q) => q.kql),
      ),
    );
  }

  /** Adds the "Open in Log Analytics" link to a result reply, in workspace mode. */
  function withPortalUrl(reply: Reply): Reply {
    if (deps.portalUrl && 'query' in reply) {
      const url = deps.portalUrl(reply.query.kql);
      if (url !== undefined) reply.query.portalUrl = url;
    }
    return reply;
  }

  return {
    parse,
    async export(text) {
      const parsed = parse(text);
      const first = parsed.queries[0];
      if (parsed.planned.kind !== 'queries' || first === undefined || !isCutSpec(first.spec))
        return { kind: 'reply', reply: await this.handle(text) };
      const spec = exportSpec(first.spec);
      deps.logger.info('export', { command: parsed.command?.name ?? null, shape: spec.shape });
      return { kind: 'rows', rows: deps.backend.rows(spec), kql: deps.kqlOf(spec) };
    },
    async handle(text, user, conversation) {
      const log = deps.logger.child({ user: user?.id ?? 'cli' });
      const decision = user && deps.rateLimiter ? deps.rateLimiter.check(user.id) : 'allow';
      if (decision !== 'allow') {
        log.warn('command rate limit hit', { told: decision === 'refuse' });
        return {
          kind: 'error',
          title: 'Slow down',
          message: 'You sent many commands in a short time. Wait a minute and try again.',
          reason: 'limited',
          ...(decision === 'refuse-quietly' ? { silent: true } : {}),
        };
      }
      try {
        const parsed = parse(text);
        const started = deps.clock.now();
        const reply = await run(parsed, user, conversation);
        log.info('command answered', {
          command: parsed.command?.name ?? null,
          reply: reply.kind,
          ms: deps.clock.now() - started,
        });
        return reply;
      } catch (err) {
        log.error('command failed', { error: describeError(err) });
        return {
          kind: 'error',
          title: 'Query failed',
          message: `I could not answer that: ${describeError(err)}`,
          reason: 'failed',
        };
      }
    },
  };
}
