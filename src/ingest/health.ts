import { formatDuration } from '../core/duration.js';
import type { AuditStore } from '../store/types.js';

/**
 * Ingest health for the `status` command and `/healthz`: when the last run succeeded, whether that
 * is recent enough, the cursor, counts, and the last error. Ingest is stale when no run succeeded
 * within `staleAfterRuns` poll intervals (default 3) — a few failed ticks in a row (throttling, a
 * network blip) are normal and not yet a problem.
 */
export interface IngestHealth {
  ok: boolean;
  facts: { label: string; value: string }[];
  problem: string | null;
  /** Milliseconds since the last successful run, or null if none. */
  lastSuccessAgeMs: number | null;
}

/** `2026-12-04 03:32 UTC`, as the other cards show times; `seconds` adds `:05` (the cursor). */
function utc(iso: string, seconds = false): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const t = new Date(ms).toISOString();
  return `${t.slice(0, 10)} ${t.slice(11, seconds ? 19 : 16)} UTC`;
}

export function ingestHealth(store: AuditStore, options: { nowMs: number; pollIntervalMs: number; staleAfterRuns?: number }): IngestHealth {
  const st = store.ingestState();
  const last = store.lastRun();
  const staleMs = options.pollIntervalMs * (options.staleAfterRuns ?? 3);
  const age = st.lastSuccessAt === null ? null : options.nowMs - Date.parse(st.lastSuccessAt);
  const ago = (iso: string | null): string => (iso === null ? 'never' : `${utc(iso)} (${formatDuration(Math.max(0, options.nowMs - Date.parse(iso)))} ago)`);

  let problem: string | null = null;
  if (age === null) {
    problem = st.lastError ? `No ingest run has succeeded yet. Last error: ${st.lastError}` : 'No ingest run has completed yet.';
  } else if (age > staleMs) {
    problem = `The last successful ingest was ${formatDuration(age)} ago (more than ${formatDuration(staleMs)}).${st.lastError ? ` Last error: ${st.lastError}` : ''}`;
  }
  const facts = [
    { label: 'Last successful run', value: ago(st.lastSuccessAt) },
    { label: 'Last run started', value: ago(st.lastRunStartedAt) },
    { label: 'Cursor (lastUpdate)', value: st.cursor === null ? 'none yet' : utc(st.cursor, true) },
    { label: 'Read mode', value: st.mode === 'lastUpdate' ? 'incremental (lastUpdateDateTimeUtc)' : `fallback: creation-time window${st.modeReason ? ` (${st.modeReason})` : ''}` },
    { label: 'History backfill', value: st.backfillCompletedAt ? `done ${utc(st.backfillCompletedAt)}` : 'not finished' },
    { label: 'Actions stored', value: store.countActions().toLocaleString('en-US') },
    { label: 'Quarantined items', value: store.quarantined().length.toLocaleString('en-US') },
    { label: 'Runs (failed)', value: `${st.runsTotal.toLocaleString('en-US')} (${st.runsFailed.toLocaleString('en-US')})` },
  ];
  if (last && last.ok) {
    const s = last.stats;
    facts.push({ label: 'Last run', value: `${s.new} new, ${s.statusChanged} status changes, ${s.pages} pages, ${s.calls} API calls` });
  }
  if (st.lastError) facts.push({ label: 'Last error', value: `${st.lastError} (${st.lastErrorAt === null ? '?' : utc(st.lastErrorAt)})` });
  return { ok: problem === null, facts, problem, lastSuccessAgeMs: age };
}
