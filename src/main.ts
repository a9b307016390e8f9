/**
 * The composition root: the only place (with cli.ts) that constructs concrete implementations and
 * reads the process environment. Everything else receives its dependencies.
 */
import { readFileSync } from 'node:fs';
import { systemClock, type Clock } from './core/clock.js';
import type { Logger } from './core/logger.js';
import { createPinoLogger } from './core/pino-logger.js';
import { ConfigError, describeError } from './core/errors.js';
import { loadConfig, requireDefender, summarizeConfig, type Config, type DefenderConfig, type Env } from './config/config.js';
import { createCallBudget } from './defender/budget.js';
import { createDefenderClient, type DefenderClient } from './defender/client.js';
import { createHttpTransport } from './defender/http.js';
import { createMsalTokenProvider } from './defender/token.js';
import { runOnce, type ChangeSet, type IngestProgress, type IngestSettings } from './ingest/run-once.js';
import { createIntervalRunner, type IntervalRunner } from './schedule/interval.js';
import { openSqliteStore, type SqliteAuditStore } from './store/sqlite-store.js';

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

// ── The service: scheduled ingest (the Teams bot joins in a later part) ───────────────────────

export interface Service {
  store: SqliteAuditStore;
  client: DefenderClient;
  runner: IntervalRunner;
  stop(): Promise<void>;
}

/**
 * Starts the scheduled ingest from configuration. `onChanges` receives each run's change set (the
 * alerting pipeline hooks in here).
 */
export function startService(
  config: Config,
  deps: { clock?: Clock; logger: Logger; onChanges?: (c: ChangeSet) => void; onProgress?: (p: IngestProgress) => void },
): Service {
  const clock = deps.clock ?? systemClock;
  const defender = requireDefender(config);
  deps.logger.info('starting', { config: summarizeConfig(config) });
  const store = openSqliteStore({ path: config.store.path });
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
      store.close();
    },
  };
}

/** `defender-audit-bot start`: runs until SIGTERM or SIGINT, then stops cleanly. */
export async function main(env: Env = process.env): Promise<void> {
  const config = loadConfig(env, ['defender']);
  const logger = buildLogger(config);
  const service = startService(config, { logger });
  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals): void => {
      logger.info('stopping', { signal: sig });
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  try {
    await service.stop();
  } catch (err) {
    logger.error('error while stopping', { error: describeError(err) });
    process.exitCode = 1;
  }
}
