/**
 * `npm run bench`: measured figures, never pass/fail. Each figure that compares two things measures
 * both in the same run, alternating, on this machine (shared and noisy: read the ratios).
 *
 * Ingest: 200,000 simulator actions in pages of 10,000 into a fresh store, against a baseline of
 * JSON.parse of the same page bodies plus a plain prepared-statement insert of the same rows.
 * The simulator runs in its own process, as the real API would be elsewhere, without its 100 calls per
 * minute throttle (the rounds together make more calls than one real ingest would).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateActions } from '../src/simulator/generator.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const OUT = join(ROOT, 'bench', 'out');
const ACTIONS = Number(process.env.BENCH_ACTIONS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface WorkerResult {
  mode: string;
  actions: number;
  ms: number;
  peakRssMb: number;
}

function runNode(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('close', (code) => (code === 0 ? res(out) : rej(new Error(`${args.join(' ')} exited ${code}`))));
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function benchIngest(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const datasetPath = join(OUT, 'ingest-dataset.json');
  process.stderr.write(`generating ${ACTIONS.toLocaleString('en-US')} actions ...\n`);
  writeFileSync(datasetPath, JSON.stringify(generateActions(ACTIONS, { devices: 5000, days: 365, seed: 11 })));

  const sim = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli.ts',
      'simulate',
      '--no-throttle',
      '--dataset',
      datasetPath,
      '--ca-file',
      join(OUT, 'ca.pem'),
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  let simOut = '';
  sim.stdout.setEncoding('utf8').on('data', (d: string) => (simOut += d));
  for (let i = 0; i < 6000 && !/SECRET_MDE_CLIENT_SECRET=.+\n/.test(simOut); i++)
    await new Promise((r) => setTimeout(r, 10));
  const env: Record<string, string> = Object.fromEntries(
    simOut
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  Object.assign(env, { MDE_PAGE_SIZE: '10000', MDE_BACKFILL_DAYS: '3650', LOG_LEVEL: 'silent' });

  const results: { ingest: WorkerResult; baseline: WorkerResult }[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const ingest = JSON.parse(
        await runNode(['bench/ingest-worker.ts', 'ingest', join(OUT, 'ingest.db')], env),
      ) as WorkerResult;
      const baseline = JSON.parse(
        await runNode(['bench/ingest-worker.ts', 'baseline', join(OUT, 'baseline.db')], env),
      ) as WorkerResult;
      results.push({ ingest, baseline });
      process.stderr.write(`round ${round + 1}: ingest ${ingest.ms} ms, baseline ${baseline.ms} ms\n`);
    }
  } finally {
    sim.kill('SIGTERM');
  }
  const rate = (r: WorkerResult): number => Math.round((r.actions * 1000) / r.ms);
  const ratios = results.map((r) => r.ingest.ms / r.baseline.ms);
  const ingestRates = results.map((r) => rate(r.ingest));
  const baseRates = results.map((r) => rate(r.baseline));
  const lines = [
    `Ingest benchmark: ${ACTIONS.toLocaleString('en-US')} actions, pages of 10,000, fresh store, ${ROUNDS} alternating rounds (median)`,
    `  product ingest (HTTPS simulator in another process, token, validation, upsert, history): ${median(ingestRates).toLocaleString('en-US')} actions/s  [${ingestRates.join(', ')}]`,
    `  baseline (JSON.parse of the same bodies + prepared-statement insert):                   ${median(baseRates).toLocaleString('en-US')} actions/s  [${baseRates.join(', ')}]`,
    `  ratio ingest time / baseline time: ${median(ratios).toFixed(2)}  [${ratios.map((r) => r.toFixed(2)).join(', ')}]`,
    `  peak RSS of the ingest process: ${Math.max(...results.map((r) => r.ingest.peakRssMb))} MB (baseline process ${Math.max(...results.map((r) => r.baseline.peakRssMb))} MB, holds all bodies)`,
    `  stored: ${results[0]?.ingest.actions.toLocaleString('en-US')} actions (baseline ${results[0]?.baseline.actions.toLocaleString('en-US')})`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

// BENCH_ONLY=ingest, commands, alerts or loganalytics runs one of them.
const only = process.env.BENCH_ONLY;
if (only === undefined || only === 'ingest') await benchIngest();
if (only === undefined || only === 'commands') await (await import('./commands.js')).benchCommands();
if (only === undefined || only === 'alerts') await (await import('./alerts.js')).benchAlerts();
if (only === undefined || only === 'loganalytics') await (await import('./loganalytics.js')).benchLogAnalytics();
