/**
 * The composition root: the only place (with cli.ts) that constructs concrete implementations and
 * reads the process environment. Everything else receives its dependencies.
 */
import { readFileSync } from 'node:fs';
import { systemClock, type Clock } from './core/clock.js';
import type { Logger } from './core/logger.js';
import { createFileLogger, createPinoLogger } from './core/pino-logger.js';
import { ConfigError, describeError } from './core/errors.js';
import { loadConfig, requireDefender, summarizeConfig, type Config, type DefenderConfig, type Env } from './config/config.js';
import { createCallBudget } from './defender/budget.js';
import { createDefenderClient, type DefenderClient } from './defender/client.js';
import { createHttpTransport } from './defender/http.js';
import { createMsalTokenProvider } from './defender/token.js';
import { runOnce, type ChangeSet, type IngestProgress, type IngestSettings } from './ingest/run-once.js';
import { createIntervalRunner, type IntervalRunner } from './schedule/interval.js';
import { openSqliteStore, type SqliteAuditStore } from './store/sqlite-store.js';
import { ingestHealth } from './ingest/health.js';
import { createSqliteQueryBackend } from './queries/sqlite-backend.js';
import { buildDigest } from './digest/model.js';
import { createDigestScheduler, type DigestScheduler } from './digest/schedule.js';
import { compileKql } from './queries/kql.js';
import { createChat, type Chat, type ChatConversation, type SubscriptionOps } from './commands/chat.js';
import { createRateLimiter } from './commands/rate-limit.js';
import { loadCardTemplates, renderAlertCard, renderBackfillCard, renderDigestCard, renderReplyCard, renderStormCard, type CardTemplates } from './cards/index.js';
import type { Reply } from './core/replies.js';
import { authPolicy, createBotAdapter } from './teams/adapter.js';
import { createActivityHandler } from './teams/handler.js';
import { createTeamsGateway } from './teams/gateway.js';
import { createAlertPipeline, type AlertPipeline } from './alerts/pipeline.js';
import { createSender } from './alerts/sender.js';
import { parseBusinessHours, type AlertPolicy, type BusinessHours } from './alerts/policy.js';
import type { ConvRef, InboundHandlers, TeamsGateway } from './teams/types.js';
import { createHttpServer, type HealthReport, type HttpServer } from './server/server.js';
import type { TokenCredential } from '@azure/core-auth';
import type { HttpClient } from '@azure/core-rest-pipeline';
import { DefaultAzureCredential } from '@azure/identity';
import { LogsIngestionClient } from '@azure/monitor-ingestion';
import { LogsQueryClient } from '@azure/monitor-query-logs';
import type { KqlRunner, QueryBackend } from './core/query.js';
import { createKqlQueryBackend } from './queries/kql-backend.js';
import { toDcrRow } from './queries/schema.js';
import { createForwarder, type Forwarder } from './loganalytics/forwarder.js';
import { createLogAnalyticsRunner, keepDatetimeTextPolicy } from './loganalytics/query.js';
import { logAnalyticsPortalUrl } from './loganalytics/portal.js';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { APPS, createSimulator, type Simulator } from './simulator/index.js';
import { startPlayground, type Playground } from './demo/playground.js';
import { UsageError } from './core/errors.js';

// ── Defender API client ───────────────────────────────────────────────────────────────────────

