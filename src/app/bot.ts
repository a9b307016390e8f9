import type { Clock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Sender } from '../core/send.js';
import type { Config } from '../config/config.js';
import { loadCardTemplates, type CardTemplates } from '../cards/index.js';
import type { Chat } from '../commands/chat.js';
import { chatConversation, createInstallations, createSubscriptions } from '../conversations/conversations.js';
import { createSender } from '../delivery/sender.js';
import { serviceHealth } from '../ingest/health.js';
import { createHttpServer, type HttpServer } from '../server/server.js';
import type { SqliteAuditStore } from '../store/sqlite-store.js';
import { authPolicy, createBotAdapter } from '../teams/adapter.js';
import { createTeamsGateway } from '../teams/gateway.js';
import { createActivityHandler } from '../teams/handler.js';
import type { InboundHandlers } from '../teams/types.js';
import { buildQueries, type AzureDeps, type Queries } from './azure.js';
import { buildChat, replyCard } from './chat.js';

export interface Bot {
  server: HttpServer;
  chat: Chat;
  /** The process's one sender to Teams: alerts, the digest and every other proactive message. */
  sender: Sender;
  /** The process's one query backend (chat and the digest). */
  queries: Queries;
  templates: CardTemplates;
  /** Base URL and port once started. */
  start(): Promise<{ url: string; port: number }>;
  stop(): Promise<void>;
}

export interface BotWiring {
  store: SqliteAuditStore;
  clock: Clock;
  logger: Logger;
  /** Whether this process ingests (then /healthz also reports ingest freshness). */
  ingestEnabled: boolean;
  azure?: AzureDeps;
}

/**
 * The Teams bot over an open store: HTTP endpoint, Teams adapter, chat, and the sender. Refuses
 * (ConfigError) to run unauthenticated anywhere but on loopback.
 */
export async function createBot(config: Config, deps: BotWiring): Promise<Bot> {
  const { bot } = config;
  const { store, clock, logger } = deps;
  const refusal = authPolicy({ botId: bot.id, host: bot.host });
  if (refusal !== undefined) throw new ConfigError([`HOST: ${refusal}`]);
  if (bot.id === undefined)
    logger.warn('BOT_ID is not set: Bot Framework authentication is off (allowed on loopback only, for local use)');
  if (bot.allowedTenants.length === 0)
    logger.warn('No BOT_TENANT_ID or BOT_ALLOWED_TENANTS: activities from any tenant are answered');
  if (config.commands.adminIds.length === 0)
    logger.warn('ADMIN_AAD_OBJECT_IDS is not set: everyone may change subscriptions');

  const templates = await loadCardTemplates();
  const queries = buildQueries(config, deps);
  const subscriptions = createSubscriptions({ store, clock, adminIds: config.commands.adminIds });
  const installations = createInstallations({ store, clock, logger });
  const chat = buildChat(config, { ...deps, rateLimit: true, subscriptions, queries });
  const credentials =
    bot.id === undefined
      ? {}
      : bot.authType === 'UserAssignedMSI'
        ? { managedIdentityClientId: bot.id }
        : { botId: bot.id, ...(bot.password !== undefined ? { botPassword: bot.password } : {}) };
  const adapter = createBotAdapter({
    ...(bot.tenantId !== undefined ? { botTenantId: bot.tenantId } : {}),
    ...credentials,
    logger,
  });
  const handlers: InboundHandlers = {
    onInstall: (ref, info) => Promise.resolve(installations.installed(ref, info.source)),
    onUninstall: (ref) => Promise.resolve(installations.uninstalled(ref)),
    onCommand: async (ref, text, user) => {
      const reply = await chat.handle(text, user, chatConversation(ref));
      // A repeated refusal in the same rate-limit window: the user was told once already.
      if (reply.kind === 'error' && reply.silent === true) return undefined;
      return replyCard(reply, config, templates, clock.now());
    },
  };
  const allowedTenantIds = bot.allowedTenants.length > 0 ? new Set(bot.allowedTenants) : 'any';
  const handler = createActivityHandler({ handlers, allowedTenantIds, logger });
  const health = () =>
    serviceHealth(store, {
      nowMs: clock.now(),
      pollIntervalMs: config.ingest.pollIntervalMs,
      ingestEnabled: deps.ingestEnabled,
    });
  const server = createHttpServer({
    host: bot.host,
    port: bot.port,
    logger,
    onMessages: (req, res) => adapter.process(req, res, handler),
    health,
  });
  const sender = createSender({ gateway: createTeamsGateway({ adapter, logger }), clock, logger });
  return {
    server,
    chat,
    sender,
    queries,
    templates,
    start: () => server.start(),
    stop: () => server.stop(),
  };
}
