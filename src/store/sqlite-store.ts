import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createHash } from 'node:crypto';
import DatabaseConstructor, { type Database } from 'better-sqlite3';
import { StoreError } from '../core/errors.js';
import type { ConvRef } from '../core/conversation.js';
import type { MachineAction } from '../core/types.js';
import { normalizeTimestamp } from '../core/timestamps.js';
import { migrate } from './migrations.js';
import { integrityFindings, storeFix, toStoreError } from './sqlite-errors.js';
import type {
  ActionChange,
  AuditStore,
  IngestMode,
  IngestState,
  PageOutcome,
  PageWrite,
  QuarantineRecord,
  RunRecord,
  RunStats,
  StatusChange,
} from './types.js';

export interface SqliteStoreOptions {
  /** File path, or ':memory:'. The parent folder is created when missing. */
  path: string;
  /**
   * 'exclusive' (STORE_LOCKING): `locking_mode = EXCLUSIVE` before WAL is enabled, so SQLite never
   * uses the `-shm` shared-memory file (unreliable on network shares), and the lock is taken at
   * open and held until close: a second process gets a clear error instead of a corrupt file.
   */
  locking?: 'normal' | 'exclusive';
  /** How long to wait for a lock held by another connection, ms. Default 5,000. */
  busyTimeoutMs?: number;
  /**
   * 'quick': run `PRAGMA quick_check` once the store is open (about 0.5 s per 200,000 actions), so
   * that a damaged file is known before anything is answered from it (`corruption()`). Default 'none'.
   */
  check?: 'quick' | 'none';
}

export interface SqliteAuditStore extends AuditStore {
  /** The underlying handle, for the query layer (read-only use). */
  readonly db: Database;
  /**
   * Runs SQLite's integrity check (`quick_check`, or the full `integrity_check` with `deep`) and
   * returns its findings, at most 20 (empty: the file is sound). Findings latch `corruption()`.
   */
  checkIntegrity(deep?: boolean): string[];
  /**
   * The error every operation throws once the file is known to be damaged (an integrity check found
   * problems, or SQLite reported SQLITE_CORRUPT / SQLITE_NOTADB), with the Fix line; else undefined.
   * Latched until the process ends: a damaged file is never answered from, nor written to, again.
   */
  corruption(): StoreError | undefined;
  /** Notes an error that came from this store's database outside its own methods (the query layer). */
  noteError(err: unknown): void;
}

/** bot_state key holding when forwarding was enabled; present exactly while it is on. */
const FORWARDING_KEY = 'forwarding.loganalytics.enabledAt';

/** Lower-case full device name and lower-case short name (the part before the first dot). */
export function deviceKeys(computerDnsName: string | null): { full: string | null; short: string | null } {
  if (computerDnsName === null || computerDnsName === '') return { full: null, short: null };
  const full = computerDnsName.toLowerCase();
  const dot = full.indexOf('.');
  return { full, short: dot === -1 ? full : full.slice(0, dot) };
}

function mustNormalize(text: string | null, field: string, id: string): string | null {
  if (text === null) return null;
  const n = normalizeTimestamp(text);
  if (n === undefined)
    throw new StoreError(`Action ${id}: ${field} "${text}" is not a timestamp; validation should have quarantined it.`);
  return n;
}

/**
 * Opens (creating and migrating as needed) the SQLite audit store. WAL journal, synchronous=NORMAL:
 * a committed page survives a process crash; after a power loss the last transactions may roll
 * back, and the cursor rolls back with them (it is written in the same transaction).
 */
