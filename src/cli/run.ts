/**
 * The command line (`defender-audit-bot`), loaded by the entry src/cli.ts once the Node.js version
 * is known to be supported. Subcommands are a table; each parses its own options. Exit codes:
 * 0 success, 1 runtime failure, 2 usage or configuration error.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs, parseEnv, type ParseArgsConfig } from 'node:util';
import { systemClock, type Clock } from '../core/clock.js';
import { formatDuration } from '../core/duration.js';
import { AppError, ConfigError, UsageError, describeError } from '../core/errors.js';
import { loadConfig, requireDefender, type Config, type Env } from '../config/config.js';
import { buildChat, buildDefenderClient, ingestSettings, main as startMain, replyCard, startDemo } from '../main.js';
import { createChat } from '../commands/chat.js';
import { toCsv, toJson, toText, writeExport } from '../commands/format.js';
import { compileKql } from '../queries/kql.js';
import { loadCardTemplates } from '../cards/index.js';
import { runOnce, type ChangeSet, type IngestProgress } from '../ingest/run-once.js';
import { openSqliteStore, type SqliteAuditStore } from '../store/sqlite-store.js';
import { createSimulator, loadDataset, parseFaultSpec } from '../simulator/index.js';
import { createPinoLogger } from '../core/pino-logger.js';
import type { Logger } from '../core/logger.js';
import { doctorChecks, type DoctorDeps } from '../doctor-checks.js';
import { doctorExitCode, formatDoctor, runDoctor, summarizeDoctor } from '../doctor/index.js';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether stderr is an interactive terminal (progress lines). */
  tty: boolean;
  /** Writes raw text to standard output and resolves when it may take more (exports); `out` collects otherwise. */
  write?: (chunk: string) => Promise<void>;
  /** Time source; the system clock unless a test pins it. */
  clock?: Clock;
  /** Azure SDK credential and HTTP client (doctor's Log Analytics checks); the SDK defaults unless a test injects them. */
  azure?: DoctorDeps['azure'];
}

interface Subcommand {
  name: string;
  usage: string;
  summary: string;
  run(args: string[], env: Env, io: Io): Promise<number>;
}

/** Reads `--env` files (Node's .env syntax); the process environment wins over them. */
function withEnvFiles(files: string[] | undefined, env: Env): Env {
  let merged: Record<string, string | undefined> = {};
  for (const f of files ?? []) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (err) {
      throw new UsageError(`--env ${f}: ${(err as Error).message}`);
    }
    merged = { ...merged, ...parseEnv(text) };
  }
  return { ...merged, ...env };
}

/**
 * Opens the store for a one-shot command after SQLite's quick integrity check: a damaged file is
 * never answered from nor written to (the error carries the Fix line, exit 1).
 */
function openCheckedStore(options: { path: string; locking: 'normal' | 'exclusive' }): SqliteAuditStore {
  const store = openSqliteStore({ path: options.path, locking: options.locking, check: 'quick' });
  const corrupt = store.corruption();
  if (corrupt) {
    store.close();
    throw corrupt;
  }
  return store;
}

type PinoDestination = NonNullable<Parameters<typeof createPinoLogger>[0]>['destination'];
const STDERR = process.stderr as unknown as PinoDestination;

/**
 * The log of a one-shot command: JSON lines on standard error, warnings and errors only unless
 * LOG_LEVEL asks for more detail (debug, trace), so that standard output holds only the answer.
 */
function commandLogger(config: Config): Logger {
  return createPinoLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level, destination: STDERR });
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, usage: string) {
  try {
    return parseArgs({ args, options, strict: true as const, allowPositionals: false as const });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nUsage: ${usage}`);
  }
}

function parseWithText<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, usage: string) {
  try {
    return parseArgs({ args, options, strict: true as const, allowPositionals: true as const });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nUsage: ${usage}`);
  }
}

const ASK_FORMATS = ['text', 'card', 'json', 'csv', 'kql'] as const;

function intOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got "${value}").`);
  return n;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

function describeChangeSet(c: ChangeSet, calls: { retries: number; throttled: number; budget: { minute: number; hour: number } }): string {
  const lines: string[] = [];
  const secs = Math.max(c.durationMs, 1) / 1000;
  const total = c.stats.new + c.stats.statusChanged + c.stats.updated + c.stats.unchanged + c.stats.quarantined;
  lines.push(`Ingest run ${c.runId}${c.backfill ? ' (first run: history backfill, no alerts)' : ''} finished in ${formatDuration(c.durationMs)}.`);
  lines.push(`  mode: ${c.mode === 'lastUpdate' ? 'incremental on lastUpdateDateTimeUtc' : 'fallback: creationDateTimeUtc window'}; read since ${c.since}; cursor ${c.cursorBefore ?? '(none)'} -> ${c.cursorAfter ?? '(none)'}`);
  lines.push(`  API calls: ${c.stats.calls} for ${c.stats.pages} pages (retries ${calls.retries}, throttled ${calls.throttled}); budget left ${calls.budget.minute}/min, ${calls.budget.hour}/h`);
  lines.push(`  actions read: ${fmt(total)} (${fmt(Math.round(total / secs))}/s): new ${fmt(c.stats.new)}, status changed ${fmt(c.stats.statusChanged)}, other updates ${fmt(c.stats.updated)}, unchanged ${fmt(c.stats.unchanged)}, quarantined ${fmt(c.stats.quarantined)}`);
  if (c.backfill && Object.keys(c.backfillCounts).length > 0) {
    const byType = Object.entries(c.backfillCounts).sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t} ${fmt(n)}`).join(', ');
    lines.push(`  backfilled by type: ${byType}`);
  }
  const shown = [...c.new, ...c.statusChanged, ...c.updated].slice(0, 25);
  for (const ch of shown) {
    const a = ch.action;
    const what = ch.kind === 'new' ? 'new' : ch.kind === 'statusChanged' ? `${ch.previousStatus} ->` : 'updated';
    lines.push(`  ${what.padEnd(12)} ${a.status.padEnd(10)} ${a.type.padEnd(24)} ${(a.computerDnsName ?? a.machineId).padEnd(28)} by ${a.requestor}  (${a.id})`);
  }
  const more = c.new.length + c.statusChanged.length + c.updated.length - shown.length;
  if (more > 0) lines.push(`  ... and ${fmt(more)} more changes`);
  return lines.join('\n');
}

function progressLine(p: IngestProgress): string {
  const rate = p.elapsedMs > 0 ? Math.round((p.received * 1000) / p.elapsedMs) : 0;
  return `  page ${p.pages} · ${fmt(p.received)} actions · ${fmt(rate)}/s · ${p.calls} calls · API budget left ${p.budget.minute}/min, ${p.budget.hour}/h`;
}

