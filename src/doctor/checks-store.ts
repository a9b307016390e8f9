/** The store check: reads the SQLite store (read-only) and reports its state, or whether one can be created. */
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Clock } from '../core/clock.js';
import { inspectSqliteStore } from '../store/inspect.js';
import { storeFix } from '../store/sqlite-errors.js';
import { NO_CONFIG, failure, ok, skip, type DoctorContext } from './context.js';
import type { DoctorOutcome } from './doctor.js';

export interface StoreCheckOptions {
  clock: Clock;
  /** `doctor --deep`: the full `integrity_check` instead of `quick_check`. */
  deep: boolean;
}

/** The integrity check stops at this many findings (src/store/sqlite-errors.ts), so that many means "or more". */
const MAX_INTEGRITY_FINDINGS = 20;

const fmt = (n: number): string => n.toLocaleString('en-US');

/** An ISO time with how long ago it was, from `nowMs` (milliseconds since the epoch). */
function ago(iso: string, nowMs: number): string {
  const ms = nowMs - Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  if (ms < 0) return `${iso} (in the future: check the clock)`;
  const min = Math.round(ms / 60_000);
  if (min < 1) return `${iso} (just now)`;
  if (min < 120) return `${iso} (${min} min ago)`;
  const h = Math.round(min / 60);
  return h < 48 ? `${iso} (${h} h ago)` : `${iso} (${Math.round(h / 24)} days ago)`;
}

/** The nearest existing folder on the way up from `path`'s folder. */
function nearestExistingDir(path: string): string {
  let dir = dirname(resolve(path));
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** Needs `ctx.config`: the store at STORE_PATH, never written to. */
export function checkStore(ctx: DoctorContext, options: StoreCheckOptions): DoctorOutcome {
  const config = ctx.config;
  if (config === undefined) return skip(NO_CONFIG);
  const path = config.store.path;
  let found: ReturnType<typeof inspectSqliteStore>;
  try {
    found = inspectSqliteStore(path, { deep: options.deep, locking: config.store.locking });
  } catch (err) {
    return failure(err, 'check STORE_PATH.');
  }
  if (found !== undefined && found.integrity.length > 0) {
    const n = found.integrity.length;
    const more = n > 1 ? `, and ${n - 1}${n === MAX_INTEGRITY_FINDINGS ? ' or more' : ''} more findings` : '';
    return {
      status: 'fail',
      detail: `${path} is damaged (${found.integrityCheck}: ${found.integrity[0] ?? ''}${more})`,
      fix: storeFix('corrupt', path, config.store.locking),
    };
  }
  if (found === undefined) {
    const dir = nearestExistingDir(path);
    try {
      accessSync(dir, constants.W_OK);
    } catch {
      return {
        status: 'fail',
        detail: `no store at ${path}, and ${dir} is not writable, so none can be created`,
        fix: 'set STORE_PATH to a file in a folder the bot can write to.',
      };
    }
    return {
      status: 'warn',
      detail: `no store at ${path} yet`,
      fix: 'it is created by the first "defender-audit-bot ingest --once" or "start"; set STORE_PATH if the store lives elsewhere.',
    };
  }
  if (found.schemaVersion === 0 || found.actions === null) {
    return {
      status: 'fail',
      detail: `${path} is not a defender-audit-bot store (no schema version or actions table)`,
      fix: "set STORE_PATH to the bot's database, or move this file away.",
    };
  }
  if (found.schemaVersion > found.latestVersion) {
    return {
      status: 'fail',
      detail: `${path} is at schema version ${found.schemaVersion}, newer than this program knows (${found.latestVersion})`,
      fix: 'run the newer version of defender-audit-bot that wrote it, or restore a backup taken before the upgrade.',
    };
  }
  const facts = [`${path}: schema version ${found.schemaVersion}`, `${fmt(found.actions)} actions`];
  if (found.forwardBacklog !== null && found.forwardBacklog > 0) {
    facts.push(`${fmt(found.forwardBacklog)} versions waiting to be forwarded to Log Analytics`);
  }
  const nowMs = options.clock.now();
  facts.push(
    found.lastSuccessAt === null
      ? 'no ingest has succeeded yet'
      : `last successful ingest ${ago(found.lastSuccessAt, nowMs)}`,
  );
  const detail = facts.join(', ');
  if (found.schemaVersion < found.latestVersion) {
    return {
      status: 'warn',
      detail: `${detail}; the next start migrates it to schema version ${found.latestVersion}`,
      fix: 'nothing to do; back the file up first if you may need to go back to the older version.',
    };
  }
  if (found.lastErrorAt !== null && (found.lastSuccessAt === null || found.lastErrorAt > found.lastSuccessAt)) {
    return {
      status: 'warn',
      detail: `${detail}; the last run failed ${ago(found.lastErrorAt, nowMs)}: ${found.lastError ?? 'no message'}`,
      fix: 'see the checks above; "defender-audit-bot ingest --once" shows the error in full.',
    };
  }
  if (found.lastSuccessAt === null) {
    return { status: 'warn', detail, fix: 'run "defender-audit-bot ingest --once" or "start".' };
  }
  return ok(detail);
}
