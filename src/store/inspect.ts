import { existsSync } from 'node:fs';
import DatabaseConstructor, { type Database } from 'better-sqlite3';
import { StoreError } from '../core/errors.js';
import { MIGRATIONS } from './migrations.js';

/** What `doctor` reports about a store file, read without changing it. */
export interface StoreInspection {
  /** Schema version of the file (0 when it has no migrations table). */
  schemaVersion: number;
  /** Newest schema version this program knows. */
  latestVersion: number;
  /** Stored actions, or null when the actions table does not exist. */
  actions: number | null;
  lastSuccessAt: string | null;
  lastErrorAt: string | null;
  lastError: string | null;
  runsTotal: number;
  runsFailed: number;
  /** Versions waiting to be forwarded to Log Analytics, or null when there is no outbox table. */
  forwardBacklog: number | null;
}

/**
 * Opens the store read-only (no migration, no file created) and reads its schema version, action
 * count and ingest state. Returns undefined when there is no file at `path`; throws StoreError when
 * the file cannot be read as a SQLite database.
 */
export function inspectSqliteStore(path: string): StoreInspection | undefined {
  if (path === ':memory:' || !existsSync(path)) return undefined;
  let db: Database | undefined;
  try {
    db = new DatabaseConstructor(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]).map((t) => t.toLowerCase()));
    const schemaVersion = tables.has('schema_migrations') ? ((db.prepare('SELECT max(version) FROM schema_migrations').pluck().get() as number | null) ?? 0) : 0;
    const actions = tables.has('actions') ? (db.prepare('SELECT count(*) FROM actions').pluck().get() as number) : null;
    const state = tables.has('ingest_state')
      ? (db.prepare('SELECT last_success_at, last_error_at, last_error, runs_total, runs_failed FROM ingest_state WHERE id = 1').get() as
          | { last_success_at: string | null; last_error_at: string | null; last_error: string | null; runs_total: number; runs_failed: number }
          | undefined)
      : undefined;
    const forwardBacklog = tables.has('forward_outbox') ? (db.prepare('SELECT count(*) FROM forward_outbox').pluck().get() as number) : null;
    return {
      schemaVersion,
      latestVersion: MIGRATIONS.reduce((m, x) => Math.max(m, x.version), 0),
      actions,
      lastSuccessAt: state?.last_success_at ?? null,
      lastErrorAt: state?.last_error_at ?? null,
      lastError: state?.last_error ?? null,
      runsTotal: state?.runs_total ?? 0,
      runsFailed: state?.runs_failed ?? 0,
      forwardBacklog,
    };
  } catch (err) {
    throw new StoreError(`Cannot read the store at ${path}: ${(err as Error).message}`, {
      cause: err,
      fix: 'Check STORE_PATH: the file must be a defender-audit-bot SQLite database readable by the bot (and its folder writable, for the WAL files).',
    });
  } finally {
    db?.close();
  }
}
