/** The work that runs on its own: scheduled ingest, the alert pipeline, the daily digest. */
import { systemClock, type Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { requireDefender, type Config } from '../config/config.js';
import { createAlertPipeline, type AlertPipeline } from '../alerts/pipeline.js';
import type { AlertPolicy } from '../alerts/policy.js';
import { renderAlertCard, renderBackfillCard, renderDigestCard, renderStormCard } from '../cards/index.js';
import type { DefenderClient } from '../defender/client.js';
import { buildDigest } from '../digest/model.js';
import { createDigestService } from '../digest/fan-out.js';
import type { DigestScheduler } from '../digest/schedule.js';
import { runOnce, type ChangeSet, type IngestProgress } from '../ingest/run-once.js';
import { compileKql } from '../queries/kql.js';
import { createIntervalRunner, type IntervalRunner } from '../schedule/interval.js';
import type { SqliteAuditStore } from '../store/sqlite-store.js';
import type { Bot } from './bot.js';
import { buildDefenderClient, ingestSettings } from './defender.js';

export function alertPolicy(config: Config): AlertPolicy {
  const a = config.alerts;
  return {
    types: new Set(a.types),
    massAction: { count: a.massActionCount, windowMinutes: Math.round(a.massActionWindowMs / 60_000) },
    knownRequestors: a.knownRequestors.length > 0 ? new Set(a.knownRequestors) : null,
    businessHours: a.businessHours,
  };
}

/** The alert pipeline over the store, posting through the bot's one sender. */
export function buildAlertPipeline(
  config: Config,
  deps: { store: SqliteAuditStore; bot: Bot; clock: Clock; logger: Logger },
): AlertPipeline {
  const logger = deps.logger.child({ component: 'alerts' });
  const ctx = {
    templates: deps.bot.templates,
    requestorNames: config.commands.requestorNames,
    timeZone: config.commands.displayTimeZone,
  };
  const now = (): string => new Date(deps.clock.now()).toISOString();
  return createAlertPipeline({
    store: deps.store,
    sender: deps.bot.sender,
    clock: deps.clock,
    logger,
    policy: alertPolicy(config),
    renderAlert: (model) => renderAlertCard(model, { ...ctx, now: now() }),
    renderBackfill: (model) => renderBackfillCard(model, { ...ctx, now: now() }),
    renderStorm: (model) => renderStormCard(model, { ...ctx, now: now() }),
    stormThreshold: config.alerts.stormThreshold,
    backfillDays: config.defender?.backfillDays ?? 180,
    kqlForAction: (actionId) => compileKql({ shape: 'one', actionId }, config.commands.kqlSchema),
  });
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

/** The daily digest on DIGEST_CRON in DIGEST_TIMEZONE, from the bot's query backend, through its sender. */
export function startDigest(
  config: Config,
  deps: { store: SqliteAuditStore; bot: Bot; clock: Clock; logger: Logger },
): DigestScheduler {
  const { bot, clock } = deps;
  const timeZone = config.digest.timeZone;
  const scheduler = createDigestService({
    schedule: config.digest.schedule,
    conversations: deps.store,
    state: deps.store,
    sender: bot.sender,
    clock,
    logger: deps.logger.child({ component: 'digest' }),
    card: async () => {
      const model = await buildDigest(bot.queries.backend, { nowMs: clock.now(), timeZone });
      return renderDigestCard(model, {
        templates: bot.templates,
        now: model.now,
        requestorNames: config.commands.requestorNames,
        timeZone,
      });
    },
  });
  scheduler.start();
  return scheduler;
}

export interface Service {
  store: SqliteAuditStore;
  client: DefenderClient;
  runner: IntervalRunner;
  stop(): Promise<void>;
}

/**
 * Starts the scheduled ingest from configuration on an open store. `onChanges` receives each run's
 * change set (the alert pipeline and the forwarder hook in here).
 */
export function startService(
  config: Config,
  deps: {
    store: SqliteAuditStore;
    clock?: Clock;
    logger: Logger;
    onChanges?: (c: ChangeSet) => void;
    onProgress?: (p: IngestProgress) => void;
  },
): Service {
  const clock = deps.clock ?? systemClock;
  const { store } = deps;
  const defender = requireDefender(config);
  const client = buildDefenderClient(defender, { clock, logger: deps.logger });
  const logger = deps.logger.child({ component: 'ingest' });
  const progress = deps.onProgress ? { onProgress: deps.onProgress } : {};
  const runner = createIntervalRunner({
    name: 'ingest',
    intervalMs: config.ingest.pollIntervalMs,
    clock,
    logger: deps.logger,
    task: async (signal) => {
      const changes = await runOnce(
        { client, store, clock, logger, settings: ingestSettings(defender), ...progress },
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
