import type { Clock } from '../core/clock.js';
import type { SubscriptionOps } from '../core/conversation.js';
import type { Logger } from '../core/logger.js';
import type { Reply } from '../core/replies.js';
import type { Config } from '../config/config.js';
import { renderReplyCard, type CardTemplates } from '../cards/index.js';
import { createChat, type Chat } from '../commands/chat.js';
import { createRateLimiter } from '../commands/rate-limit.js';
import { buildDigest } from '../digest/model.js';
import { ingestHealth } from '../ingest/health.js';
import { compileKql } from '../queries/kql.js';
import type { SqliteAuditStore } from '../store/sqlite-store.js';
import { buildQueries, type AzureDeps, type Queries } from './azure.js';

export interface ChatWiring {
  store: SqliteAuditStore;
  clock: Clock;
  logger: Logger;
  /** Per-user flood protection (the bot); off for the CLI. */
  rateLimit: boolean;
  subscriptions?: SubscriptionOps;
  /** The process's query backend; built from the configuration when not given. */
  queries?: Queries;
  azure?: AzureDeps;
}

/** The chat command handler over a store, exactly as the bot and `ask` use it. */
export function buildChat(config: Config, deps: ChatWiring): Chat {
  const { backend, runner, portalUrl } = deps.queries ?? buildQueries(config, deps);
  const adHocKql =
    runner === undefined
      ? undefined
      : { run: (query: string) => runner.run(query), rowLimit: config.logAnalytics.adHocRowLimit };
  const rateLimiter = createRateLimiter({
    limit: config.commands.rateLimitPerMinute,
    windowMs: 60_000,
    clock: deps.clock,
  });
  return createChat({
    ...(deps.subscriptions ? { subscriptions: deps.subscriptions } : {}),
    backend,
    ...(portalUrl ? { portalUrl } : {}),
    ...(adHocKql ? { adHocKql } : {}),
    kqlOf: (spec) => compileKql(spec, config.commands.kqlSchema),
    clock: deps.clock,
    logger: deps.logger.child({ component: 'commands' }),
    status: () => ingestHealth(deps.store, { nowMs: deps.clock.now(), pollIntervalMs: config.ingest.pollIntervalMs }),
    requestorNames: config.commands.requestorNames,
    digest: () => buildDigest(backend, { nowMs: deps.clock.now(), timeZone: config.digest.timeZone }),
    ...(deps.rateLimit ? { rateLimiter } : {}),
  });
}

/** Renders a reply as the card the bot posts. */
export function replyCard(reply: Reply, config: Config, templates: CardTemplates, nowMs: number): object {
  return renderReplyCard(reply, {
    templates,
    now: new Date(nowMs).toISOString(),
    requestorNames: config.commands.requestorNames,
    timeZone: config.commands.displayTimeZone,
  });
}
