/**
 * The long-running process (`start` and the demo): the bot, the alert pipeline, the daily digest,
 * Log Analytics forwarding and the scheduled ingest over one store, with one sender and one query
 * backend (the bot's). Stops in reverse order, also when starting fails halfway.
 */
import type { Clock } from '../core/clock.js';
import { UsageError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Config } from '../config/config.js';
import type { ChangeSet } from '../ingest/run-once.js';
import type { SqliteAuditStore } from '../store/sqlite-store.js';
import { buildForwarder, startForwarding, type AzureDeps } from './azure.js';
import { buildAlertPipeline, startAlerts, startDigest, startService, type Service } from './background.js';
import { createBot, type Bot } from './bot.js';

export interface Runtime {
  bot: Bot;
  url: string;
  service: Service;
  stop(): Promise<void>;
}

export interface RuntimeWiring {
  store: SqliteAuditStore;
  clock: Clock;
  logger: Logger;
  azure?: AzureDeps;
  /** The Fix line when the port is taken (the demo names its own command). */
  portInUseFix?: string;
  /** Called after each ingest run, once alerts and forwarding were told. */
  onChanges?: (c: ChangeSet, service: Service) => void;
}

export async function startRuntime(config: Config, deps: RuntimeWiring): Promise<Runtime> {
  const { store, clock, logger } = deps;
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop();
  };
  try {
    const bot = await createBot(config, {
      store,
      clock,
      logger,
      ingestEnabled: true,
      ...(deps.azure ? { azure: deps.azure } : {}),
    });
    const { url } = await bot.start().catch((err: Error & { code?: string }) => {
      const fix = deps.portInUseFix ?? 'stop the other program, or set PORT to a free port.';
      if (err.code === 'EADDRINUSE') throw new UsageError(`Port ${config.bot.port} is in use. Fix: ${fix}`);
      throw err;
    });
    stops.push(() => bot.stop());
    logger.info('listening', { url, messages: `${url}/api/messages`, health: `${url}/healthz` });
    const alerts = startAlerts(buildAlertPipeline(config, { store, bot, clock, logger }), { clock, logger });
    stops.push(() => alerts.stop());
    const digest = startDigest(config, { store, bot, clock, logger });
    stops.push(() => digest.stop());
    const forwarder = buildForwarder(config, { store, clock, logger, ...(deps.azure ? { azure: deps.azure } : {}) });
    const forwardEvery = config.logAnalytics.forward?.intervalMs;
    const forwarding =
      forwarder && forwardEvery !== undefined ? startForwarding(forwarder, forwardEvery, { clock, logger }) : undefined;
    if (forwarding) stops.push(() => forwarding.stop());
    const service: Service = startService(config, {
      store,
      clock,
      logger,
      onChanges: (c) => {
        void alerts.runNow();
        void forwarding?.runNow();
        deps.onChanges?.(c, service);
      },
    });
    stops.push(() => service.stop());
    return { bot, url, service, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
