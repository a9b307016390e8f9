/**
 * One side of the ingest benchmark, run in its own process so that its peak RSS is its own.
 *   mode "ingest":   the product's runOnce() against the simulator (HTTPS, token, validation, upsert,
 *                    status history, change set), pages of PAGE_SIZE, into a fresh store.
 *   mode "baseline": fetch the same page bodies first (not timed), then time JSON.parse of each body
 *                    plus a plain prepared-statement insert of the same rows into the same schema.
 * Prints one JSON line: { mode, actions, ms, peakRssMb }.
 */
import { readFileSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadConfig, requireDefender } from '../src/config/config.js';
import { buildDefenderClient, ingestSettings } from '../src/app/index.js';
import { runOnce } from '../src/ingest/run-once.js';
import { openSqliteStore, deviceKeys } from '../src/store/sqlite-store.js';
import { systemClock } from '../src/core/clock.js';
import { silentLogger } from '../src/core/logger.js';
import { normalizeTimestamp } from '../src/core/timestamps.js';
import { createHttpTransport } from '../src/defender/http.js';
import { createMsalTokenProvider } from '../src/defender/token.js';
import { buildListUrl } from '../src/defender/client.js';
import type { MachineAction } from '../src/core/types.js';

const [mode, storePath] = process.argv.slice(2);
if ((mode !== 'ingest' && mode !== 'baseline') || storePath === undefined) {
  console.error('usage: ingest-worker.ts ingest|baseline STORE_PATH (simulator env in the environment)');
  process.exit(2);
}
rmSync(storePath, { force: true });
rmSync(`${storePath}-wal`, { force: true });
rmSync(`${storePath}-shm`, { force: true });
const config = loadConfig(process.env, ['defender']);
const defender = requireDefender(config);

if (mode === 'ingest') {
  const store = openSqliteStore({ path: storePath });
  const client = buildDefenderClient(defender, { clock: systemClock, logger: silentLogger });
  const t0 = performance.now();
  const c = await runOnce({
    client,
    store,
    clock: systemClock,
    logger: silentLogger,
    settings: ingestSettings(defender),
  });
  const ms = performance.now() - t0;
  client.close();
  store.close();
  report(c.stats.new, ms);
} else {
  // Fetch the bodies exactly as the ingest asks for them (keyset pages), untimed.
  const http = createHttpTransport({ ca: readFileSync(defender.caCertFile!) });
  const tokens = createMsalTokenProvider({ ...defender, http, timeoutMs: 60_000, logger: silentLogger });
  const bodies: string[] = [];
  let key = '1970-01-01T00:00:00.0000000Z';
  for (;;) {
    const url = buildListUrl(defender.apiBaseUrl, {
      filter: `lastUpdateDateTimeUtc ge ${key}`,
      orderBy: 'lastUpdateDateTimeUtc asc',
      top: defender.pageSize,
    });
    const res = await http.send(url, {
      method: 'GET',
      headers: { authorization: `Bearer ${await tokens.getToken()}` },
      timeoutMs: 60_000,
    });
    if (res.status !== 200) throw new Error(`baseline fetch: HTTP ${res.status} ${res.body.slice(0, 200)}`);
    bodies.push(res.body);
    const value = (JSON.parse(res.body) as { value: MachineAction[] }).value;
    if (value.length < defender.pageSize) break;
    key = normalizeTimestamp(value.at(-1)!.lastUpdateDateTimeUtc)!;
  }
  http.close();
  const store = openSqliteStore({ path: storePath });
  const insert = store.db.prepare(`INSERT OR IGNORE INTO actions (
      id, type, title, requestor, requestor_comment, status, machine_id, computer_dns_name, device_name_lc, device_short_lc,
      creation_time, last_update_time, cancellation_requestor, cancellation_comment, cancellation_time, error_hresult,
      scope, external_id, request_source, raw, first_seen_at, updated_at, first_run_id)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const now = new Date().toISOString();
  const insertPage = store.db.transaction((rows: MachineAction[]) => {
    for (const a of rows) {
      const d = deviceKeys(a.computerDnsName);
      insert.run(
        a.id,
        a.type,
        a.title,
        a.requestor,
        a.requestorComment,
        a.status,
        a.machineId,
        a.computerDnsName,
        d.full,
        d.short,
        a.creationDateTimeUtc,
        a.lastUpdateDateTimeUtc,
        a.cancellationRequestor,
        a.cancellationComment,
        a.cancellationDateTimeUtc,
        a.errorHResult,
        a.scope,
        a.externalId,
        a.requestSource,
        JSON.stringify(a),
        now,
        now,
        1,
      );
    }
  });
  let n = 0;
  const t0 = performance.now();
  for (const body of bodies) {
    const rows = (JSON.parse(body) as { value: MachineAction[] }).value;
    insertPage(rows);
    n += rows.length;
  }
  const ms = performance.now() - t0;
  const unique = store.countActions();
  store.close();
  // n - unique rows were read twice at the page keys and ignored, as the product's upsert does.
  process.stderr.write(`baseline parsed ${n} rows, stored ${unique}\n`);
  report(unique, ms);
}

function report(actions: number, ms: number): void {
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ mode, actions, ms: Math.round(ms), peakRssMb: Math.round(peakRssMb) })}\n`);
}