export function buildDefenderClient(cfg: DefenderConfig, deps: { clock: Clock; logger: Logger }): DefenderClient {
  let ca: Buffer | undefined;
  if (cfg.caCertFile !== undefined) {
    try {
      ca = readFileSync(cfg.caCertFile);
    } catch (err) {
      throw new ConfigError([`MDE_CA_CERT_FILE: cannot read ${cfg.caCertFile} (${(err as Error).message}). Fix: point it at the PEM file the simulator printed, or unset it.`]);
    }
  }
  const http = createHttpTransport({ ca });
  const logger = deps.logger.child({ component: 'defender' });
  const tokens = createMsalTokenProvider({
    tenantId: cfg.tenantId,
    clientId: cfg.clientId,
    clientSecret: cfg.clientSecret,
    certificate: cfg.certificate,
    authorityHost: cfg.authorityHost,
    scope: cfg.scope,
    http,
    timeoutMs: cfg.requestTimeoutMs,
    logger,
  });
  return createDefenderClient({
    apiBaseUrl: cfg.apiBaseUrl,
    tokens,
    http,
    budget: createCallBudget({ perMinute: cfg.budgetPerMinute, perHour: cfg.budgetPerHour, clock: deps.clock }),
    clock: deps.clock,
    logger,
    requestTimeoutMs: cfg.requestTimeoutMs,
    maxRetries: cfg.maxRetries,
  });
}

export function ingestSettings(cfg: DefenderConfig): IngestSettings {
  return { pageSize: cfg.pageSize, overlapMs: cfg.overlapMs, backfillDays: cfg.backfillDays, fallbackWindowMs: cfg.fallbackWindowMs };
}

export function buildLogger(config: Config): Logger {
  return createPinoLogger({ level: config.log.level });
}

// ── Azure Log Analytics: forwarding and the KQL backend ────────────────────────────────────────

/**
 * How the Azure SDK clients authenticate and reach Azure. Production passes nothing:
 * DefaultAzureCredential (managed identity in Azure; AZURE_TENANT_ID, AZURE_CLIENT_ID and
 * AZURE_CLIENT_SECRET elsewhere) and the SDK's own HTTP client. Tests inject both.
 */
export interface AzureDeps {
  credential?: TokenCredential;
  httpClient?: HttpClient;
}

function azureCredential(azure: AzureDeps | undefined): TokenCredential {
  return azure?.credential ?? new DefaultAzureCredential();
}

/** The KQL runner over the configured workspace, or undefined in SQLite mode. */
export function buildKqlRunner(config: Config, deps: { clock: Clock; azure?: AzureDeps }): KqlRunner | undefined {
  const la = config.logAnalytics;
  if (la.queryBackend !== 'log-analytics' || la.workspaceId === undefined) return undefined;
  const client = new LogsQueryClient(azureCredential(deps.azure), {
    endpoint: la.queryEndpoint,
    ...(deps.azure?.httpClient ? { httpClient: deps.azure.httpClient } : {}),
    additionalPolicies: [{ policy: keepDatetimeTextPolicy, position: 'perCall' }],
  });
  return createLogAnalyticsRunner({ client, workspaceId: la.workspaceId, now: () => deps.clock.now() });
}

/** Where queries run: the SQLite store, or the workspace (with "Open in Log Analytics" links when its resource id is known). */
export function buildQueryBackend(
  config: Config,
  deps: { store: SqliteAuditStore; clock: Clock; azure?: AzureDeps },
): { backend: QueryBackend; runner?: KqlRunner; portalUrl?: (kql: string) => string | undefined } {
  const runner = buildKqlRunner(config, deps);
  if (runner === undefined) return { backend: createSqliteQueryBackend(deps.store) };
  const resourceId = config.logAnalytics.workspaceResourceId;
  return {
    backend: createKqlQueryBackend({ runner, schema: config.commands.kqlSchema }),
    runner,
    ...(resourceId === undefined
      ? {}
      : { portalUrl: (kql: string) => logAnalyticsPortalUrl(kql, { workspaceResourceId: resourceId, ...(config.bot.tenantId !== undefined ? { tenantId: config.bot.tenantId } : {}) }) }),
  };
}

/**
 * The forwarder to the Logs Ingestion API over the store's outbox, when LOGS_INGESTION_ENDPOINT is
 * set. Enables the outbox (seeding it with the whole history the first time); when forwarding is
 * not configured but was on before, turns the outbox off so it stops growing, saying so.
 */
