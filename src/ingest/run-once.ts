import type { Clock } from '../core/clock.js';
import { asAppError, describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { millisToTimestamp, subtractMillis } from '../core/timestamps.js';
import { isODataRejection, type DefenderClient } from '../defender/client.js';
import { readSince, type CursorField } from '../defender/incremental.js';
import type { ActionChange, IngestLedger, IngestMode, RunStats } from '../store/types.js';

export interface IngestSettings {
  /** `$top` per call, 1..10,000. */
  pageSize: number;
  /** Each incremental read starts this many milliseconds before the cursor (late-arriving updates). */
  overlapMs: number;
  /** History read on the first run, days. */
  backfillDays: number;
  /** Creation-time window re-read in fallback mode, milliseconds. */
  fallbackWindowMs: number;
}

export interface IngestProgress {
  pages: number;
  received: number;
  calls: number;
  budget: { minute: number; hour: number };
  elapsedMs: number;
}

/**
 * What one run changed. Change lists hold the changes of a normal run. During the first run's
 * backfill they stay empty and only counts are kept (`backfillCounts`): nobody is alerted about
 * history, and 100,000 change objects would cost memory for nothing.
 */
export interface ChangeSet {
  runId: number;
  backfill: boolean;
  mode: IngestMode;
  /** Where reading started (normalised timestamp) and the stored cursor after the run. */
  since: string;
  cursorBefore: string | null;
  cursorAfter: string | null;
  new: ActionChange[];
  statusChanged: ActionChange[];
  updated: ActionChange[];
  stats: RunStats;
  /** During a backfill: stored actions by type. */
  backfillCounts: Record<string, number>;
  durationMs: number;
}

export interface IngestDeps {
  client: DefenderClient;
  store: IngestLedger;
  clock: Clock;
  logger: Logger;
  settings: IngestSettings;
  onProgress?: (p: IngestProgress) => void;
}

const DAY_MS = 86_400_000;

/**
 * One ingest cycle: read everything changed since the cursor, upsert page by page (each page and the
 * cursor in one transaction), and return the change set. A crash at any point loses nothing: the
 * cursor never runs ahead of committed data, and re-reading is idempotent.
 *
 * When the tenant rejects the `lastUpdateDateTimeUtc` filter (400 OData error), the store switches to
 * `creation` mode for good, with a warning, and this and later runs re-read a creation-time window.
 */
export async function runOnce(deps: IngestDeps, signal?: AbortSignal): Promise<ChangeSet> {
  const { client, store, clock, logger, settings } = deps;
  const started = clock.now();
  const state = store.ingestState();
  const backfill = state.backfillCompletedAt === null;
  const runId = store.beginRun(new Date(started).toISOString(), backfill);
  const log = logger.child({ runId });
  const callsBefore = client.stats().calls;
  const stats: RunStats = { pages: 0, calls: 0, new: 0, statusChanged: 0, updated: 0, unchanged: 0, quarantined: 0 };
  const changes: Pick<ChangeSet, 'new' | 'statusChanged' | 'updated' | 'backfillCounts'> = {
    new: [],
    statusChanged: [],
    updated: [],
    backfillCounts: {},
  };
  let received = 0;
  let mode = state.mode;
  let since = startOf(mode, state.cursor, started, settings, backfill);

  try {
    for (;;) {
      try {
        await readAll(mode, since);
        break;
      } catch (err) {
        if (mode === 'lastUpdate' && isODataRejection(err)) {
          const reason = `The API rejected $filter on lastUpdateDateTimeUtc (${describeError(err)}); re-reading a creationDateTimeUtc window instead.`;
          log.warn('Switching ingest to creation-time fallback', { reason });
          store.setMode('creation', reason);
          mode = 'creation';
          since = startOf(mode, state.cursor, started, settings, backfill);
          continue;
        }
        throw err;
      }
    }
    if (backfill) store.markBackfillComplete(new Date(clock.now()).toISOString());
    stats.calls = client.stats().calls - callsBefore;
    const finishedAt = clock.now();
    store.finishRun(runId, { finishedAt: new Date(finishedAt).toISOString(), ok: true, stats });
    const result: ChangeSet = {
      runId,
      backfill,
      mode,
      since,
      cursorBefore: state.cursor,
      cursorAfter: store.ingestState().cursor,
      ...changes,
      stats,
      durationMs: finishedAt - started,
    };
    log.info('ingest run finished', { backfill, mode, ...stats, durationMs: result.durationMs });
    return result;
  } catch (err) {
    stats.calls = client.stats().calls - callsBefore;
    const e = asAppError(err);
    try {
      store.finishRun(runId, {
        finishedAt: new Date(clock.now()).toISOString(),
        ok: false,
        error: describeError(e),
        stats,
      });
    } catch (storeErr) {
      log.error('could not record the failed run', { error: describeError(storeErr) });
    }
    throw e;
  }

  async function readAll(readMode: IngestMode, from: string): Promise<void> {
    const field: CursorField = readMode === 'lastUpdate' ? 'lastUpdateDateTimeUtc' : 'creationDateTimeUtc';
    for await (const page of readSince(client, {
      field,
      since: from,
      pageSize: settings.pageSize,
      ...(signal ? { signal } : {}),
    })) {
      const outcome = store.applyPage({
        runId,
        items: page.actions,
        quarantined: page.invalid,
        observedAt: new Date(clock.now()).toISOString(),
        backfill,
        cursor: page.maxLastUpdate,
      });
      stats.pages++;
      stats.unchanged += outcome.unchanged;
      stats.quarantined += outcome.quarantined;
      for (const c of outcome.changes) {
        stats[c.kind]++;
        if (backfill)
          changes.backfillCounts[c.action.type] =
            (changes.backfillCounts[c.action.type] ?? 0) + (c.kind === 'new' ? 1 : 0);
        else changes[c.kind].push(c);
      }
      for (const q of page.invalid)
        log.warn('quarantined an invalid action', { actionId: q.actionId, reason: q.reason });
      const s = client.stats();
      received += page.received;
      deps.onProgress?.({
        pages: stats.pages,
        received,
        calls: s.calls - callsBefore,
        budget: s.budget,
        elapsedMs: clock.now() - started,
      });
    }
  }
}

/** Where a run starts reading (normalised timestamp). */
function startOf(
  mode: IngestMode,
  cursor: string | null,
  nowMs: number,
  settings: IngestSettings,
  backfill: boolean,
): string {
  const backfillStart = millisToTimestamp(nowMs - settings.backfillDays * DAY_MS);
  if (mode === 'lastUpdate') {
    return cursor === null ? backfillStart : subtractMillis(cursor, settings.overlapMs);
  }
  // Creation mode: re-read the window in which non-final actions may still change, and never start
  // later than the cursor allows (a bot that was down longer than the window must not miss actions
  // created meanwhile).
  const window = millisToTimestamp(nowMs - settings.fallbackWindowMs);
  if (cursor === null) return backfill ? backfillStart : window;
  const fromCursor = subtractMillis(cursor, settings.overlapMs);
  const start = fromCursor < window ? fromCursor : window;
  return backfill && backfillStart < start ? backfillStart : start;
}
