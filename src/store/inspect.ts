import { existsSync } from 'node:fs';
import DatabaseConstructor, { type Database } from 'better-sqlite3';
import { StoreError } from '../core/errors.js';
import { MIGRATIONS } from './migrations.js';
import { integrityFindings, storeFaultOf, storeFix } from './sqlite-errors.js';

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
  /** What SQLite's integrity check found (at most 20; empty: sound). */
  integrity: string[];
  /** Which check ran: `quick_check`, or the full `integrity_check` (`deep`). */
  integrityCheck: 'quick_check' | 'integrity_check';
}

/**
 * Opens the store read-only (no migration, no file created), runs SQLite's integrity check
 * (`quick_check`, or `integrity_check` with `deep`) and reads its schema version, action count and
 * ingest state. Returns undefined when there is no file at `path`; throws StoreError (with the
 * fault and its Fix line where SQLite names one) when the file cannot be read as a SQLite database.
 */
export function inspectSqliteStore(
  path: string,
  options: { deep?: boolean; locking?: 'normal' | 'exclusive' } = {},
): StoreInspection | undefined {
  if (path === ':memory:' || !existsSync(path)) return undefined;
  let db: Database | undefined;
  try {
    db = new DatabaseConstructor(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const integrityCheck = options.deep === true ? 'integrity_check' : 'quick_check';
    const integrity = integrityFindings(db, options.deep === true);
    const latestVersion = MIGRATIONS.reduce((m, x) => Math.max(m, x.version), 0);
    if (integrity.length > 0) {
      // Counts over a damaged file may be wrong or fail: report the damage alone.
      return {
        schemaVersion: 0,
        latestVersion,
        actions: null,
        lastSuccessAt: null,
        lastErrorAt: null,
        lastError: null,
        runsTotal: 0,
        runsFailed: 0,
        forwardBacklog: null,
        integrity,
        integrityCheck,
      };
    }
    const tables = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]).map((t) =>
        t.toLowerCase(),
      ),
    );
    const schemaVersion = tables.has('schema_migrations')
      ? ((db.prepare('SELECT max(version) FROM schema_migrations').pluck().get() as number | null) ?? 0)
      : 0;
    const actions = tables.has('actions') ? (db.prepare('SELECT count(*) FROM actions').pluck().get() as number) : null;
    const state = tables.has('ingest_state')
      ? (db
          .prepare(
            'SELECT last_success_at, last_error_at, last_error, runs_total, runs_failed FROM ingest_state WHERE id = 1',
          )
          .get() as
          | {
              last_success_at: string | null;
              last_error_at: string | null;
              last_error: string | null;
              runs_total: number;
              runs_failed: number;
            }
          | undefined)
      : undefined;
    const forwardBacklog = tables.has('forward_outbox')
      ? (db.prepare('SELECT count(*) FROM forward_outbox').pluck().get() as number)
      : null;
    return {
      schemaVersion,
      latestVersion,
      actions,
      lastSuccessAt: state?.last_success_at ?? null,
      lastErrorAt: state?.last_error_at ?? null,
      lastError: state?.last_error ?? null,
      runsTotal: state?.runs_total ?? 0,
      runsFailed: state?.runs_failed ?? 0,
      forwardBacklog,
      integrity,
      integrityCheck,
    };
  } catch (err) {
    const fault = storeFaultOf(err);
    throw new StoreError(`Cannot read the store at ${path}: ${(err as Error).message}`, {
      cause: err,
      ...(fault !== undefined ? { fault } : {}),
      fix:
        fault === undefined || fault === 'readonly' || (err as { code?: unknown }).code === 'SQLITE_NOTADB'
          ? 'Check STORE_PATH: the file must be a defender-audit-bot SQLite database readable by the bot (and its folder writable, for the WAL files); ' +
            'if it is the bot\'s store, its header is damaged: restore the last backup (README, "Operations", Backup).'
          : storeFix(fault, path, options.locking),
    });
  } finally {
    db?.close();
  }
}