export function buildForwarder(config: Config, deps: { store: SqliteAuditStore; clock: Clock; logger: Logger; azure?: AzureDeps }): Forwarder | undefined {
  const f = config.logAnalytics.forward;
  const logger = deps.logger.child({ component: 'loganalytics' });
  if (f === undefined) {
    if (deps.store.forwardingEnabled()) {
      const dropped = deps.store.disableForwarding();
      logger.warn('Log Analytics forwarding is no longer configured: stopped recording versions for it', {
        droppedUnsent: dropped,
        note: 'when LOGS_INGESTION_ENDPOINT is set again, the whole history is sent again (readers keep the latest row per action)',
      });
    }
    return undefined;
  }
  const seeded = deps.store.enableForwarding(new Date(deps.clock.now()).toISOString());
  if (seeded > 0) logger.info('Log Analytics forwarding enabled: the stored history will be sent first', { versions: seeded });
  const uploader = new LogsIngestionClient(f.endpoint, azureCredential(deps.azure), deps.azure?.httpClient ? { httpClient: deps.azure.httpClient } : {});
  return createForwarder({
    uploader,
    source: {
      pending: (limit) => deps.store.pendingForward(limit).map((item) => ({ seq: item.seq, row: toDcrRow(item.action) })),
      ack: (seq) => deps.store.ackForward(seq),
      backlog: () => deps.store.forwardBacklog(),
    },
    dcrImmutableId: f.dcrImmutableId,
    streamName: f.streamName,
    logger,
  });
}

/** Runs the forwarder every LOGS_FORWARD_INTERVAL and whenever `runNow()` is called (after each ingest). */
export function startForwarding(forwarder: Forwarder, intervalMs: number, deps: { clock: Clock; logger: Logger }): IntervalRunner {
  const runner = createIntervalRunner({
    name: 'forward',
    intervalMs,
    clock: deps.clock,
    logger: deps.logger,
    task: async (signal) => {
      await forwarder.forward(signal);
    },
  });
  runner.start();
  return runner;
}

// ── Chat: commands answered from the store ─────────────────────────────────────────────────────

/** Subscriptions kept in the store; admins from ADMIN_AAD_OBJECT_IDS (everyone when unset). */
export function storeSubscriptions(config: Config, store: SqliteAuditStore, clock: Clock): SubscriptionOps {
  const admins = new Set(config.commands.adminIds);
  const find = (id: string) => store.conversations().find((c) => c.conversationId === id);
  return {
    // An empty list lets everyone manage subscriptions (warned at start), never run ad hoc KQL.
    isAdmin: (aadObjectId, strict = false) => (admins.size === 0 ? !strict : aadObjectId !== undefined && admins.has(aadObjectId.toLowerCase())),
    set(conversation, flags, by) {
      const at = new Date(clock.now()).toISOString();
      if (!find(conversation.conversationId)) store.saveConversation({ ...conversation, at });
      store.setSubscription(conversation.conversationId, flags, by, at);
    },
    get(id) {
      const c = find(id);
      return { alerts: c?.alerts ?? false, digest: c?.digest ?? false };
    },
    list: () =>
      store
        .conversations()
        .filter((c) => c.alerts || c.digest)
        .map((c) => ({ conversationId: c.conversationId, name: c.name ?? c.kind, alerts: c.alerts, digest: c.digest, active: c.active, inactiveReason: c.inactiveReason, since: c.subscribedAt ?? c.installedAt })),
  };
}

/** Our conversation record for a Teams reference: a channel thread counts as its channel. */
export function chatConversation(ref: ConvRef): ChatConversation {
  const conversationId = ref.teamsChannelId ?? ref.conversationId.split(';messageid=')[0] ?? ref.conversationId;
  const name =
    ref.conversationType === 'channel'
      ? [ref.teamName, ref.channelName].filter((x): x is string => typeof x === 'string' && x !== '').join(' › ') || 'Team channel'
      : ref.conversationType === 'personal'
        ? 'Personal chat'
        : 'Group chat';
  return { conversationId, kind: ref.conversationType, name, ref: { ...ref, conversationId } };
}