const commands: Subcommand[] = [
  {
    name: 'simulate',
    usage: 'defender-audit-bot simulate [--port N] [--dataset FILE] [--seed N] [--faults SPEC] [--devices N] [--days N] [--no-live] [--ca-file PATH] [--roles R1,R2] [--reject-last-update-filter] [--no-throttle]',
    summary: 'run the MDE API simulator on 127.0.0.1 and print the environment a client needs',
    async run(args, _env, io) {
      const { values } = parse(
        args,
        {
          port: { type: 'string' },
          dataset: { type: 'string' },
          seed: { type: 'string' },
          faults: { type: 'string' },
          devices: { type: 'string' },
          days: { type: 'string' },
          'no-live': { type: 'boolean' },
          'ca-file': { type: 'string' },
          roles: { type: 'string' },
          'reject-last-update-filter': { type: 'boolean' },
          'no-throttle': { type: 'boolean' },
        },
        this.usage,
      );
      let faults;
      try {
        faults = values.faults === undefined ? undefined : parseFaultSpec(values.faults);
      } catch (err) {
        throw new UsageError(`--faults: ${(err as Error).message}`);
      }
      const dataset = values.dataset === undefined ? undefined : await loadDataset(values.dataset).catch((err: Error) => {
        throw new UsageError(`--dataset: ${err.message}`);
      });
      const devices = intOption('devices', values.devices, 1, 100_000);
      const days = intOption('days', values.days, 1, 3650);
      const sim = createSimulator({
        port: intOption('port', values.port, 0, 65_535) ?? 0,
        seed: intOption('seed', values.seed, 0, 2 ** 31) ?? 1,
        dataset,
        ...(devices !== undefined || days !== undefined ? { generate: { ...(devices !== undefined ? { devices } : {}), ...(days !== undefined ? { days } : {}) } } : {}),
        ...(faults ? { faults } : {}),
        ...(values.roles !== undefined ? { roles: values.roles.split(',').map((r) => r.trim()).filter(Boolean) } : {}),
        rejectLastUpdateFilter: values['reject-last-update-filter'] === true,
        ...(values['no-throttle'] === true ? { throttle: false as const } : {}),
        logger: createPinoLogger({ level: 'info', name: 'mde-simulator', destination: STDERR }),
      });
      const caFile = values['ca-file'] ?? './data/simulator-ca.pem';
      mkdirSync(dirname(caFile), { recursive: true });
      try {
        const endpoint = await sim.start({ caCertFile: caFile });
        const live = dataset === undefined && values['no-live'] !== true;
        if (live) sim.startLive();
        io.err(`MDE API simulator on ${endpoint.baseUrl}: ${fmt(sim.tenant.size())} actions${dataset ? ` from ${values.dataset}` : ''}${live ? ', live activity on' : ''}. Point a client at it with:`);
        for (const [k, v] of Object.entries(endpoint.env)) io.out(`${k}=${v}`);
        io.err('Ctrl-C stops it.');
        await waitForSignal();
        return 0;
      } finally {
        await sim.stop();
      }
    },
  },
  {
    name: 'ingest',
    usage: 'defender-audit-bot ingest --once [--env FILE]',
    summary: 'run one ingest cycle against the configured MDE API and print the change set',
    async run(args, env, io) {
      const { values } = parse(args, { once: { type: 'boolean' }, env: { type: 'string', multiple: true } }, this.usage);
      if (values.once !== true) throw new UsageError(`ingest needs --once (the scheduler is "start").\nUsage: ${this.usage}`);
      const config = loadConfig(withEnvFiles(values.env, env), ['defender']);
      const defender = requireDefender(config);
      const logger = commandLogger(config);
      const store = openCheckedStore(config.store);
      const client = buildDefenderClient(defender, { clock: systemClock, logger });
      try {
        io.err(`Ingesting from ${defender.apiBaseUrl} into ${config.store.path} ...`);
        const changes = await runOnce({
          client,
          store,
          clock: systemClock,
          logger,
          settings: ingestSettings(defender),
          onProgress: (p) => {
            if (io.tty) io.err(`\r${progressLine(p)}\u001b[K`);
          },
        });
        if (io.tty) io.err('\n');
        const s = client.stats();
        io.out(describeChangeSet(changes, s));
        return 0;
      } finally {
        client.close();
        store.close();
      }
    },
  },
  {
    name: 'ask',
    usage: 'defender-audit-bot ask "<chat text>" [--format text|card|json|csv|kql] [--env FILE]',
    summary: 'answer a chat command from the store, exactly as the bot would',
    async run(args, env, io) {
      const { values, positionals } = parseWithText(args, { format: { type: 'string', default: 'text' }, env: { type: 'string', multiple: true } }, this.usage);
      const format = values.format as (typeof ASK_FORMATS)[number];
      if (!ASK_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${ASK_FORMATS.join(', ')} (got "${values.format}").\nUsage: ${this.usage}`);
      if (positionals.length !== 1) throw new UsageError(`ask takes the chat text as one quoted argument.\nUsage: ${this.usage}`);
      const text = positionals[0] as string;
      if (text.trim() === '') throw new UsageError(`ask needs the chat text, e.g. ask "summary 7d" (ask "help" lists the commands).\nUsage: ${this.usage}`);
      const config = loadConfig(withEnvFiles(values.env, env));
      const logger = commandLogger(config);
      if (format === 'kql') {
        // Compilation only: no store, no network.
        const chat = createChat({
          backend: { name: 'sqlite', run: () => Promise.reject(new Error('not used')), rows: () => ({ [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('not used')) }) }) },
          kqlOf: (spec) => compileKql(spec, config.commands.kqlSchema),
          clock: io.clock ?? systemClock,
          logger,
          status: () => ({ facts: [], problem: null }),
          requestorNames: config.commands.requestorNames,
        });
        const parsed = chat.parse(text);
        if (parsed.planned.kind === 'reply' && (parsed.planned.reply.kind === 'error' || (parsed.planned.reply.kind === 'help' && parsed.planned.reply.message !== null))) {
          io.err(toText(parsed.planned.reply, config.commands.requestorNames).trimEnd());
          return 2;
        }
        if (parsed.queries.length === 0) {
          io.err(`"${text}" runs no query.`);
          return 0;
        }
        io.out(parsed.queries.map((q) => q.kql).join('\n\n'));
        return 0;
      }
      if (!existsSync(config.store.path)) {
        throw new AppError('STORE_FAILED', `No store at ${config.store.path}.`, { fix: 'Run "defender-audit-bot ingest --once" (or npm run demo) first, or set STORE_PATH.' });
      }
      const store = openCheckedStore(config.store);
      try {
        const clock = io.clock ?? systemClock;
        const chat = buildChat(config, { store, clock, logger, rateLimit: false });
        if (format === 'json' || format === 'csv') {
          // Evidence export: every matching row, streamed (a chat answer is one page).
          const exported = await chat.export(text);
          if (exported.kind === 'rows') {
            let collected = '';
            const write = io.write ?? ((chunk: string) => Promise.resolve(void (collected += chunk)));
            const n = await writeExport(exported.rows, format, write);
            if (io.write === undefined) io.out(collected.trimEnd());
            io.err(`${n.toLocaleString('en-US')} row${n === 1 ? '' : 's'}: every matching one. The same query in Log Analytics:\n${exported.kql}`);
            return 0;
          }
        }
        const reply = await chat.handle(text);
        const names = config.commands.requestorNames;
        if (format === 'text') io.out(toText(reply, names).trimEnd());
        else if (format === 'json') io.out(toJson(reply).trimEnd());
        else if (format === 'csv') io.out(toCsv(reply).trimEnd());
        else io.out(JSON.stringify(replyCard(reply, config, await loadCardTemplates(), clock.now()), null, 2));
        if (reply.kind === 'error') return reply.reason === 'failed' ? 1 : 2;
        if (reply.kind === 'help' && reply.message !== null) return 2;
        return 0;
      } finally {
        store.close();
      }
    },
  },
  {
    name: 'digest',
    usage: 'defender-audit-bot digest --print [--format text|card|json] [--env FILE]',
    summary: 'print the daily digest now, from the store (posting it on schedule is the bot\'s job)',
    async run(args, env, io) {
      const { values } = parse(args, { print: { type: 'boolean' }, format: { type: 'string', default: 'text' }, env: { type: 'string', multiple: true } }, this.usage);
      if (values.print !== true) throw new UsageError(`digest needs --print.\nUsage: ${this.usage}`);
      const format = values.format ?? 'text';
      if (!['text', 'card', 'json'].includes(format)) throw new UsageError(`--format must be text, card or json (got "${format}").\nUsage: ${this.usage}`);
      const config = loadConfig(withEnvFiles(values.env, env));
      if (!existsSync(config.store.path)) {
        throw new AppError('STORE_FAILED', `No store at ${config.store.path}.`, { fix: 'Run "defender-audit-bot ingest --once" (or npm run demo) first, or set STORE_PATH.' });
      }
      const clock = io.clock ?? systemClock;
      const store = openCheckedStore(config.store);
      try {
        const chat = buildChat(config, { store, clock, logger: commandLogger(config), rateLimit: false });
        const reply = await chat.handle('digest');
        if (reply.kind !== 'digest') {
          io.err(toText(reply, config.commands.requestorNames).trimEnd());
          return 1;
        }
        if (format === 'text') io.out(toText(reply, config.commands.requestorNames).trimEnd());
        else if (format === 'json') io.out(toJson(reply).trimEnd());
        else io.out(JSON.stringify(replyCard(reply, config, await loadCardTemplates(), clock.now()), null, 2));
        return 0;
      } finally {
        store.close();
      }
    },
  },
  {
    name: 'doctor',
    usage: 'defender-audit-bot doctor [--deep] [--env FILE]',
    summary:
      'check the configuration, the MDE token and its permissions, the API, the store (SQLite quick_check; --deep: the full integrity_check), the Teams bot and Log Analytics; one line per check with the fix (exit 1 when one fails)',
    async run(args, env, io) {
      const { values } = parse(args, { deep: { type: 'boolean' }, env: { type: 'string', multiple: true } }, this.usage);
      const plan = doctorChecks(withEnvFiles(values.env, env), {
        ...(io.clock ? { clock: io.clock } : {}),
        ...(io.azure ? { azure: io.azure } : {}),
        ...(values.deep === true ? { deepStoreCheck: true } : {}),
      });
      try {
        const results = await runDoctor(plan.checks);
        io.out(formatDoctor(results));
        io.out(summarizeDoctor(results));
        return doctorExitCode(results);
      } finally {
        plan.close();
      }
    },
  },
  {
    name: 'start',
    usage: 'defender-audit-bot start [--env FILE]',
    summary: 'run the bot: /api/messages, /healthz and the scheduled ingest (SIGTERM or Ctrl-C stops it cleanly)',
    async run(args, env) {
      const { values } = parse(args, { env: { type: 'string', multiple: true } }, this.usage);
      await startMain(withEnvFiles(values.env, env));
      return 0;
    },
  },
  {
    name: 'demo',
    usage: 'defender-audit-bot demo [--store PATH] [--seed N] [--playground-port N] [--verbose]',
    summary: 'the whole product on this machine: MDE API simulator with live activity, ingest, the bot with alerts and the digest, and the Microsoft 365 Agents Playground as the Teams client',
    async run(args, env, io) {
      const { values } = parse(args, { store: { type: 'string' }, seed: { type: 'string' }, 'playground-port': { type: 'string' }, verbose: { type: 'boolean' } }, this.usage);
      const storePath = values.store ?? './data/demo/audit.db';
      // A quiet terminal: the instructions stay on screen; the full log is in a file beside the store.
      const logFile = join(dirname(storePath), 'demo.log');
      const demo = await startDemo({
        storePath,
        seed: intOption('seed', values.seed, 0, 2 ** 31) ?? 1,
        port: intOption('PORT', env.PORT, 0, 65_535) ?? 3978,
        playgroundPort: intOption('playground-port', values['playground-port'], 0, 65_535) ?? 56150,
        pollInterval: '5s',
        actionsPerMinute: 6,
        logLevel: env.LOG_LEVEL ?? 'info',
        logFile,
        env,
        onChanges: (c, service) => {
          // The first run's summary once; every later one only with --verbose (they come every few seconds).
          if (c.backfill || (values.verbose === true && c.new.length + c.statusChanged.length + c.updated.length > 0)) io.out(describeChangeSet(c, service.client.stats()));
        },
      });
      try {
        const sample = (demo.sim.tenant.machines()[0]?.computerDnsName ?? 'ws-001').split('.')[0] ?? 'ws-001';
        const ui = demo.playground.url;
        io.out(
          [
            'Defender Audit Bot demo: everything runs on this machine, nothing reaches Azure, Teams or Defender.',
            `  MDE API simulator   ${demo.config.defender?.apiBaseUrl ?? ''}  (${fmt(demo.sim.tenant.size())} actions; about 6 new ones a minute)`,
            `  Bot                 ${demo.botUrl}/api/messages  (local, unauthenticated; store ${storePath})`,
            `  Teams client        ${ui}  (Microsoft 365 Agents Playground)`,
            '',
            'Next:',
            `  1. Open ${ui} in a browser and keep it open (the Playground shows only what arrives while it is open).`,
            '  2. Choose the team "My Team", channel "General": this installs the bot there.',
            '  3. Send "@Test Bot subscribe" (type @, pick Test Bot, then the word). New isolations and scans now',
            '     arrive in the channel as cards that update in place when they complete; the daily digest goes there too.',
            `  4. Ask "@Test Bot actions for device ${sample}", "@Test Bot isolated", "@Test Bot summary 7d" or "@Test Bot digest".`,
            `  In a terminal: STORE_PATH=${storePath} npm run -s cli -- ask "actions for device ${sample}"`,
            `Logs: ${logFile} (tail -f it to follow; only warnings and errors show here; --verbose prints each ingest run).`,
            'Ctrl-C stops everything.\n',
          ].join('\n'),
        );
        await waitForSignal();
        io.out('\nStopping ...');
        return 0;
      } finally {
        await demo.stop();
      }
    },
  },
];

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return ['Usage: defender-audit-bot <command> [options]', '', 'Commands:', ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`), '', 'Run "defender-audit-bot <command> --help" for its options.'].join('\n');
}

/** Runs the CLI; returns the exit code. The single error funnel of the command line. */
export async function runCli(argv: string[], env: Env, io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.err(`Unknown command "${name}".\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`Usage: ${command.usage}\n  ${command.summary}`);
    return 0;
  }
  if (rest.some((a) => a === '--env-file' || a.startsWith('--env-file='))) {
    // Node reads --env-file itself, wherever it stands (a missing file stops Node with exit 9
    // before this program runs), so the CLI's option has another name.
    io.err(`The option is --env FILE (--env-file belongs to Node itself, which reads it before this program starts).\nUsage: ${command.usage}`);
    return 2;
  }
  try {
    return await command.run(rest, env, io);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof UsageError) {
      io.err(err.message);
      return 2;
    }
    io.err(`Error: ${describeError(err)}${err instanceof AppError ? ` [${err.code}]` : ''}`);
    return 1;
  }
}
