/**
 * Chat command latency over a large store: measured figures, never pass/fail.
 *
 * Store: 1,000,000 simulator actions over 730 days and 20,000 device names, written through the
 * product's ingest path (store.applyPage, pages of 10,000 in lastUpdate order, one backfill run)
 * by bench/commands-worker.ts into bench/out/commands-1m.db, then ANALYZE. The file is reused while
 * its sidecar (commands-1m.json) matches the generation parameters and the hash of the schema and
 * simulator sources; BENCH_REBUILD=1 forces a rebuild.
 *
 * Per command, in one process: the real bot (createBot: restify + botbuilder CloudAdapter + chat +
 * card rendering) on 127.0.0.1, answering into the fake Bot Connector of test/fakes. Each run POSTs a
 * Teams channel message to /api/messages and takes the time at which the connector received the
 * reply card ("bot"); and, alternating with it (bot first on even runs, SQL first on odd runs), the
 * same command's queries (chat.parse(text).queries) run on the SQLite backend directly: backend.run
 * (SQL plus row mapping, and the list's count query when a page is full) and the raw main statement
 * of each spec (compileSql(spec).main, prepared once). The ratio is bot p50 / backend.run p50.
 *
 * Time: the data ends at a fixed instant (NOW_MS), so the bot runs on a clock that starts there and
 * then advances with the system clock; "30d" means the same data on every machine and every day.
 *
 * Knobs: BENCH_COMMAND_RUNS (default 50) measured runs per command after 5 warm-up runs;
 * BENCH_REBUILD=1 rebuilds the store; BENCH_COMMAND_ACTIONS (default 1,000,000) for quick trials.
 * Standalone: npx tsx bench/commands.ts
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Statement } from 'better-sqlite3';
import { loadConfig } from '../src/config/config.js';
import { createBot } from '../src/app/index.js';
import { systemClock, type Clock } from '../src/core/clock.js';
import { silentLogger } from '../src/core/logger.js';
import type { QueryResult } from '../src/core/query.js';
import { ingestHealth } from '../src/ingest/health.js';
import { createSqliteQueryBackend } from '../src/queries/sqlite-backend.js';
import { compileSql } from '../src/queries/sql.js';
import { APPS } from '../src/simulator/generator.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { openSqliteStore, type SqliteAuditStore } from '../src/store/sqlite-store.js';
import { startFakeConnector } from '../test/fakes/fake-connector.js';
import { channelMessage } from '../test/teams/helpers.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const OUT = join(ROOT, 'bench', 'out');
const ACTIONS = Number(process.env.BENCH_COMMAND_ACTIONS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_COMMAND_RUNS ?? 50);
const WARMUP = 5;
const REBUILD = process.env.BENCH_REBUILD === '1';
const GEN = { actions: ACTIONS, devices: 20_000, days: 730, seed: 5, nowMs: Date.UTC(2025, 5, 1, 12) };
const NAME = ACTIONS === 1_000_000 ? 'commands-1m' : `commands-${ACTIONS}`;
const DB_PATH = join(OUT, `${NAME}.db`);
const META_PATH = join(OUT, `${NAME}.json`);
const POLL_INTERVAL_MS = 60_000;
const DAY = 86_400_000;

interface BuildFacts {
  rows: number;
  pages: number;
  generateMs: number;
  loadMs: number;
  analyzeMs: number;
  peakRssMb: number;
}

interface Meta {
  gen: typeof GEN;
  inputsHash: string;
  builtAt: string;
  build: BuildFacts;
}

/** What the stored data depends on besides GEN: the schema (indexes included) and the simulator. */
function inputsHash(): string {
  const h = createHash('sha256');
  for (const m of MIGRATIONS) h.update(`${m.version}\n${m.sql}\n`);
  for (const f of ['generator.ts', 'model.ts', 'prng.ts']) h.update(readFileSync(join(ROOT, 'src', 'simulator', f)));
  return h.digest('hex').slice(0, 16);
}