/** The chat command handler over a store, exactly as the bot and `ask` use it. */
export function buildChat(
  config: Config,
  deps: { store: SqliteAuditStore; clock: Clock; logger: Logger; rateLimit: boolean; subscriptions?: SubscriptionOps; azure?: AzureDeps },
): Chat {
  const { backend, runner, portalUrl } = buildQueryBackend(config, deps);
  const adHocKql = runner === undefined ? undefined : { run: (query: string) => runner.run(query), rowLimit: config.logAnalytics.adHocRowLimit };
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
    ...(deps.rateLimit ? { rateLimiter: createRateLimiter({ limit: config.commands.rateLimitPerMinute, windowMs: 60_000, clock: deps.clock }) } : {}),
  });
}

/** Renders a reply as the card the bot posts. */
export function replyCard(reply: Reply, config: Config, templates: CardTemplates, nowMs: number): object {
  return renderReplyCard(reply, { templates, now: new Date(nowMs).toISOString(), requestorNames: config.commands.requestorNames, timeZone: config.commands.displayTimeZone });
}

// ── The bot: HTTP endpoint, Teams adapter, chat ─────────────────────────────────────────────────

export interface Bot {
  server: HttpServer;
  chat: Chat;
  /** Proactive posts and updates (alerts, digests). */
  gateway: TeamsGateway;
  templates: CardTemplates;
  /** Base URL and port once started. */
  start(): Promise<{ url: string; port: number }>;
  stop(): Promise<void>;
}

/**
 * The Teams bot over an open store. Refuses (ConfigError) to run unauthenticated anywhere but on
 * loopback. `/healthz` reports liveness and ingest freshness; it is unhealthy when no ingest run
 * succeeded for 10 poll intervals (at least 5 minutes), a sign that needs a person, not only a retry.
 */
