import { formatDuration } from '../core/duration.js';
import { describeError } from '../core/errors.js';
import type { HealthReport } from '../core/health.js';
import type { ActionReader, IngestLedger } from '../store/types.js';

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

export function ingestHealth(
  store: IngestLedger & Pick<ActionReader, 'countActions' | 'quarantined'>,
  options: { nowMs: number; pollIntervalMs: number; staleAfterRuns?: number },
): IngestHealth {
  const st = store.ingestState();
  const last = store.lastRun();
  const staleMs = options.pollIntervalMs * (options.staleAfterRuns ?? 3);
  const age = st.lastSuccessAt === null ? null : options.nowMs - Date.parse(st.lastSuccessAt);
  const ago = (iso: string | null): string =>
    iso === null ? 'never' : `${utc(iso)} (${formatDuration(Math.max(0, options.nowMs - Date.parse(iso)))} ago)`;

  let problem: string | null = null;
  if (age === null) {
    problem = st.lastError
      ? `No ingest run has succeeded yet. Last error: ${st.lastError}`
      : 'No ingest run has completed yet.';
  } else if (age > staleMs) {
    problem = `The last successful ingest was ${formatDuration(age)} ago (more than ${formatDuration(staleMs)}).${st.lastError ? ` Last error: ${st.lastError}` : ''}`;
  }
  const facts = [
    { label: 'Last successful run', value: ago(st.lastSuccessAt) },
    { label: 'Last run started', value: ago(st.lastRunStartedAt) },
    { label: 'Cursor (lastUpdate)', value: st.cursor === null ? 'none yet' : utc(st.cursor, true) },
    {
      label: 'Read mode',
      value:
        st.mode === 'lastUpdate'
          ? 'incremental (lastUpdateDateTimeUtc)'
          : `fallback: creation-time window${st.modeReason ? ` (${st.modeReason})` : ''}`,
    },
    {
      label: 'History backfill',
      value: st.backfillCompletedAt ? `done ${utc(st.backfillCompletedAt)}` : 'not finished',
    },
    { label: 'Actions stored', value: store.countActions().toLocaleString('en-US') },
    { label: 'Quarantined items', value: store.quarantined().length.toLocaleString('en-US') },
    {
      label: 'Runs (failed)',
      value: `${st.runsTotal.toLocaleString('en-US')} (${st.runsFailed.toLocaleString('en-US')})`,
    },
  ];
  if (last && last.ok) {
    const s = last.stats;
    facts.push({
      label: 'Last run',
      value: `${s.new} new, ${s.statusChanged} status changes, ${s.pages} pages, ${s.calls} API calls`,
    });
  }
  if (st.lastError)
    facts.push({
      label: 'Last error',
      value: `${st.lastError} (${st.lastErrorAt === null ? '?' : utc(st.lastErrorAt)})`,
    });
  return { ok: problem === null, facts, problem, lastSuccessAgeMs: age };
}

/**
 * `/healthz`: the store is readable and, when this process ingests, a run succeeded recently. Probes
 * are frequent, so this is one single-row read (no counts over the whole store). Unhealthy when no
 * run succeeded for 10 poll intervals (at least 5 minutes): a sign that needs a person, not only a
 * retry (a few failed ticks in a row are normal). Before the first success it stays healthy, so
 * that a long first backfill does not get the process restarted.
 */
export function serviceHealth(
  ledger: Pick<IngestLedger, 'ingestState'>,
  options: { nowMs: number; pollIntervalMs: number; ingestEnabled: boolean },
): HealthReport {
  const checks: HealthReport['checks'] = {};
  let lastSuccessAt: string | null = null;
  try {
    lastSuccessAt = ledger.ingestState().lastSuccessAt;
    checks['store'] = { ok: true, detail: 'readable' };
  } catch (err) {
    checks['store'] = { ok: false, detail: describeError(err) };
  }
  if (options.ingestEnabled && checks['store'].ok) {
    const age = lastSuccessAt === null ? null : options.nowMs - Date.parse(lastSuccessAt);
    const limitMs = Math.max(10 * options.pollIntervalMs, 5 * 60_000);
    checks['ingest'] = {
      ok: age === null || age <= limitMs,
      detail: age === null ? 'no run has succeeded yet' : `last success ${Math.round(age / 1000)} s ago`,
    };
  }
  return { ok: Object.values(checks).every((c) => c.ok), checks };
}
