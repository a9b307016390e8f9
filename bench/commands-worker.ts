/**
 * Builds the store of the commands benchmark (bench/commands.ts), in its own process so that the
 * million generated actions (~1 GB of heap at the peak) never share a heap with the latency runs.
 *
 *   commands-worker.ts build DB_PATH ACTIONS DEVICES DAYS SEED NOW_MS
 *
 * Generates the actions, sorts them by lastUpdateDateTimeUtc (the order a real ingest reads them:
 * keyset pages on lastUpdate ascending) and writes them with store.applyPage in pages of 10,000,
 * inside one backfill run, as runOnce does. Then ANALYZE, a WAL checkpoint and close.
 * Prints one JSON line: { rows, generateMs, loadMs, analyzeMs, peakRssMb }.
 *
 * Why not generate in chunks: generateActions derives the machine ids and the action ids from the
 * seed alone. Chunks with one seed repeat the same action ids; chunks with different seeds give
 * every device name a new machine id per chunk (every device would look re-imaged 20 times). One
 * call keeps the data as the generator means it; the default heap (4 GB on 64-bit) holds it.
 */
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { generateActions } from '../src/simulator/generator.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { normalizeTimestamp } from '../src/core/timestamps.js';
import type { MachineAction } from '../src/core/types.js';

const PAGE = 10_000;

const [mode, dbPath, actionsArg, devicesArg, daysArg, seedArg, nowArg] = process.argv.slice(2);
if (mode !== 'build' || dbPath === undefined || nowArg === undefined) {
  console.error('usage: commands-worker.ts build DB_PATH ACTIONS DEVICES DAYS SEED NOW_MS');
  process.exit(2);
}
const [count, devices, days, seed, nowMs] = [actionsArg, devicesArg, daysArg, seedArg, nowArg].map(Number) as [
  number,
  number,
  number,
  number,
  number,
];

for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true });

let t = performance.now();
const generated = generateActions(count, { devices, days, seed, nowMs });
// Wire timestamps carry 1 to 7 fractional digits: sort on the normalised form, as the API orders them.
const keyed = generated.map((a) => ({ k: normalizeTimestamp(a.lastUpdateDateTimeUtc) ?? '', a }));
generated.length = 0;
keyed.sort((x, y) => (x.k < y.k ? -1 : x.k > y.k ? 1 : 0));
const generateMs = performance.now() - t;

t = performance.now();
const store = openSqliteStore({ path: dbPath });
const observedAt = new Date(nowMs).toISOString();
const runId = store.beginRun(new Date(nowMs - 3_600_000).toISOString(), true);
let pages = 0;
for (let i = 0; i < keyed.length; i += PAGE) {
  const items: MachineAction[] = keyed.slice(i, i + PAGE).map((x) => x.a);
  const cursor = keyed[Math.min(i + PAGE, keyed.length) - 1]?.k ?? null;
  store.applyPage({ runId, items, quarantined: [], observedAt, backfill: true, cursor });
  pages++;
}
store.finishRun(runId, {
  finishedAt: observedAt,
  ok: true,
  stats: { pages, calls: pages, new: keyed.length, statusChanged: 0, updated: 0, unchanged: 0, quarantined: 0 },
});
store.markBackfillComplete(observedAt);
const loadMs = performance.now() - t;
keyed.length = 0;

t = performance.now();
// ANALYZE writes sqlite_stat1 (rows per index prefix). Without it the planner guesses that every
// equality on an indexed column matches ~10 rows and every range a fixed share of the table, and
// may pick e.g. the creation-time index over the requestor index; with it, it knows that one
// requestor has 100,000 actions and one device a few dozen. Note: the product itself never runs
// ANALYZE (nor PRAGMA optimize) on its store, so these figures assume statistics it may not have.
store.db.exec('ANALYZE');
const analyzeMs = performance.now() - t;
const rows = store.countActions();
store.db.pragma('wal_checkpoint(TRUNCATE)');
store.close();

process.stdout.write(
  `${JSON.stringify({ rows, pages, generateMs: Math.round(generateMs), loadMs: Math.round(loadMs), analyzeMs: Math.round(analyzeMs), peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
);