export async function createBot(
  config: Config,
  deps: { store: SqliteAuditStore; clock: Clock; logger: Logger; ingestEnabled: boolean; azure?: AzureDeps },
): Promise<Bot> {
  const { bot } = config;
  const refusal = authPolicy({ botId: bot.id, host: bot.host });
  if (refusal !== undefined) throw new ConfigError([`HOST: ${refusal}`]);
  const logger = deps.logger;
  if (bot.id === undefined) logger.warn('BOT_ID is not set: Bot Framework authentication is off (allowed on loopback only, for local use)');
  if (bot.allowedTenants.length === 0) logger.warn('No BOT_TENANT_ID or BOT_ALLOWED_TENANTS: activities from any tenant are answered');

  if (config.commands.adminIds.length === 0) logger.warn('ADMIN_AAD_OBJECT_IDS is not set: everyone may change subscriptions');
  const templates = await loadCardTemplates();
  const chat = buildChat(config, { ...deps, rateLimit: true, subscriptions: storeSubscriptions(config, deps.store, deps.clock) });
  const adapter = createBotAdapter({
    ...(bot.tenantId !== undefined ? { botTenantId: bot.tenantId } : {}),
    ...(bot.id === undefined ? {} : bot.authType === 'UserAssignedMSI' ? { managedIdentityClientId: bot.id } : { botId: bot.id, ...(bot.password !== undefined ? { botPassword: bot.password } : {}) }),
    logger,
  });
  const handlers: InboundHandlers = {
    onInstall: (ref, info) => {
      // Teams sends installationUpdate and conversationUpdate for one install: saving is idempotent.
      const c = chatConversation(ref);
      deps.store.saveConversation({ ...c, at: new Date(deps.clock.now()).toISOString() });
      logger.info('installed', { conversationId: c.conversationId, conversationType: ref.conversationType, teamId: ref.teamId ?? null, source: info.source });
      return Promise.resolve();
    },
    onUninstall: (ref) => {
      // A team uninstall removes every channel of that team; a chat uninstall removes the chat.
      const gone = deps.store
        .conversations()
        .filter((c) => c.conversationId === chatConversation(ref).conversationId || (ref.teamId !== undefined && c.ref.teamId === ref.teamId));
      for (const c of gone) deps.store.removeConversation(c.conversationId);
      logger.info('uninstalled', { conversationId: ref.conversationId, removed: gone.length });
      return Promise.resolve();
    },
    onCommand: async (ref, text, user) => {
      const reply = await chat.handle(text, { id: user.id, ...(user.aadObjectId !== undefined ? { aadObjectId: user.aadObjectId } : {}), ...(user.name !== undefined ? { name: user.name } : {}) }, chatConversation(ref));
      // A repeated refusal in the same rate-limit window: the user was told once already.
      if (reply.kind === 'error' && reply.silent === true) return undefined;
      return replyCard(reply, config, templates, deps.clock.now());
    },
  };
  const handler = createActivityHandler({ handlers, allowedTenantIds: bot.allowedTenants.length > 0 ? new Set(bot.allowedTenants) : 'any', logger });
  const health = (): HealthReport => {
    const checks: HealthReport['checks'] = {};
    // One single-row read: probes are frequent, so no counts over the whole store here.
    let lastSuccessAt: string | null = null;
    try {
      lastSuccessAt = deps.store.ingestState().lastSuccessAt;
      checks.store = { ok: true, detail: 'readable' };
    } catch (err) {
      checks.store = { ok: false, detail: describeError(err) };
    }
    if (deps.ingestEnabled && checks.store.ok) {
      const age = lastSuccessAt === null ? null : deps.clock.now() - Date.parse(lastSuccessAt);
      const limit = Math.max(10 * config.ingest.pollIntervalMs, 5 * 60_000);
      checks.ingest = { ok: age === null || age <= limit, detail: age === null ? 'no run has succeeded yet' : `last success ${Math.round(age / 1000)} s ago` };
    }
    return { ok: Object.values(checks).every((c) => c.ok), checks };
  };
  const server = createHttpServer({ host: bot.host, port: bot.port, logger, onMessages: (req, res) => adapter.process(req, res, handler), health });
  return {
    server,
    chat,
    gateway: createTeamsGateway({ adapter, logger }),
    templates,
    start: () => server.start(),
    stop: () => server.stop(),
  };
}

// ── Alerts: change log → deliveries → Teams ───────────────────────────────────────────────────

export function alertPolicy(config: Config): AlertPolicy {
  const a = config.alerts;
  let businessHours: BusinessHours | null = null;
  if (a.businessHours !== undefined) {
    const parsed = parseBusinessHours(a.businessHours, a.businessTimeZone);
    if (typeof parsed === 'string') throw new ConfigError([`BUSINESS_HOURS: ${parsed}`]);
    businessHours = parsed;
  }
  return {
    types: new Set(a.types),
    massAction: { count: a.massActionCount, windowMinutes: Math.round(a.massActionWindowMs / 60_000) },
    knownRequestors: a.knownRequestors.length > 0 ? new Set(a.knownRequestors) : null,
    businessHours,
  };
}

export function buildAlertPipeline(config: Config, deps: { store: SqliteAuditStore; bot: Bot; clock: Clock; logger: Logger }): AlertPipeline {
  const logger = deps.logger.child({ component: 'alerts' });
  const ctx = { templates: deps.bot.templates, requestorNames: config.commands.requestorNames, timeZone: config.commands.displayTimeZone };
  return createAlertPipeline({
    store: deps.store,
    sender: createSender({ gateway: deps.bot.gateway, clock: deps.clock, logger }),
    clock: deps.clock,
    logger,
    policy: alertPolicy(config),
    renderAlert: (model) => renderAlertCard(model, { ...ctx, now: new Date(deps.clock.now()).toISOString() }),
    renderBackfill: (model) => renderBackfillCard(model, { ...ctx, now: new Date(deps.clock.now()).toISOString() }),
    renderStorm: (model) => renderStormCard(model, { ...ctx, now: new Date(deps.clock.now()).toISOString() }),
    stormThreshold: config.alerts.stormThreshold,
    backfillDays: config.defender?.backfillDays ?? 180,
    kqlForAction: (actionId) => compileKql({ shape: 'one', actionId }, config.commands.kqlSchema),
  });
}

