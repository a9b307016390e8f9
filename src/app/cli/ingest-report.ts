import { formatDuration } from '../../core/duration.js';
import type { ChangeSet, IngestProgress } from '../../ingest/run-once.js';
import { fmt } from './options.js';

/** What an ingest run did, as `ingest --once` and the demo print it. */
export function describeChangeSet(
  c: ChangeSet,
  calls: { retries: number; throttled: number; budget: { minute: number; hour: number } },
): string {
  const lines: string[] = [];
  const secs = Math.max(c.durationMs, 1) / 1000;
  const total = c.stats.new + c.stats.statusChanged + c.stats.updated + c.stats.unchanged + c.stats.quarantined;
  lines.push(
    `Ingest run ${c.runId}${c.backfill ? ' (first run: history backfill, no alerts)' : ''} finished in ${formatDuration(c.durationMs)}.`,
  );
  lines.push(
    `  mode: ${c.mode === 'lastUpdate' ? 'incremental on lastUpdateDateTimeUtc' : 'fallback: creationDateTimeUtc window'}; read since ${c.since}; cursor ${c.cursorBefore ?? '(none)'} -> ${c.cursorAfter ?? '(none)'}`,
  );
  lines.push(
    `  API calls: ${c.stats.calls} for ${c.stats.pages} pages (retries ${calls.retries}, throttled ${calls.throttled}); budget left ${calls.budget.minute}/min, ${calls.budget.hour}/h`,
  );
  lines.push(
    `  actions read: ${fmt(total)} (${fmt(Math.round(total / secs))}/s): new ${fmt(c.stats.new)}, status changed ${fmt(c.stats.statusChanged)}, other updates ${fmt(c.stats.updated)}, unchanged ${fmt(c.stats.unchanged)}, quarantined ${fmt(c.stats.quarantined)}`,
  );
  if (c.backfill && Object.keys(c.backfillCounts).length > 0) {
    const byType = Object.entries(c.backfillCounts)
      .sort((a, b) => b[1] - a[1])
      .map(([t, n]) => `${t} ${fmt(n)}`)
      .join(', ');
    lines.push(`  backfilled by type: ${byType}`);
  }
  const shown = [...c.new, ...c.statusChanged, ...c.updated].slice(0, 25);
  for (const ch of shown) {
    const a = ch.action;
    const what = ch.kind === 'new' ? 'new' : ch.kind === 'statusChanged' ? `${ch.previousStatus} ->` : 'updated';
    lines.push(
      `  ${what.padEnd(12)} ${a.status.padEnd(10)} ${a.type.padEnd(24)} ${(a.computerDnsName ?? a.machineId).padEnd(28)} by ${a.requestor}  (${a.id})`,
    );
  }
  const more = c.new.length + c.statusChanged.length + c.updated.length - shown.length;
  if (more > 0) lines.push(`  ... and ${fmt(more)} more changes`);
  return lines.join('\n');
}

export function progressLine(p: IngestProgress): string {
  const rate = p.elapsedMs > 0 ? Math.round((p.received * 1000) / p.elapsedMs) : 0;
  return `  page ${p.pages} · ${fmt(p.received)} actions · ${fmt(rate)}/s · ${p.calls} calls · API budget left ${p.budget.minute}/min, ${p.budget.hour}/h`;
}