export function openSqliteStore(options: SqliteStoreOptions): SqliteAuditStore {
  let db: Database;
  try {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    db = new DatabaseConstructor(options.path);
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    if (options.locking === 'exclusive') {
      db.pragma('locking_mode = EXCLUSIVE');
      // Take the write lock now (it is then held until close): fail at start, not mid-ingest.
      db.exec('BEGIN IMMEDIATE; COMMIT');
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // 32 MiB page cache (default 2 MiB): the secondary indexes of a large store stay in memory, which
    // halves the system time of a bulk backfill. Checkpoint the WAL every 16,384 pages (64 MiB)
    // instead of 1,000, so a backfill does not rewrite the database every few pages.
    db.pragma('cache_size = -32768');
    db.pragma('wal_autocheckpoint = 16384');
    db.pragma('foreign_keys = ON');
    migrate(db);
  } catch (err) {
    if (err instanceof StoreError) throw err;
    const e = toStoreError(err, `Cannot open the store at ${options.path}`, options.path, options.locking);
    if (e.fault === 'locked')
      throw new StoreError(`The store at ${options.path} is locked by another process.`, {
        cause: err,
        fault: 'locked',
        fix: e.fix ?? '',
      });
    if (e.fault !== undefined) throw e;
    throw new StoreError(e.message, {
      cause: err,
      fix: 'Check STORE_PATH: its folder must be writable by the bot, and the file must be a defender-audit-bot SQLite database.',
    });
  }
  const store = createSqliteStore(db, options.path, options.locking ?? 'normal');
  if (options.check === 'quick') store.checkIntegrity();
  return store;
}

function createSqliteStore(db: Database, path: string, locking: 'normal' | 'exclusive'): SqliteAuditStore {
  const selectExisting = db.prepare('SELECT status, last_update_time, seq FROM actions WHERE id = ?').raw(true);
  const insertAction = db.prepare(`INSERT INTO actions (
      id, type, title, requestor, requestor_comment, status, machine_id, computer_dns_name, device_name_lc, device_short_lc,
      creation_time, last_update_time, cancellation_requestor, cancellation_comment, cancellation_time, error_hresult,
      scope, external_id, request_source, raw, first_seen_at, updated_at, first_run_id)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const updateAction = db.prepare(`UPDATE actions SET
      type = ?, title = ?, requestor = ?, requestor_comment = ?, status = ?, machine_id = ?, computer_dns_name = ?,
      device_name_lc = ?, device_short_lc = ?, creation_time = ?, last_update_time = ?, cancellation_requestor = ?,
      cancellation_comment = ?, cancellation_time = ?, error_hresult = ?, scope = ?, external_id = ?, request_source = ?,
      raw = ?, updated_at = ?
    WHERE id = ?`);
  const insertHistory = db.prepare(
    'INSERT OR IGNORE INTO action_status_history (action_seq, status, changed_at, observed_at, run_id) VALUES (?, ?, ?, ?, ?)',
  );
  const upsertQuarantine =
    db.prepare(`INSERT INTO quarantine (raw_sha256, action_id, raw, reason, first_seen_at, last_seen_at, seen_count)
      VALUES (?, ?, ?, ?, ?, ?, 1)
      ON CONFLICT (raw_sha256) DO UPDATE SET last_seen_at = excluded.last_seen_at, seen_count = seen_count + 1`);
  const recordForward = db.prepare('INSERT INTO forward_outbox (action_seq, raw) VALUES (?, ?)');
  /** Whether applyPage records versions for forwarding (mirrors the durable FORWARDING_KEY). */
  let forwarding = db.prepare('SELECT 1 FROM bot_state WHERE key = ?').pluck().get(FORWARDING_KEY) !== undefined;
  const logChange = db.prepare(
    'INSERT INTO action_changes (action_seq, kind, status, previous_status, backfill, run_id, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const latestIsolation = db
    .prepare(
      `SELECT seq, type, creation_time FROM actions
        WHERE machine_id = ? AND type IN ('Isolate', 'Unisolate') AND status IN ('Succeeded', 'Pending', 'InProgress')
        ORDER BY creation_time DESC, seq DESC LIMIT 1`,
    )
    .raw(true);
  const upsertIsolation = db.prepare(
    `INSERT INTO machine_isolation (machine_id, action_seq, isolated, since) VALUES (?, ?, ?, ?)
     ON CONFLICT (machine_id) DO UPDATE SET action_seq = excluded.action_seq, isolated = excluded.isolated, since = excluded.since`,
  );
  const deleteIsolation = db.prepare('DELETE FROM machine_isolation WHERE machine_id = ?');
  /** Recomputes a machine's isolation state after one of its Isolate/Unisolate actions was written. */
  const refreshIsolation = (machineId: string): void => {
    const latest = latestIsolation.get(machineId) as [number, string, string] | undefined;
    if (latest === undefined) deleteIsolation.run(machineId);
    else upsertIsolation.run(machineId, latest[0], latest[1] === 'Isolate' ? 1 : 0, latest[2]);
  };
  const advanceCursor = db.prepare(
    'UPDATE ingest_state SET cursor = ? WHERE id = 1 AND (cursor IS NULL OR cursor < ?)',
  );

  const applyPage = db.transaction((page: PageWrite): PageOutcome => {
    const changes: ActionChange[] = [];
    let unchanged = 0;
    for (const a of page.items) {
      const creation = mustNormalize(a.creationDateTimeUtc, 'creationDateTimeUtc', a.id) as string;
      const lastUpdate = mustNormalize(a.lastUpdateDateTimeUtc, 'lastUpdateDateTimeUtc', a.id) as string;
      const cancellation = mustNormalize(a.cancellationDateTimeUtc, 'cancellationDateTimeUtc', a.id);
      const existing = selectExisting.get(a.id) as [string, string, number] | undefined;
      if (existing !== undefined && lastUpdate <= existing[1]) {
        // Same or older version (overlap window, replay, keyset re-read): nothing to do.
        unchanged++;
        continue;
      }
      const dev = deviceKeys(a.computerDnsName);
      const raw = JSON.stringify(a);
      if (existing === undefined) {
        const seq = insertAction.run(
          a.id,
          a.type,
          a.title,
          a.requestor,
          a.requestorComment,
          a.status,
          a.machineId,
          a.computerDnsName,
          dev.full,
          dev.short,
          creation,
          lastUpdate,
          a.cancellationRequestor,
          a.cancellationComment,
          cancellation,
          a.errorHResult,
          a.scope,
          a.externalId,
          a.requestSource,
          raw,
          page.observedAt,
          page.observedAt,
          page.runId,
        ).lastInsertRowid;
        insertHistory.run(seq, a.status, lastUpdate, page.observedAt, page.runId);
        if (forwarding) recordForward.run(seq, raw);
        if (!page.backfill) logChange.run(seq, 'new', a.status, null, 0, page.runId, page.observedAt);
        changes.push({ kind: 'new', action: a, previousStatus: null, backfill: page.backfill, runId: page.runId });
      } else {
        updateAction.run(
          a.type,
          a.title,
          a.requestor,
          a.requestorComment,
          a.status,
          a.machineId,
          a.computerDnsName,
          dev.full,
          dev.short,
          creation,
          lastUpdate,
          a.cancellationRequestor,
          a.cancellationComment,
          cancellation,
          a.errorHResult,
          a.scope,
          a.externalId,
          a.requestSource,
          raw,
          page.observedAt,
          a.id,
        );
        if (forwarding) recordForward.run(existing[2], raw);
        const previousStatus = existing[0];
        if (previousStatus !== a.status) {
          insertHistory.run(existing[2], a.status, lastUpdate, page.observedAt, page.runId);
          if (!page.backfill)
            logChange.run(existing[2], 'statusChanged', a.status, previousStatus, 0, page.runId, page.observedAt);
          changes.push({
            kind: 'statusChanged',
            action: a,
            previousStatus,
            backfill: page.backfill,
            runId: page.runId,
          });
        } else {
          changes.push({ kind: 'updated', action: a, previousStatus, backfill: page.backfill, runId: page.runId });
        }
      }
    }
    for (const c of changes) {
      if (c.action.type === 'Isolate' || c.action.type === 'Unisolate') refreshIsolation(c.action.machineId);
    }
    for (const q of page.quarantined) {
      const sha = createHash('sha256').update(q.raw).digest('hex');
      upsertQuarantine.run(sha, q.actionId, q.raw, q.reason, page.observedAt, page.observedAt);
    }
    if (page.cursor !== null) advanceCursor.run(page.cursor, page.cursor);
    return { changes, unchanged, quarantined: page.quarantined.length };
  });

  /** Set once the file is known to be damaged; every operation then throws it. */
  let corrupt: StoreError | undefined;
  /** The StoreError for anything a statement threw (StoreErrors pass as they are); damage latches. */
  const note = (err: unknown, what: string): StoreError => {
    const e = toStoreError(err, what, path, locking);
    if (e.fault === 'corrupt') corrupt ??= e;
    return e;
  };
  const wrap = <T>(what: string, fn: () => T): T => {
    if (corrupt) throw corrupt;
    try {
      return fn();
    } catch (err) {
      throw note(err, `Store ${what} failed`);
    }
  };

  interface StateRow {
    cursor: string | null;
    mode: IngestMode;
    mode_reason: string | null;
    backfill_completed_at: string | null;
    last_run_started_at: string | null;
    last_success_at: string | null;
    last_error_at: string | null;
    last_error: string | null;
    runs_total: number;
    runs_failed: number;
  }
  interface RunRow {
    id: number;
    started_at: string;
    finished_at: string | null;
    ok: number | null;
    backfill: number;
    error: string | null;
    stats: string;
  }

  return {
    db,
    checkIntegrity(deep = false) {
      let findings: string[];
      try {
        findings = integrityFindings(db, deep);
      } catch (err) {
        throw toStoreError(err, 'The integrity check failed', path, locking);
      }
      if (findings.length > 0) {
        corrupt ??= new StoreError(
          `The store at ${path} is damaged: ${findings.length === 1 ? findings[0] : `${findings[0]} (and ${findings.length - 1} more findings)`}`,
          {
            fault: 'corrupt',
            fix: storeFix('corrupt', path, locking),
          },
        );
      }
      return findings;
    },
    corruption: () => corrupt,
    noteError(err) {
      note(err, 'The store failed');
    },
    enableForwarding(at) {
      return wrap('enableForwarding', () =>
        db.transaction(() => {
          if (db.prepare('SELECT 1 FROM bot_state WHERE key = ?').pluck().get(FORWARDING_KEY) !== undefined) {
            forwarding = true;
            return 0;
          }
          const seeded = db
            .prepare('INSERT INTO forward_outbox (action_seq, raw) SELECT seq, raw FROM actions ORDER BY seq')
            .run().changes;
          db.prepare('INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?)').run(FORWARDING_KEY, at, at);
          forwarding = true;
          return seeded;
        })(),
      );
    },
    disableForwarding() {
      return wrap('disableForwarding', () =>
        db.transaction(() => {
          const dropped = db.prepare('DELETE FROM forward_outbox').run().changes;
          db.prepare('DELETE FROM bot_state WHERE key = ?').run(FORWARDING_KEY);
          forwarding = false;
          return dropped;
        })(),
      );
    },
    forwardingEnabled() {
      return forwarding;
    },
    pendingForward(limit) {
      return wrap('pendingForward', () =>
        (
          db.prepare('SELECT seq, raw FROM forward_outbox ORDER BY seq LIMIT ?').all(limit) as {
            seq: number;
            raw: string;
          }[]
        ).map((r) => ({
          seq: r.seq,
          action: JSON.parse(r.raw) as MachineAction,
        })),
      );
    },
    ackForward(seq) {
      wrap('ackForward', () => db.prepare('DELETE FROM forward_outbox WHERE seq <= ?').run(seq));
    },
    forwardBacklog() {
      return wrap('forwardBacklog', () => db.prepare('SELECT count(*) FROM forward_outbox').pluck().get() as number);
    },
    beginRun(startedAt, backfill) {
      return wrap('beginRun', () =>
        db.transaction(() => {
          // Runs that never finished were cut short (crash, kill, power loss): record them as failed.
          const interrupted = db
            .prepare(
              "UPDATE ingest_runs SET finished_at = ?, ok = 0, error = 'interrupted: the process ended during the run' WHERE finished_at IS NULL",
            )
            .run(startedAt).changes;
          if (interrupted > 0) {
            db.prepare(
              "UPDATE ingest_state SET runs_failed = runs_failed + ?, last_error_at = ?, last_error = 'interrupted: the process ended during the run' WHERE id = 1",
            ).run(interrupted, startedAt);
          }
          db.prepare('UPDATE ingest_state SET last_run_started_at = ?, runs_total = runs_total + 1 WHERE id = 1').run(
            startedAt,
          );
          return Number(
            db.prepare('INSERT INTO ingest_runs (started_at, backfill) VALUES (?, ?)').run(startedAt, backfill ? 1 : 0)
              .lastInsertRowid,
          );
        })(),
      );
    },
    applyPage(page) {
      return wrap('applyPage', () => applyPage(page));
    },
    finishRun(runId, result) {
      wrap('finishRun', () =>
        db.transaction(() => {
          db.prepare('UPDATE ingest_runs SET finished_at = ?, ok = ?, error = ?, stats = ? WHERE id = ?').run(
            result.finishedAt,
            result.ok ? 1 : 0,
            result.error ?? null,
            JSON.stringify(result.stats),
            runId,
          );
          if (result.ok) {
            db.prepare('UPDATE ingest_state SET last_success_at = ? WHERE id = 1').run(result.finishedAt);
            // Refresh the query planner's statistics when SQLite thinks they are stale (cheap otherwise).
            db.pragma('optimize');
          } else {
            db.prepare(
              'UPDATE ingest_state SET last_error_at = ?, last_error = ?, runs_failed = runs_failed + 1 WHERE id = 1',
            ).run(result.finishedAt, result.error ?? 'unknown error');
          }
        })(),
      );
    },
    setMode(mode, reason) {
      wrap('setMode', () =>
        db.prepare('UPDATE ingest_state SET mode = ?, mode_reason = ? WHERE id = 1').run(mode, reason),
      );
    },
    markBackfillComplete(at) {
      wrap('markBackfillComplete', () =>
        db
          .prepare('UPDATE ingest_state SET backfill_completed_at = ? WHERE id = 1 AND backfill_completed_at IS NULL')
          .run(at),
      );
    },
    ingestState(): IngestState {
      const r = wrap('ingestState', () => db.prepare('SELECT * FROM ingest_state WHERE id = 1').get() as StateRow);
      return {
        cursor: r.cursor,
        mode: r.mode,
        modeReason: r.mode_reason,
        backfillCompletedAt: r.backfill_completed_at,
        lastRunStartedAt: r.last_run_started_at,
        lastSuccessAt: r.last_success_at,
        lastErrorAt: r.last_error_at,
        lastError: r.last_error,
        runsTotal: r.runs_total,
        runsFailed: r.runs_failed,
      };
    },
    lastRun(): RunRecord | undefined {
      const r = wrap(
        'lastRun',
        () => db.prepare('SELECT * FROM ingest_runs ORDER BY id DESC LIMIT 1').get() as RunRow | undefined,
      );
      if (r === undefined) return undefined;
      return {
        id: r.id,
        startedAt: r.started_at,
        finishedAt: r.finished_at,
        ok: r.ok === null ? null : r.ok === 1,
        backfill: r.backfill === 1,
        error: r.error,
        stats: JSON.parse(r.stats) as RunStats,
      };
    },
    getAction(id) {
      const r = wrap(
        'getAction',
        () => db.prepare('SELECT raw FROM actions WHERE id = ?').pluck().get(id) as string | undefined,
      );
      return r === undefined ? undefined : (JSON.parse(r) as MachineAction);
    },
    statusHistory(id): StatusChange[] {
      const rows = wrap(
        'statusHistory',
        () =>
          db
            .prepare(
              'SELECT h.status, h.changed_at, h.observed_at, h.run_id FROM action_status_history h JOIN actions a ON a.seq = h.action_seq WHERE a.id = ? ORDER BY h.changed_at, h.observed_at',
            )
            .all(id) as { status: string; changed_at: string; observed_at: string; run_id: number }[],
      );
      return rows.map((r) => ({
        status: r.status,
        changedAt: r.changed_at,
        observedAt: r.observed_at,
        runId: r.run_id,
      }));
    },
    countActions() {
      return wrap('countActions', () => db.prepare('SELECT count(*) FROM actions').pluck().get() as number);
    },
    allActions() {
      const raws = wrap(
        'allActions',
        () => db.prepare('SELECT raw FROM actions ORDER BY id').pluck().all() as string[],
      );
      return raws.map((r) => JSON.parse(r) as MachineAction);
    },
    quarantined(): QuarantineRecord[] {
      const rows = wrap(
        'quarantined',
        () =>
          db.prepare('SELECT * FROM quarantine ORDER BY first_seen_at, raw_sha256').all() as {
            action_id: string | null;
            raw: string;
            reason: string;
            first_seen_at: string;
            last_seen_at: string;
            seen_count: number;
          }[],
      );
      return rows.map((r) => ({
        raw: r.raw,
        reason: r.reason,
        actionId: r.action_id,
        firstSeenAt: r.first_seen_at,
        lastSeenAt: r.last_seen_at,
        seenCount: r.seen_count,
      }));
    },
    changesAfter(consumer, limit) {
      return wrap('changesAfter', () => {
        const offset =
          (db.prepare('SELECT seq FROM consumer_offsets WHERE name = ?').pluck().get(consumer) as number | undefined) ??
          0;
        const rows = db
          .prepare(
            `SELECT c.seq, c.kind, c.status, c.previous_status, c.run_id, c.recorded_at, a.raw
               FROM action_changes c JOIN actions a ON a.seq = c.action_seq
              WHERE c.seq > ? ORDER BY c.seq LIMIT ?`,
          )
          .all(offset, limit) as {
          seq: number;
          kind: 'new' | 'statusChanged';
          status: string;
          previous_status: string | null;
          run_id: number;
          recorded_at: string;
          raw: string;
        }[];
        return rows.map((r) => ({
          seq: r.seq,
          kind: r.kind,
          action: JSON.parse(r.raw) as MachineAction,
          status: r.status,
          previousStatus: r.previous_status,
          runId: r.run_id,
          recordedAt: r.recorded_at,
        }));
      });
    },
    commitOffset(consumer, seq) {
      wrap('commitOffset', () =>
        db
          .prepare(
            'INSERT INTO consumer_offsets (name, seq) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET seq = max(seq, excluded.seq)',
          )
          .run(consumer, seq),
      );
    },
    consumerOffset(consumer) {
      return wrap(
        'consumerOffset',
        () =>
          (db.prepare('SELECT seq FROM consumer_offsets WHERE name = ?').pluck().get(consumer) as number | undefined) ??
          0,
      );
    },
    saveConversation(c) {
      wrap('saveConversation', () =>
        db
          .prepare(
            `INSERT INTO conversations (conversation_id, kind, name, ref, installed_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (conversation_id) DO UPDATE SET kind = excluded.kind, name = coalesce(excluded.name, name), ref = excluded.ref,
               active = 1, inactive_reason = NULL`,
          )
          .run(c.conversationId, c.kind, c.name, JSON.stringify(c.ref), c.at),
      );
    },
    removeConversation(conversationId) {
      wrap('removeConversation', () =>
        db.prepare('DELETE FROM conversations WHERE conversation_id = ?').run(conversationId),
      );
    },
    setSubscription(conversationId, flags, by, at) {
      return wrap(
        'setSubscription',
        () =>
          db
            .prepare(
              'UPDATE conversations SET alerts = ?, digest = ?, subscribed_by = ?, subscribed_at = ? WHERE conversation_id = ?',
            )
            .run(flags.alerts ? 1 : 0, flags.digest ? 1 : 0, by, at, conversationId).changes > 0,
      );
    },
    setConversationActive(conversationId, active, reason) {
      wrap('setConversationActive', () =>
        db
          .prepare('UPDATE conversations SET active = ?, inactive_reason = ? WHERE conversation_id = ?')
          .run(active ? 1 : 0, active ? null : reason, conversationId),
      );
    },
    conversations() {
      const rows = wrap(
        'conversations',
        () =>
          db.prepare('SELECT * FROM conversations ORDER BY installed_at, conversation_id').all() as {
            conversation_id: string;
            kind: string;
            name: string | null;
            ref: string;
            installed_at: string;
            alerts: number;
            digest: number;
            subscribed_at: string | null;
            subscribed_by: string | null;
            active: number;
            inactive_reason: string | null;
          }[],
      );
      return rows.map((r) => ({
        conversationId: r.conversation_id,
        kind: r.kind,
        name: r.name,
        ref: JSON.parse(r.ref) as ConvRef,
        installedAt: r.installed_at,
        alerts: r.alerts === 1,
        digest: r.digest === 1,
        subscribedAt: r.subscribed_at,
        subscribedBy: r.subscribed_by,
        active: r.active === 1,
        inactiveReason: r.inactive_reason,
      }));
    },
    enqueueDeliveries(consumer, seq, deliveries, at) {
      wrap('enqueueDeliveries', () =>
        db.transaction(() => {
          const insert = db.prepare(
            'INSERT INTO alert_deliveries (conversation_id, kind, action_id, payload, created_at) VALUES (?, ?, ?, ?, ?)',
          );
          for (const d of deliveries) insert.run(d.conversationId, d.kind, d.actionId, d.payload, at);
          db.prepare(
            'INSERT INTO consumer_offsets (name, seq) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET seq = max(seq, excluded.seq)',
          ).run(consumer, seq);
        })(),
      );
    },
    pendingDeliveries(nowIso, limit) {
      const rows = wrap(
        'pendingDeliveries',
        () =>
          db
            .prepare(
              `SELECT id, conversation_id, kind, action_id, payload, created_at, attempts FROM alert_deliveries
              WHERE state = 'pending' AND (not_before IS NULL OR not_before <= ?) ORDER BY id LIMIT ?`,
            )
            .all(nowIso, limit) as {
            id: number;
            conversation_id: string;
            kind: 'alert' | 'update';
            action_id: string;
            payload: string;
            created_at: string;
            attempts: number;
          }[],
      );
      return rows.map((r) => ({
        id: r.id,
        conversationId: r.conversation_id,
        kind: r.kind,
        actionId: r.action_id,
        payload: r.payload,
        createdAt: r.created_at,
        attempts: r.attempts,
      }));
    },
    completeDelivery(id, at, posted) {
      wrap('completeDelivery', () =>
        db.transaction(() => {
          db.prepare(
            "UPDATE alert_deliveries SET state = 'sent', done_at = ?, attempts = attempts + 1 WHERE id = ?",
          ).run(at, id);
          if (posted) {
            db.prepare(
              `INSERT INTO posted_cards (conversation_id, action_id, message_conversation_id, activity_id, payload, posted_at) VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (conversation_id, action_id) DO UPDATE SET message_conversation_id = excluded.message_conversation_id,
                 activity_id = excluded.activity_id, payload = excluded.payload, posted_at = excluded.posted_at`,
            ).run(
              posted.conversationId,
              posted.actionId,
              posted.messageConversationId,
              posted.activityId,
              posted.payload,
              at,
            );
          }
        })(),
      );
    },
    failDelivery(id, error, retryAt, at) {
      wrap('failDelivery', () =>
        db
          .prepare(
            `UPDATE alert_deliveries SET attempts = attempts + 1, last_error = ?, not_before = ?,
               state = CASE WHEN ? IS NULL THEN 'failed' ELSE 'pending' END, done_at = CASE WHEN ? IS NULL THEN ? ELSE NULL END WHERE id = ?`,
          )
          .run(error, retryAt, retryAt, retryAt, at, id),
      );
    },
    postedCard(conversationId, actionId) {
      const r = wrap(
        'postedCard',
        () =>
          db
            .prepare(
              'SELECT message_conversation_id, activity_id, payload FROM posted_cards WHERE conversation_id = ? AND action_id = ?',
            )
            .get(conversationId, actionId) as
            { message_conversation_id: string; activity_id: string; payload: string } | undefined,
      );
      return r === undefined
        ? undefined
        : { messageConversationId: r.message_conversation_id, activityId: r.activity_id, payload: r.payload };
    },
    hasPendingAlert(conversationId, actionId) {
      return wrap(
        'hasPendingAlert',
        () =>
          db
            .prepare(
              "SELECT 1 FROM alert_deliveries WHERE conversation_id = ? AND action_id = ? AND kind = 'alert' AND state = 'pending'",
            )
            .get(conversationId, actionId) !== undefined,
      );
    },
    countByRequestorBetween(requestor, types, from, to) {
      if (types.length === 0) return 0;
      return wrap(
        'countByRequestorBetween',
        () =>
          db
            .prepare(
              `SELECT count(*) FROM actions WHERE requestor = ? COLLATE NOCASE AND creation_time >= ? AND creation_time <= ? AND type IN (${types.map(() => '?').join(', ')})`,
            )
            .pluck()
            .get(requestor, from, to, ...types) as number,
      );
    },
    backfillSummary() {
      return wrap('backfillSummary', () => {
        const where = 'first_run_id IN (SELECT id FROM ingest_runs WHERE backfill = 1)';
        const byType = db
          .prepare(
            `SELECT type AS key, count(*) AS count FROM actions WHERE ${where} GROUP BY type ORDER BY count DESC, type`,
          )
          .all() as { key: string; count: number }[];
        const span = db
          .prepare(`SELECT min(creation_time) AS "from", max(creation_time) AS "to" FROM actions WHERE ${where}`)
          .get() as { from: string | null; to: string | null };
        return { total: byType.reduce((n, r) => n + r.count, 0), byType, from: span.from, to: span.to };
      });
    },
    getState(key) {
      return wrap(
        'getState',
        () => (db.prepare('SELECT value FROM bot_state WHERE key = ?').pluck().get(key) as string | undefined) ?? null,
      );
    },
    setState(key, value, at) {
      wrap('setState', () =>
        db
          .prepare(
            'INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
          )
          .run(key, value, at),
      );
    },
    close() {
      if (db.open) db.close();
    },
  };
}