/**
 * Posts the daily digest to every conversation subscribed to it, on DIGEST_CRON in DIGEST_TIMEZONE.
 * The last local date sent is kept in the store (never twice a day, caught up the same day after a
 * restart); each conversation's copy is recorded too, so a retry after a partial failure does not
 * post twice where it already succeeded.
 */
export function startDigest(config: Config, deps: { store: SqliteAuditStore; bot: Bot; clock: Clock; logger: Logger; azure?: AzureDeps }): DigestScheduler {
  const logger = deps.logger.child({ component: 'digest' });
  const sender = createSender({ gateway: deps.bot.gateway, clock: deps.clock, logger });
  const { backend } = buildQueryBackend(config, deps);
  const now = (): string => new Date(deps.clock.now()).toISOString();
  const scheduler = createDigestScheduler({
    cron: config.digest.cron,
    timeZone: config.digest.timeZone,
    clock: deps.clock,
    logger,
    lastSent: () => deps.store.getState('digest.lastSentLocalDate'),
    markSent: (date) => deps.store.setState('digest.lastSentLocalDate', date, now()),
    send: async (occurrence) => {
      const model = await buildDigest(backend, { nowMs: deps.clock.now(), timeZone: config.digest.timeZone });
      const card = renderDigestCard(model, { templates: deps.bot.templates, now: model.now, requestorNames: config.commands.requestorNames, timeZone: config.digest.timeZone });
      let failed = 0;
      for (const c of deps.store.conversations().filter((x) => x.digest && x.active)) {
        const key = `digest.sent.${occurrence.localDate}.${c.conversationId}`;
        if (deps.store.getState(key) !== null) continue;
        const res = await sender.send(c.ref as unknown as ConvRef, { kind: 'post', card });
        if (res.ok) deps.store.setState(key, now(), now());
        else {
          if (res.deactivate) deps.store.setConversationActive(c.conversationId, false, res.reason);
          if (!res.permanent) failed++;
          logger.warn('digest not posted', { conversationId: c.conversationId, reason: res.reason });
        }
      }
      if (failed > 0) throw new Error(`the digest could not be posted to ${failed} conversation(s); retrying later`);
    },
  });
  scheduler.start();
  return scheduler;
}

/** Runs the alert pipeline every 10 s (retries) and whenever `runNow()` is called (after each ingest). */
export function startAlerts(pipeline: AlertPipeline, deps: { clock: Clock; logger: Logger }): IntervalRunner {
  const runner = createIntervalRunner({
    name: 'alerts',
    intervalMs: 10_000,
    clock: deps.clock,
    logger: deps.logger,
    task: async (signal) => {
      pipeline.collect();
      await pipeline.deliver(signal);
    },
  });
  runner.start();
  return runner;
}

// ── The service: scheduled ingest ──────────────────────────────────────────────────────────────

export interface Service {
  store: SqliteAuditStore;
  client: DefenderClient;
  runner: IntervalRunner;
  stop(): Promise<void>;
}

/**
 * Starts the scheduled ingest from configuration on an open store. `onChanges` receives each run's
 * change set (the alerting pipeline hooks in here).
 */
