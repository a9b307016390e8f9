import { StoreError, type StoreFault } from '../core/errors.js';

/**
 * SQLite's failures, mapped to the store fault they are and the one thing an operator does about
 * it. better-sqlite3 throws SqliteError with SQLite's extended result code name in `code`
 * (`SQLITE_CORRUPT_INDEX`, `SQLITE_IOERR_WRITE`, ...); the primary code is its prefix.
 */

/** The README section that says how to back up and restore the store. */
const BACKUP_SECTION = 'README, "Operations", Backup';

/** The fault an error from better-sqlite3 (or an earlier StoreError) stands for, if any. */
export function storeFaultOf(err: unknown): StoreFault | undefined {
  if (err instanceof StoreError) return err.fault;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'corrupt';
  if (code === 'SQLITE_FULL') return 'full';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'locked';
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM')
    return 'readonly';
  return undefined;
}

/** The Fix line for a fault of the store at `path`. */
export function storeFix(fault: StoreFault, path: string, locking: 'normal' | 'exclusive' = 'normal'): string {
  switch (fault) {
    case 'corrupt':
      return (
        `the store file is damaged and the bot will not answer from it. Stop the bot, move ${path} (with its -wal and -shm files) aside, ` +
        `restore the last backup in its place (${BACKUP_SECTION}), and start again: ingest then fetches what changed since that backup. ` +
        '`defender-audit-bot doctor --deep` runs the full integrity check.'
      );
    case 'full':
      return `the volume that holds ${path} has no space left. Free space on it (or grow it); nothing of the failed write was kept, and the next run retries it.`;
    case 'locked':
      return locking === 'exclusive'
        ? 'with STORE_LOCKING=exclusive only one process may open the store: stop the running bot first (ask, digest --print and doctor read it while the bot is stopped).'
        : `another process holds the lock on ${path} (a running bot, or a backup in progress): wait for it to finish, or stop it, and try again.`;
    case 'readonly':
      return `the bot cannot write ${path}: make the file and its folder writable by the bot's user (the WAL files are created beside it).`;
  }
}

/**
 * SQLite's integrity check on an open database: `quick_check`, or the full `integrity_check` with
 * `deep`; at most 20 findings, empty when the file is sound. A file too damaged to be checked at all
 * (SQLITE_CORRUPT) gives the error as its finding; anything else thrown (a lock, SQLITE_NOTADB: no
 * SQLite header, more likely a wrong STORE_PATH than damage) is rethrown as it is.
 */
export function integrityFindings(
  db: { prepare(sql: string): { pluck(): { all(): unknown[] } } },
  deep: boolean,
): string[] {
  try {
    return (
      db
        .prepare(`PRAGMA ${deep ? 'integrity_check' : 'quick_check'}(20)`)
        .pluck()
        .all() as string[]
    ).filter((f) => f !== 'ok');
  } catch (err) {
    if (storeFaultOf(err) !== 'corrupt' || (err as { code?: unknown }).code === 'SQLITE_NOTADB') throw err;
    return [(err as Error).message];
  }
}

/** A StoreError for anything thrown by a store operation, with the fault and its Fix line when SQLite names one. */
export function toStoreError(
  err: unknown,
  message: string,
  path: string,
  locking?: 'normal' | 'exclusive',
): StoreError {
  if (err instanceof StoreError) return err;
  const fault = storeFaultOf(err);
  const text = `${message}: ${(err as Error).message}`;
  return fault === undefined
    ? new StoreError(text, { cause: err })
    : new StoreError(text, { cause: err, fault, fix: storeFix(fault, path, locking) });
}
