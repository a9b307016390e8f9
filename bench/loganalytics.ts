/**
 * Rows sent to Log Analytics per day: the bot (each new or changed version once, through the Logs
 * Ingestion API) against the recipe it replaces (a Logic App posting the whole history through the
 * Data Collector API every 8 hours, three times a day).
 *
 * A simulated tenant of 100,000 actions (BENCH_LA_ACTIONS) gets 500 changes in one "day"
 * (BENCH_LA_CHANGES; half new actions, half status changes of earlier ones), spread over 48 polls.
 * The bot's real path runs: simulator (HTTPS) → runOnce → store outbox → forwarder → the real
 * `LogsIngestionClient` with an in-process HTTP client that accepts (204) and counts the rows of
 * every gzip body. The recipe's rows are computed (3 × the actions in the tenant that day).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { createHttpHeaders, type HttpClient } from '@azure/core-rest-pipeline';
import { LogsIngestionClient } from '@azure/monitor-ingestion';
import { systemClock } from '../src/core/clock.js';
import { silentLogger } from '../src/core/logger.js';
import { loadConfig, requireDefender } from '../src/config/config.js';
import { runOnce } from '../src/ingest/run-once.js';
import { createForwarder } from '../src/loganalytics/forwarder.js';
import { buildDefenderClient, ingestSettings } from '../src/app/index.js';
import { toDcrRow } from '../src/queries/schema.js';
import { createSimulator, generateActions } from '../src/simulator/index.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const ACTIONS = Number(process.env.BENCH_LA_ACTIONS ?? 100_000);
const CHANGES = Number(process.env.BENCH_LA_CHANGES ?? 500);
const POLLS = 48;

export async function benchLogAnalytics(): Promise<void> {
  mkdirSync(join(ROOT, 'bench', 'out'), { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'dab-bench-la-'));
  process.stderr.write(`log analytics: ${ACTIONS.toLocaleString('en-US')} actions, ${CHANGES} changes in a day ...\n`);
  const dataset = generateActions(ACTIONS, { devices: 5000, days: 365, seed: 21 });
  const sim = createSimulator({ dataset, throttle: false, seed: 21 });
  const endpoint = await sim.start({ caCertFile: join(dir, 'ca.pem') });
  const config = loadConfig(
    { ...endpoint.env, MDE_PAGE_SIZE: '10000', MDE_BACKFILL_DAYS: '3650', MDE_OVERLAP_WINDOW: '5m' },
    ['defender'],
  );
  const store = openSqliteStore({ path: join(dir, 'audit.db') });
  const client = buildDefenderClient(requireDefender(config), { clock: systemClock, logger: silentLogger });

  let rowsAccepted = 0;
  let calls = 0;
  const httpClient: HttpClient = {
    sendRequest(request) {
      const body = request.body as Buffer;
      const rows = JSON.parse(gunzipSync(body).toString('utf8')) as unknown[];
      rowsAccepted += rows.length;
      calls++;
      return Promise.resolve({ request, status: 204, headers: createHttpHeaders() });
    },
  };
  const credential = {
    getToken: () => Promise.resolve({ token: 'bench', expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
  const forwarder = createForwarder({
    uploader: new LogsIngestionClient('https://dce.example.invalid', credential, { httpClient }),
    source: {
      pending: (limit) => store.pendingForward(limit).map((i) => ({ seq: i.seq, row: toDcrRow(i.action) })),
      ack: (seq) => store.ackForward(seq),
      backlog: () => store.forwardBacklog(),
    },
    dcrImmutableId: 'dcr-00000000000000000000000000000000',
    streamName: 'Custom-MDEMachineActions_CL',
    logger: silentLogger,
  });
  const tick = async (): Promise<void> => {
    await runOnce({
      client,
      store,
      clock: systemClock,
      logger: silentLogger,
      settings: ingestSettings(requireDefender(config)),
    });
    await forwarder.forward();
  };

  try {
    store.enableForwarding(new Date().toISOString());
    await tick();
    const backfillRows = rowsAccepted;
    const backfillCalls = calls;
    rowsAccepted = 0;
    calls = 0;

    // The day: CHANGES changes over POLLS polls; each poll also re-reads the overlap window.
    // Status changes complete actions created in earlier polls (a change made and superseded between
    // two polls is never seen by any poller, the bot included).
    const machines = sim.tenant.machines();
    const open: string[] = [];
    let made = 0;
    for (let poll = 0; poll < POLLS; poll++) {
      const target = Math.round(((poll + 1) * CHANGES) / POLLS);
      const createdNow: string[] = [];
      for (; made < target; made++) {
        if (made % 2 === 0 || open.length === 0) {
          const m = machines[made % machines.length]!;
          createdNow.push(
            sim.tenant.create({ machineId: m.id, type: 'RunAntiVirusScan', scope: 'Quick', comment: `bench ${made}` })
              .id,
          );
        } else {
          sim.tenant.transition(open.shift()!, 'Succeeded');
        }
      }
      open.push(...createdNow);
      await tick();
    }
    const tenantSize = sim.tenant.size();
    const recipeRows = 3 * tenantSize;
    const lines = [
      `Log Analytics rows per day: tenant of ${ACTIONS.toLocaleString('en-US')} actions, ${CHANGES} changes in the day over ${POLLS} polls`,
      `  bot (Logs Ingestion API, each new or changed version once): ${rowsAccepted.toLocaleString('en-US')} rows in ${calls} calls`,
      `  recipe (Data Collector API, whole history every 8 h):       ${recipeRows.toLocaleString('en-US')} rows (3 × ${tenantSize.toLocaleString('en-US')})`,
      `  ratio recipe / bot: ${(recipeRows / Math.max(1, rowsAccepted)).toFixed(0)} : 1`,
      `  one-time history on enabling: ${backfillRows.toLocaleString('en-US')} rows in ${backfillCalls} calls (≤ 1 MB each); outbox left: ${store.forwardBacklog()}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    client.close();
    await sim.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