export function startService(
  config: Config,
  deps: { store: SqliteAuditStore; clock?: Clock; logger: Logger; onChanges?: (c: ChangeSet) => void; onProgress?: (p: IngestProgress) => void },
): Service {
  const clock = deps.clock ?? systemClock;
  const { store } = deps;
  const defender = requireDefender(config);
  const client = buildDefenderClient(defender, { clock, logger: deps.logger });
  const runner = createIntervalRunner({
    name: 'ingest',
    intervalMs: config.ingest.pollIntervalMs,
    clock,
    logger: deps.logger,
    task: async (signal) => {
      const changes = await runOnce(
        { client, store, clock, logger: deps.logger.child({ component: 'ingest' }), settings: ingestSettings(defender), ...(deps.onProgress ? { onProgress: deps.onProgress } : {}) },
        signal,
      );
      deps.onChanges?.(changes);
    },
  });
  runner.start();
  return {
    store,
    client,
    runner,
    async stop() {
      await runner.stop();
      client.close();
    },
  };
}

/** `defender-audit-bot start`: the bot and the scheduled ingest until SIGTERM or SIGINT, then a clean stop. */
export async function main(env: Env = process.env): Promise<void> {
  const config = loadConfig(env, ['defender']);
  const logger = buildLogger(config);
  logger.info('starting', { config: summarizeConfig(config) });
  // Listened for from the start: a SIGTERM while starting (the server is up, the scheduler not yet)
  // still ends in a clean stop instead of the default kill.
  const stopSignal = waitForStopSignal(logger);
  const store = openSqliteStore({ path: config.store.path, locking: config.store.locking, check: 'quick' });
  // A damaged store: the bot still starts, so that /healthz reports it (503) and chat says why, but
  // nothing is answered from the file nor written to it (every store operation throws the error).
  const corrupt = store.corruption();
  if (corrupt) logger.error('the store is damaged', { error: describeError(corrupt), code: corrupt.code });
  let service: Service | undefined;
  let bot: Bot | undefined;
  let alerts: IntervalRunner | undefined;
  let digest: DigestScheduler | undefined;
  let forwarding: IntervalRunner | undefined;
  // One credential (and token cache) for every Azure Monitor client of the process.
  const la = config.logAnalytics;
  const azure: AzureDeps | undefined = la.forward !== undefined || la.queryBackend === 'log-analytics' ? { credential: new DefaultAzureCredential() } : undefined;
  try {
    bot = await createBot(config, { store, clock: systemClock, logger, ingestEnabled: true, ...(azure ? { azure } : {}) });
    const { url } = await bot.start();
    logger.info('listening', { url, messages: `${url}/api/messages`, health: `${url}/healthz` });
    const alertRunner = startAlerts(buildAlertPipeline(config, { store, bot, clock: systemClock, logger }), { clock: systemClock, logger });
    alerts = alertRunner;
    digest = startDigest(config, { store, bot, clock: systemClock, logger, ...(azure ? { azure } : {}) });
    const forwarder = buildForwarder(config, { store, clock: systemClock, logger, ...(azure ? { azure } : {}) });
    const forwardRunner = forwarder && config.logAnalytics.forward ? startForwarding(forwarder, config.logAnalytics.forward.intervalMs, { clock: systemClock, logger }) : undefined;
    forwarding = forwardRunner;
    service = startService(config, {
      store,
      logger,
      onChanges: () => {
        void alertRunner.runNow();
        void forwardRunner?.runNow();
      },
    });
    await stopSignal;
  } finally {
    try {
      await service?.stop();
      await forwarding?.stop();
      await alerts?.stop();
      await digest?.stop();
      await bot?.stop();
    } catch (err) {
      logger.error('error while stopping', { error: describeError(err) });
      process.exitCode = 1;
    }
    store.close();
  }
}

