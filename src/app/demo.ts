/**
 * The demo: the MDE API simulator with live activity, the scheduled ingest, the bot
 * (unauthenticated, loopback only) with alerts and the digest, and the Microsoft 365 Agents
 * Playground pointed at the bot, all on this machine.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { systemClock } from '../core/clock.js';
import { createFileLogger, createPinoLogger } from '../core/pino-logger.js';
import { loadConfig, type Config, type Env } from '../config/config.js';
import { startPlayground, type Playground } from '../demo/playground.js';
import type { ChangeSet } from '../ingest/run-once.js';
import { APPS, createSimulator, type Simulator } from '../simulator/index.js';
import { openSqliteStore, type SqliteAuditStore } from '../store/sqlite-store.js';
import type { Service } from './background.js';
import { startRuntime } from './runtime.js';

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
  logLevel: Config['log']['level'];
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

/** Starts the whole product locally. Everything stops with `stop()`, also when start-up fails halfway. */
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
        ? createPinoLogger({ level })
        : createFileLogger({ path: options.logFile, fileLevel: level, console: process.stderr, consoleLevel: 'warn' });
    const store = openSqliteStore({ path: options.storePath, check: 'quick' });
    stops.push(() => store.close());
    const runtime = await startRuntime(config, {
      store,
      clock: systemClock,
      logger,
      portInUseFix: 'stop the other program, or run with PORT=<free port> npm run demo.',
      ...(options.onChanges ? { onChanges: options.onChanges } : {}),
    });
    stops.push(() => runtime.stop());
    const playground = await startPlayground({
      botMessagesUrl: `${runtime.url}/api/messages`,
      port: options.playgroundPort,
      cwd: join(dirname(options.storePath), 'playground'),
      env: options.env,
      logger,
    });
    stops.push(() => playground.stop());
    return { sim, store, config, botUrl: runtime.url, playground, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
