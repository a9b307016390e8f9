import type { Clock } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { QueryBackend, QueryResult, QuerySpec } from '../core/query.js';
import type { Reply, RequestorNames } from '../core/replies.js';
import { closest } from './closest.js';
import type { RateLimiter } from './rate-limit.js';
import { COMMANDS, type CommandDef, type PlanContext, type Planned } from './table.js';

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
}

export interface ChatUser {
  id: string;
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
  handle(text: string, user?: ChatUser): Promise<Reply>;
}

/** Removes `<at>…</at>` mentions and collapses white space. */
export function normalizeText(text: string): string {
  return text
    .replace(/<at>[^<]*<\/at>/gi, ' ')
    .replace(/&nbsp;/gi, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function helpReply(message: string | null, suggestion: string | null): Reply {
  return {
    kind: 'help',
    title: 'Defender Audit Bot',
    message,
    suggestion,
    commands: COMMANDS.map((c) => ({ name: c.name, usage: c.usage, description: c.description, example: c.example })),
  };
}

export function createChat(deps: ChatDeps): Chat {
  const pageSize = deps.pageSize ?? 15;

  function parse(raw: string): ParsedChat {
    if (raw.length > MAX_TEXT_LENGTH) {
      return {
        command: null,
        planned: { kind: 'reply', reply: { kind: 'error', title: 'Too long', message: `That message has ${raw.length} characters; commands are shorter than ${MAX_TEXT_LENGTH}. Try "help".`, reason: 'usage' } },
        queries: [],
      };
    }
    const text = normalizeText(raw);
    if (text === '') return { command: null, planned: { kind: 'reply', reply: helpReply(null, null) }, queries: [] };
    const ctx: PlanContext = { nowMs: deps.clock.now(), pageSize, requestorNames: deps.requestorNames, text };
    for (const command of COMMANDS) {
      const m = command.pattern.exec(text);
      if (!m) continue;
      let planned = command.plan(m.groups ?? {}, ctx);
      if (planned.kind === 'reply' && planned.reply.kind === 'help') planned = { kind: 'reply', reply: helpReply(null, null) };
      const queries = planned.kind === 'queries' ? planned.plan.specs.map((spec) => ({ spec, kql: deps.kqlOf(spec) })) : [];
      return { command, planned, queries };
    }
    const suggestion = closest(text, COMMANDS.map((c) => c.name));
    const shown = text.length > 60 ? `${text.slice(0, 57)}...` : text;
    return {
      command: null,
      planned: { kind: 'reply', reply: helpReply(`I did not understand "${shown}".`, suggestion) },
      queries: [],
    };
  }

  async function run(parsed: ParsedChat): Promise<Reply> {
    const { planned } = parsed;
    if (planned.kind === 'reply') return planned.reply;
    if (planned.kind === 'status') {
      const s = deps.status();
      return { kind: 'status', title: 'Ingest status', facts: s.facts, problem: s.problem };
    }
    const results: QueryResult[] = [];
    // One query at a time: SQLite is synchronous anyway, and Log Analytics counts concurrent queries.
    for (const q of parsed.queries) results.push(await deps.backend.run(q.spec));
    const reply = planned.plan.finish(results, parsed.queries.map((q) => q.kql));
    if (deps.portalUrl && 'query' in reply) {
      const url = deps.portalUrl(reply.query.kql);
      if (url !== undefined) reply.query.portalUrl = url;
    }
    return reply;
  }

  return {
    parse,
    async handle(text, user) {
      const log = deps.logger.child({ user: user?.id ?? 'cli' });
      if (user && deps.rateLimiter && !deps.rateLimiter.allow(user.id)) {
        log.warn('command rate limit hit');
        return { kind: 'error', title: 'Slow down', message: 'You sent many commands in a short time. Wait a minute and try again.', reason: 'limited' };
      }
      try {
        const parsed = parse(text);
        const started = deps.clock.now();
        const reply = await run(parsed);
        log.info('command answered', { command: parsed.command?.name ?? null, reply: reply.kind, ms: deps.clock.now() - started });
        return reply;
      } catch (err) {
        log.error('command failed', { error: describeError(err) });
        return { kind: 'error', title: 'Query failed', message: `I could not answer that: ${describeError(err)}`, reason: 'failed' };
      }
    },
  };
}
