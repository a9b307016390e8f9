/** `defender-audit-bot start`: the bot and the scheduled ingest until SIGTERM or SIGINT, then a clean stop. */
import { DefaultAzureCredential } from '@azure/identity';
import { systemClock } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { createPinoLogger } from '../core/pino-logger.js';
import { loadConfig, summarizeConfig, type Env } from '../config/config.js';
import { openSqliteStore } from '../store/sqlite-store.js';
import type { AzureDeps } from './azure.js';
import { startRuntime, type Runtime } from './runtime.js';

export async function main(env: Env): Promise<void> {
  const config = loadConfig(env, ['defender']);
  const logger = createPinoLogger({ level: config.log.level });
  logger.info('starting', { config: summarizeConfig(config) });
  // Listened for from the start: a SIGTERM while starting (the server is up, the scheduler not yet)
  // still ends in a clean stop instead of the default kill.
  const stopSignal = waitForStopSignal(logger);
  const store = openSqliteStore({ path: config.store.path, locking: config.store.locking, check: 'quick' });
  // A damaged store: the bot still starts, so that /healthz reports it (503) and chat says why, but
  // nothing is answered from the file nor written to it (every store operation throws the error).
  const corrupt = store.corruption();
  if (corrupt) logger.error('the store is damaged', { error: describeError(corrupt), code: corrupt.code });
  // One credential (and token cache) for every Azure Monitor client of the process.
  const la = config.logAnalytics;
  const usesAzure = la.forward !== undefined || la.queryBackend === 'log-analytics';
  const azure: AzureDeps | undefined = usesAzure ? { credential: new DefaultAzureCredential() } : undefined;
  let runtime: Runtime | undefined;
  try {
    runtime = await startRuntime(config, { store, clock: systemClock, logger, ...(azure ? { azure } : {}) });
    await stopSignal;
  } finally {
    try {
      await runtime?.stop();
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