function runWorker(args: string[]): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/commands-worker.ts', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('close', (code) =>
      code === 0 ? res(out) : rej(new Error(`commands-worker ${args.join(' ')} exited ${code}`)),
    );
  });
}

/** Reuses the cached store when its sidecar matches; else builds it into a temporary file and renames it. */
async function ensureStore(): Promise<{ meta: Meta; reused: boolean }> {
  const hash = inputsHash();
  if (!REBUILD && existsSync(DB_PATH) && existsSync(META_PATH)) {
    try {
      const meta = JSON.parse(readFileSync(META_PATH, 'utf8')) as Meta;
      if (JSON.stringify(meta.gen) === JSON.stringify(GEN) && meta.inputsHash === hash) return { meta, reused: true };
      process.stderr.write(`commands: ${META_PATH} does not match the parameters or sources: rebuilding\n`);
    } catch {
      process.stderr.write(`commands: unreadable ${META_PATH}: rebuilding\n`);
    }
  }
  mkdirSync(OUT, { recursive: true });
  rmSync(META_PATH, { force: true });
  const tmp = `${DB_PATH}.building`;
  process.stderr.write(`commands: building ${ACTIONS.toLocaleString('en-US')} actions into ${DB_PATH} ...\n`);
  const build = JSON.parse(
    await runWorker(['build', tmp, ...[GEN.actions, GEN.devices, GEN.days, GEN.seed, GEN.nowMs].map(String)]),
  ) as BuildFacts;
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${DB_PATH}${suffix}`, { force: true });
  renameSync(tmp, DB_PATH);
  for (const suffix of ['-wal', '-shm']) rmSync(`${tmp}${suffix}`, { force: true });
  const meta: Meta = { gen: GEN, inputsHash: hash, builtAt: new Date().toISOString(), build };
  writeFileSync(META_PATH, `${JSON.stringify(meta, null, 2)}\n`);
  return { meta, reused: false };
}

/** Nearest-rank percentile. */
function pct(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] as number;
}

const ms = (x: number): string => (Number.isNaN(x) ? '-' : x.toFixed(1));
const n = (x: number): string => x.toLocaleString('en-US');

/** Values from the store for the commands: the busiest device and requestor, an action in the middle. */
function pickValues(
  store: SqliteAuditStore,
  nowMs: number,
): {
  device: string;
  deviceFacts: string;
  fqdn: string;
  fqdnFacts: string;
  requestor: string;
  requestorFacts: string;
  actionId: string;
} {
  const since = (days: number): string => new Date(nowMs - days * DAY).toISOString();
  const db = store.db;
  const dev = db
    .prepare(
      'SELECT device_short_lc AS k, count(*) AS c FROM actions WHERE creation_time >= ? AND device_short_lc IS NOT NULL GROUP BY 1 ORDER BY c DESC, k LIMIT 1',
    )
    .get(since(30)) as { k: string; c: number };
  const devAll = db
    .prepare('SELECT count(*) AS c, count(DISTINCT machine_id) AS m FROM actions WHERE device_short_lc = ?')
    .get(dev.k) as { c: number; m: number };
  const fq = db
    .prepare(
      'SELECT device_name_lc AS k, count(*) AS c FROM actions WHERE creation_time >= ? AND device_name_lc IS NOT NULL GROUP BY 1 ORDER BY c DESC, k LIMIT 1',
    )
    .get(since(360)) as { k: string; c: number };
  const shown = db
    .prepare('SELECT computer_dns_name FROM actions WHERE device_name_lc = ? ORDER BY creation_time DESC LIMIT 1')
    .pluck()
    .get(fq.k) as string;
  const req = db
    .prepare(
      'SELECT requestor AS k, count(*) AS c FROM actions WHERE creation_time >= ? GROUP BY requestor COLLATE NOCASE ORDER BY c DESC, k LIMIT 1',
    )
    .get(since(30)) as { k: string; c: number };
  const actionId = db
    .prepare('SELECT id FROM actions WHERE seq >= (SELECT max(seq) / 2 FROM actions) ORDER BY seq LIMIT 1')
    .pluck()
    .get() as string;
  return {
    device: dev.k,
    deviceFacts: `${n(dev.c)} actions in 30 days, ${n(devAll.c)} in all, ${devAll.m} machine id${devAll.m === 1 ? '' : 's'}`,
    fqdn: shown,
    fqdnFacts: `${n(fq.c)} actions in 360 days`,
    requestor: req.k,
    requestorFacts: `${n(req.c)} actions in 30 days`,
    actionId,
  };
}

/** A short description of what the queries returned, to show that each command found real data. */
function describe(results: QueryResult[]): string {
  const r = results[0];
  if (r === undefined) return '';
  switch (r.shape) {
    case 'list': {
      const m = results[1];
      const machines =
        m !== undefined && m.shape === 'countByMachine'
          ? `, ${m.rows.length} machine${m.rows.length === 1 ? '' : 's'}`
          : '';
      return `${r.rows.length} of ${n(r.total)}${machines}`;
    }
    case 'countByDay':
      return `${r.rows.length} days, ${n(r.total)}`;
    case 'isolation':
      return `${n(r.rows.length)} devices`;
    case 'one':
      return r.row === null ? 'not found' : `found, ${r.history.length} status row${r.history.length === 1 ? '' : 's'}`;
    default:
      return `${r.rows.length} keys${results.length > 1 ? ` (+${results.length - 1} query)` : ''}, ${n(r.total)}`;
  }
}

/** Card texts that mean the command did not run as meant. */
const FAILED_REPLY = /"(?:Query failed|Slow down|Cannot run that|Too long)"|I did not understand/;

interface CommandCase {
  label: string;
  text: string;
  targetMs: number;
}

interface CommandFigures {
  c: CommandCase;
  bot: number[];
  post: number[];
  run: number[];
  raw: number[];
  result: string;
}

export async function benchCommands(): Promise<void> {
  const { meta, reused } = await ensureStore();
  const store = openSqliteStore({ path: DB_PATH });
  // Closed in reverse order however the run ends.
  const closers: (() => unknown)[] = [() => store.close()];
  try {
    // The clock starts at the end of the data and advances in real time.
    const offset = GEN.nowMs - Date.now();
    const clock: Clock = { ...systemClock, now: () => Date.now() + offset };

    const facts = store.db
      .prepare(
        'SELECT count(*) AS rows, count(DISTINCT machine_id) AS machines, min(creation_time) AS first, max(creation_time) AS last FROM actions',
      )
      .get() as {
      rows: number;
      machines: number;
      first: string;
      last: string;
    };
    const v = pickValues(store, clock.now());
    const cases: CommandCase[] = [
      { label: 'actions for device <name>', text: `actions for device ${v.device}`, targetMs: 10 },
      { label: 'actions for device <fqdn> 360d', text: `actions for device ${v.fqdn} 360d`, targetMs: 50 },
      { label: 'actions by <requestor> 30d', text: `actions by ${v.requestor} 30d`, targetMs: 50 },
      ...[
        'summary 30d',
        'requestors 30d',
        'devices 30d',
        'timeline 30d',
        'timeline 360d',
        'isolated',
        'failed 7d',
        'pending',
      ].map((t) => ({ label: t, text: t, targetMs: 50 })),
      { label: 'action <id>', text: `action ${v.actionId}`, targetMs: 50 },
      { label: 'status', text: 'status', targetMs: 50 },
      { label: 'help', text: 'help', targetMs: 50 },
    ];

    const connector = await startFakeConnector();
    closers.push(() => connector.close());
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      // The configuration's maximum (10,000 a minute): this benchmark sends one user's ~800 commands.
      COMMAND_RATE_LIMIT: '10000',
      LOG_LEVEL: 'silent',
      MDE_POLL_INTERVAL: `${POLL_INTERVAL_MS / 1000}s`,
      REQUESTOR_NAMES: APPS.map((a) => `${a.id}=${a.name}`).join(';'),
      STORE_PATH: DB_PATH,
    };
    const config = loadConfig(env);
    const bot = await createBot(config, { store, clock, logger: silentLogger, ingestEnabled: false });
    const { url } = await bot.start();
    closers.push(() => bot.stop());
    const messages = `${url}/api/messages`;
    const backend = createSqliteQueryBackend(store);
    const rawStatements = new Map<string, Statement>();

    /** One command through the bot; returns ms until the connector had the reply, and until the POST returned. */
    async function botOnce(text: string): Promise<{ recv: number; post: number }> {
      connector.reset();
      const body = JSON.stringify(channelMessage(connector.url, text));
      const received = connector.waitForCalls(1).then(() => performance.now());
      const t0 = performance.now();
      const res = await fetch(messages, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const t1 = performance.now();
      await res.arrayBuffer();
      if (res.status >= 300) throw new Error(`"${text}": POST /api/messages answered HTTP ${res.status}`);
      if (connector.calls.length !== 1)
        throw new Error(`"${text}": the connector received ${connector.calls.length} calls, not 1`);
      const tRecv = await received;
      const cards = connector.cardsPosted();
      if (cards.length !== 1) throw new Error(`"${text}": no card reached the connector`);
      const card = JSON.stringify(cards[0]?.card);
      if (FAILED_REPLY.test(card))
        throw new Error(`"${text}": the bot answered with an error card: ${card.slice(0, 300)}`);
      return { recv: tRecv - t0, post: t1 - t0 };
    }

    /** The same command's queries on the backend directly, and their raw main statements. */
    async function sqlOnce(text: string): Promise<{ run: number; raw: number; result: string }> {
      const parsed = bot.chat.parse(text);
      if (parsed.planned.kind === 'status') {
        const t0 = performance.now();
        const h = ingestHealth(store, { nowMs: clock.now(), pollIntervalMs: POLL_INTERVAL_MS });
        const t = performance.now() - t0;
        return { run: t, raw: NaN, result: `${h.facts.length} facts (ingestHealth)` };
      }
      if (parsed.queries.length === 0) return { run: NaN, raw: NaN, result: 'no query' };
      const results: QueryResult[] = [];
      const t0 = performance.now();
      for (const q of parsed.queries) results.push(await backend.run(q.spec));
      const run = performance.now() - t0;
      const mains = parsed.queries.map((q) => compileSql(q.spec).main);
      const stmts = mains.map((m) => {
        let s = rawStatements.get(m.sql);
        if (s === undefined) rawStatements.set(m.sql, (s = store.db.prepare(m.sql)));
        return s;
      });
      const t2 = performance.now();
      for (let i = 0; i < stmts.length; i++) stmts[i]?.all(...(mains[i]?.params ?? []));
      const raw = performance.now() - t2;
      return { run, raw, result: describe(results) };
    }

    const figures: CommandFigures[] = [];
    const t0 = performance.now();
    for (const c of cases) {
      const f: CommandFigures = { c, bot: [], post: [], run: [], raw: [], result: '' };
      for (let i = 0; i < WARMUP + RUNS; i++) {
        // Alternate which side goes first, so that neither always runs on a cache the other warmed.
        let b: { recv: number; post: number };
        let s: { run: number; raw: number; result: string };
        if (i % 2 === 0) {
          b = await botOnce(c.text);
          s = await sqlOnce(c.text);
        } else {
          s = await sqlOnce(c.text);
          b = await botOnce(c.text);
        }
        if (i < WARMUP) continue;
        f.bot.push(b.recv);
        f.post.push(b.post);
        f.run.push(s.run);
        f.raw.push(s.raw);
        f.result = s.result;
      }
      figures.push(f);
      process.stderr.write(`  ${c.label}: bot p50 ${ms(pct(f.bot, 0.5))} ms\n`);
    }
    const elapsed = (performance.now() - t0) / 1000;

    const size = (p: string): number => (existsSync(p) ? statSync(p).size : 0);
    const fileMb = (size(DB_PATH) + size(`${DB_PATH}-wal`)) / 1024 / 1024;
    const b = meta.build;
    const buildLine = reused
      ? `reused (built ${meta.builtAt}: generate ${(b.generateMs / 1000).toFixed(1)} s, load ${(b.loadMs / 1000).toFixed(1)} s, ANALYZE ${(b.analyzeMs / 1000).toFixed(1)} s; BENCH_REBUILD=1 rebuilds)`
      : `built now: generate + sort ${(b.generateMs / 1000).toFixed(1)} s, applyPage x ${b.pages} ${(b.loadMs / 1000).toFixed(1)} s (${n(Math.round((b.rows * 1000) / b.loadMs))} actions/s), ANALYZE ${(b.analyzeMs / 1000).toFixed(1)} s, builder peak RSS ${b.peakRssMb} MB`;

    const header = [
      'command',
      'bot p50',
      'bot p95',
      'target',
      'p95 ok',
      'POST p50',
      'run() p50',
      'SQL p50',
      'bot/run()',
      'result (last run)',
    ];
    const rows = figures.map((f) => {
      const p50 = pct(f.bot, 0.5);
      const p95 = pct(f.bot, 0.95);
      const run50 = pct(f.run, 0.5);
      return [
        f.c.label,
        ms(p50),
        ms(p95),
        `${f.c.targetMs}`,
        p95 <= f.c.targetMs ? 'yes' : 'NO',
        ms(pct(f.post, 0.5)),
        ms(run50),
        ms(pct(f.raw, 0.5)),
        Number.isNaN(run50) ? '-' : (p50 / run50).toFixed(1),
        f.result,
      ];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const fmtRow = (r: string[]): string =>
      r
        .map((x, i) => (i === 0 || i === r.length - 1 ? x.padEnd(widths[i] ?? 0) : x.padStart(widths[i] ?? 0)))
        .join('  ')
        .trimEnd();

    const lines = [
      `Command latency benchmark: ${n(facts.rows)} actions, ${RUNS} runs per command after ${WARMUP} warm-up runs, bot and SQL alternating (ms)`,
      `  store: ${DB_PATH} (${fileMb.toFixed(0)} MB), ${n(facts.rows)} actions on ${n(facts.machines)} machine ids, created ${facts.first.slice(0, 10)} to ${facts.last.slice(0, 10)}; ${GEN.devices.toLocaleString('en-US')} device names, seed ${GEN.seed}`,
      `  store ${buildLine}`,
      `  clock: starts at ${new Date(GEN.nowMs).toISOString()} (end of the data), advances in real time`,
      `  <name> = ${v.device} (${v.deviceFacts}); <fqdn> = ${v.fqdn} (${v.fqdnFacts});`,
      `  <requestor> = ${v.requestor} (${v.requestorFacts}); <id> = ${v.actionId}`,
      '',
      `  ${fmtRow(header)}`,
      ...rows.map((r) => `  ${fmtRow(r)}`),
      '',
      '  bot: activity POSTed to /api/messages until the fake connector received the reply card (restify, CloudAdapter, chat, SQL, card, reply POST);',
      "  POST: until the POST to /api/messages returned; run(): backend.run() of the command's specs (SQL, row mapping, list count query);",
      '  SQL: the raw main statement of each spec (compileSql(spec).main, prepared); status: run() is ingestHealth(); help runs no query.',
      `  bot/run(): bot p50 / run() p50. Measured in ${elapsed.toFixed(0)} s.`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    for (const close of closers.reverse()) await close();
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await benchCommands();
