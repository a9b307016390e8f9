import { readFileSync } from 'node:fs';
import { parseArgs, parseEnv, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { createPinoLogger } from '../../core/pino-logger.js';
import type { Config, Env } from '../../config/config.js';
import { openSqliteStore, type SqliteAuditStore } from '../../store/sqlite-store.js';

/** What the subcommands share: options, environment files, the store, the log. */

/** Reads `--env` files (Node's .env syntax); the process environment wins over them. */
export function withEnvFiles(files: string[] | undefined, env: Env): Env {
  let merged: Record<string, string | undefined> = {};
  for (const f of files ?? []) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (err) {
      throw new UsageError(`--env ${f}: ${(err as Error).message}`);
    }
    merged = { ...merged, ...parseEnv(text) };
  }
  return { ...merged, ...env };
}

/**
 * Opens the store for a one-shot command after SQLite's quick integrity check: a damaged file is
 * never answered from nor written to (the error carries the Fix line, exit 1).
 */
export function openCheckedStore(options: { path: string; locking: 'normal' | 'exclusive' }): SqliteAuditStore {
  const store = openSqliteStore({ path: options.path, locking: options.locking, check: 'quick' });
  const corrupt = store.corruption();
  if (corrupt) {
    store.close();
    throw corrupt;
  }
  return store;
}

type PinoDestination = NonNullable<Parameters<typeof createPinoLogger>[0]>['destination'];
export const STDERR = process.stderr as unknown as PinoDestination;

/**
 * The log of a one-shot command: JSON lines on standard error, warnings and errors only unless
 * LOG_LEVEL asks for more detail (debug, trace), so that standard output holds only the answer.
 */
export function commandLogger(config: Config): Logger {
  return createPinoLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level, destination: STDERR });
}

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, usage: string) {
  try {
    return parseArgs({ args, options, strict: true as const, allowPositionals: false as const });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nUsage: ${usage}`);
  }
}

export function parseWithText<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  usage: string,
) {
  try {
    return parseArgs({ args, options, strict: true as const, allowPositionals: true as const });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nUsage: ${usage}`);
  }
}

export const ASK_FORMATS = ['text', 'card', 'json', 'csv', 'kql'] as const;

export function intOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got "${value}").`);
  return n;
}

export const fmt = (n: number): string => n.toLocaleString('en-US');

/** Resolves on the first SIGINT or SIGTERM. */
export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
