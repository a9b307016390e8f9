/**
 * Alert latency: from the simulator creating an alert-worthy action to the fake Bot Connector
 * receiving its card, through the whole product: the bot runs as `defender-audit-bot start` in its
 * own process (ingest every MDE_POLL_INTERVAL, alert pipeline, real CloudAdapter), the simulator
 * (HTTPS, token endpoint) and the fake connector run here.
 *
 * Actions arrive as a Poisson process (mean gap BENCH_ALERT_GAP_MS, default 2,500 ms: two per poll
 * on average, so the 1 message per second pacing of a channel is exercised but no storm forms).
 * Each action completes (Succeeded) 3 to 20 s after it was created, and the update of its card
 * (PUT) is timed too. Latencies are wall-clock milliseconds measured in this process.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRandom, createSimulator } from '../src/simulator/index.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { startFakeConnector } from '../test/fakes/fake-connector.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const OUT = join(ROOT, 'bench', 'out');
const ALERTS = Number(process.env.BENCH_ALERTS ?? 200);
const GAP_MS = Number(process.env.BENCH_ALERT_GAP_MS ?? 2500);
const POLL_S = 5;
const CHANNEL = '19:bench-alerts@thread.tacv2';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  // Nearest-rank percentile.
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)] as number;
}

export async function benchAlerts(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const dbPath = join(OUT, 'alerts.db');
  rmSync(dbPath, { force: true });
  rmSync(`${dbPath}-wal`, { force: true });
  rmSync(`${dbPath}-shm`, { force: true });

  const sim = createSimulator({ generate: { devices: 200, days: 3 }, throttle: false, seed: 5 });
  const endpoint = await sim.start({ caCertFile: join(OUT, 'alerts-ca.pem') });
  const connector = await startFakeConnector();

  // The channel is subscribed before the bot starts, as after a `subscribe` in Teams.
  const store = openSqliteStore({ path: dbPath });
  const at = new Date().toISOString();
  const ref = {
    channelId: 'msteams' as const,
    serviceUrl: connector.url,
    conversationId: CHANNEL,
    conversationType: 'channel' as const,
    tenantId: TENANT,
    botId: '28:bot',
    teamsChannelId: CHANNEL,
  };
  store.saveConversation({ conversationId: CHANNEL, kind: 'channel', name: 'SecOps › Alerts', ref, at });
  store.setSubscription(CHANNEL, { alerts: true, digest: false }, 'bench', at);
  store.close();

  const bot = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...endpoint.env,
      STORE_PATH: dbPath,
      PORT: '0',
      MDE_POLL_INTERVAL: `${POLL_S}s`,
      MDE_OVERLAP_WINDOW: '1s',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const random = createRandom(42);
  const rnd = (): number => random.next();
  const created: { comment: string; id: string; createdAtMs: number; completedAtMs?: number }[] = [];
  const completions: Promise<void>[] = [];
  try {
    // The first run reads the history and posts the backfill summary; alerts start after it.
    for (let i = 0; i < 1200 && connector.cardsPosted().length === 0; i++) await sleep(100);
    if (connector.cardsPosted().length === 0) throw new Error('the bot posted no backfill summary within 2 minutes');
    process.stderr.write(`alert latency: ${ALERTS} actions, mean gap ${GAP_MS} ms, poll ${POLL_S} s ...\n`);
    const machines = sim.tenant.machines();
    for (let i = 0; i < ALERTS; i++) {
      await sleep(-Math.log(1 - rnd()) * GAP_MS);
      const machine = machines[Math.floor(rnd() * machines.length)]!;
      const comment = `bench-alert-${i}`;
      const type = rnd() < 0.5 ? 'Isolate' : 'RunAntiVirusScan';
      const createdAtMs = Date.now();
      const a = sim.tenant.create({
        machineId: machine.id,
        type,
        scope: type === 'Isolate' ? 'Full' : 'Quick',
        comment,
        requestor: 'analyst@contoso.com',
      });
      const entry: (typeof created)[number] = { comment, id: a.id, createdAtMs };
      created.push(entry);
      const after = 3000 + rnd() * 17_000;
      completions.push(
        sleep(after).then(() => {
          entry.completedAtMs = Date.now();
          sim.tenant.transition(a.id, 'Succeeded');
        }),
      );
    }
    await Promise.all(completions);
    // Wait for the last posts and updates (a few polls).
    await sleep(4 * POLL_S * 1000);
  } finally {
    bot.kill('SIGTERM');
    await new Promise((r) => bot.once('close', r));
    await connector.close();
    await sim.stop();
  }

  const posts = connector.calls.filter((c) => c.method === 'POST' && c.status < 300);
  const puts = connector.calls.filter((c) => c.method === 'PUT' && c.status < 300);
  const postLatency: number[] = [];
  const putLatency: number[] = [];
  let missing = 0;
  let storms = 0;
  /** Cards whose action had completed before its alert went out: posted already final, nothing to update. */
  let postedFinal = 0;
  for (const e of created) {
    const post = posts.find((p) => JSON.stringify(p.body).includes(`"${e.comment}"`));
    if (!post) {
      missing++;
      continue;
    }
    postLatency.push(post.receivedAtMs - e.createdAtMs);
    const final = puts.find((p) => p.activityId === post.assignedId && JSON.stringify(p.body).includes('Succeeded'));
    if (final && e.completedAtMs !== undefined) putLatency.push(final.receivedAtMs - e.completedAtMs);
    else if (JSON.stringify(post.body).includes('Succeeded')) postedFinal++;
  }
  storms = posts.filter((p) => /alerts waiting|storm/i.test(JSON.stringify(p.body))).length;
  const pollMs = POLL_S * 1000;
  const fmt = (xs: number[], p: number): string => `${(percentile(xs, p) / 1000).toFixed(2)} s`;
  const lines = [
    `Alert latency: ${ALERTS} actions (Poisson, mean gap ${GAP_MS} ms), poll interval ${POLL_S} s, bot in its own process, 1 message/s pacing per channel`,
    `  new action → card posted:   p50 ${fmt(postLatency, 50)}, p95 ${fmt(postLatency, 95)}, max ${fmt(postLatency, 100)}; p95 / poll interval = ${(percentile(postLatency, 95) / pollMs).toFixed(2)} (target p95 ≤ ${POLL_S + 1} s)`,
    `  completion → card updated:  p50 ${fmt(putLatency, 50)}, p95 ${fmt(putLatency, 95)}, max ${fmt(putLatency, 100)}; p95 / poll interval = ${(percentile(putLatency, 95) / pollMs).toFixed(2)}`,
    `  cards: ${postLatency.length} posted for ${ALERTS} actions (${missing} missing, ${storms} storm summaries); ${putLatency.length} updated to Succeeded, ${postedFinal} posted already Succeeded, ${postLatency.length - putLatency.length - postedFinal} never reached Succeeded; requests to the connector: ${posts.length} POST, ${puts.length} PUT`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