/** Resolves on the first SIGTERM or SIGINT. */
export function waitForStopSignal(logger?: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (sig: NodeJS.Signals): void => {
      logger?.info('stopping', { signal: sig });
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(sig);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

// ── The demo: simulator + bot + alerts + digest + Agents Playground on this machine ────────────

export interface DemoOptions {
  storePath: string;
  seed: number;
  /** Bot port (0 = any free port). */
  port: number;
  /** Playground port (0 = any; the Playground itself falls back to a random port when taken). */
  playgroundPort: number;
  /** Ingest poll interval, e.g. '5s'. */
  pollInterval: string;
  /** Average new simulated actions per minute (live activity); 0 = none. */
  actionsPerMinute: number;
  logLevel: string;
  /**
   * The full log (at `logLevel`) goes to this file, and only warnings and errors to the terminal
   * (standard error); without it, everything at `logLevel` goes to standard output.
   */
  logFile?: string;
  /** Environment for the Playground child process. */
  env: Env;
  onChanges?: (c: ChangeSet, service: Service) => void;
}

export interface Demo {
  sim: Simulator;
  store: SqliteAuditStore;
  config: Config;
  botUrl: string;
  playground: Playground;
  stop(): Promise<void>;
}

/**
 * Starts the whole product locally: the MDE API simulator with live activity, the scheduled ingest,
 * the bot (unauthenticated, loopback only) with alerts and the digest, and the Microsoft 365 Agents
 * Playground pointed at the bot. Everything stops with `stop()`, also when start-up fails halfway.
 */
export async function startDemo(options: DemoOptions): Promise<Demo> {
  const sim = createSimulator({ seed: options.seed });
  mkdirSync(dirname(options.storePath), { recursive: true });
  const stops: (() => Promise<void> | void)[] = [() => sim.stop()];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop();
  };
  try {
    const endpoint = await sim.start({ caCertFile: join(dirname(options.storePath), 'simulator-ca.pem') });
    if (options.actionsPerMinute > 0) sim.startLive({ newActionsPerMinute: options.actionsPerMinute });
    const config = loadConfig(
      {
        ...endpoint.env,
        // The simulator's apps by name, as REQUESTOR_NAMES does for a tenant's automation accounts.
        REQUESTOR_NAMES: APPS.map((a) => `${a.id}=${a.name}`).join(';'),
        STORE_PATH: options.storePath,
        MDE_POLL_INTERVAL: options.pollInterval,
        MDE_OVERLAP_WINDOW: '1s',
        LOG_LEVEL: options.logLevel,
        PORT: String(options.port),
        HOST: '127.0.0.1',
      },
      ['defender'],
    );
    const level = config.log.level;
    const logger =
      options.logFile === undefined || level === 'silent'
        ? buildLogger(config)
        : createFileLogger({ path: options.logFile, fileLevel: level, console: process.stderr, consoleLevel: 'warn' });
    const store = openSqliteStore({ path: options.storePath, check: 'quick' });
    stops.push(() => store.close());
    const bot = await createBot(config, { store, clock: systemClock, logger, ingestEnabled: true });
    const { url } = await bot.start().catch((err: Error & { code?: string }) => {
      if (err.code === 'EADDRINUSE') throw new UsageError(`Port ${config.bot.port} is in use. Fix: stop the other program, or run with PORT=<free port> npm run demo.`);
      throw err;
    });
    stops.push(() => bot.stop());
    const alerts = startAlerts(buildAlertPipeline(config, { store, bot, clock: systemClock, logger }), { clock: systemClock, logger });
    stops.push(() => alerts.stop());
    const digest = startDigest(config, { store, bot, clock: systemClock, logger });
    stops.push(() => digest.stop());
    const playground = await startPlayground({
      botMessagesUrl: `${url}/api/messages`,
      port: options.playgroundPort,
      cwd: join(dirname(options.storePath), 'playground'),
      env: options.env,
      logger,
    });
    stops.push(() => playground.stop());
    const service: Service = startService(config, {
      store,
      logger,
      onChanges: (c) => {
        void alerts.runNow();
        options.onChanges?.(c, service);
      },
    });
    stops.push(() => service.stop());
    return { sim, store, config, botUrl: url, playground, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
