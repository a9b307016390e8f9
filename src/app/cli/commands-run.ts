/** `doctor`, `start` and `demo`. */
import { dirname, join } from 'node:path';
import { loadConfig } from '../../config/config.js';
import { systemClock } from '../../core/clock.js';
import { doctorChecks } from '../../doctor/checks.js';
import { doctorExitCode, formatDoctor, runDoctor, summarizeDoctor } from '../../doctor/index.js';
import { buildKqlRunner } from '../azure.js';
import { startDemo } from '../demo.js';
import { main as startMain } from '../main.js';
import { describeChangeSet } from './ingest-report.js';
import { fmt, intOption, parse, waitForSignal, withEnvFiles } from './options.js';
import type { Subcommand } from './types.js';

export const doctorCommand: Subcommand = {
  name: 'doctor',
  usage: 'defender-audit-bot doctor [--deep] [--env FILE]',
  summary:
    'check the configuration, the MDE token and its permissions, the API, the store (SQLite quick_check; --deep: the full integrity_check), the Teams bot and Log Analytics; one line per check with the fix (exit 1 when one fails)',
  async run(args, env, io) {
    const { values } = parse(args, { deep: { type: 'boolean' }, env: { type: 'string', multiple: true } }, this.usage);
    const clock = io.clock ?? systemClock;
    const plan = doctorChecks(withEnvFiles(values.env, env), {
      clock,
      credential: io.azure?.credential,
      kqlRunner: (config, credential) => buildKqlRunner(config, { clock, azure: { ...io.azure, credential } }),
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
};

export const startCommand: Subcommand = {
  name: 'start',
  usage: 'defender-audit-bot start [--env FILE]',
  summary: 'run the bot: /api/messages, /healthz and the scheduled ingest (SIGTERM or Ctrl-C stops it cleanly)',
  async run(args, env) {
    const { values } = parse(args, { env: { type: 'string', multiple: true } }, this.usage);
    await startMain(withEnvFiles(values.env, env));
    return 0;
  },
};

export const demoCommand: Subcommand = {
  name: 'demo',
  usage: 'defender-audit-bot demo [--store PATH] [--seed N] [--playground-port N] [--verbose]',
  summary:
    'the whole product on this machine: MDE API simulator with live activity, ingest, the bot with alerts and the digest, and the Microsoft 365 Agents Playground as the Teams client',
  async run(args, env, io) {
    const { values } = parse(
      args,
      {
        store: { type: 'string' },
        seed: { type: 'string' },
        'playground-port': { type: 'string' },
        verbose: { type: 'boolean' },
      },
      this.usage,
    );
    const storePath = values.store ?? './data/demo/audit.db';
    // A quiet terminal: the instructions stay on screen; the full log is in a file beside the store.
    const logFile = join(dirname(storePath), 'demo.log');
    // PORT and LOG_LEVEL come from the environment, read by the configuration like every setting.
    const settings = loadConfig(env);
    const demo = await startDemo({
      storePath,
      seed: intOption('seed', values.seed, 0, 2 ** 31) ?? 1,
      port: settings.bot.port,
      playgroundPort: intOption('playground-port', values['playground-port'], 0, 65_535) ?? 56150,
      pollInterval: '5s',
      actionsPerMinute: 6,
      logLevel: settings.log.level,
      logFile,
      env,
      onChanges: (c, service) => {
        // The first run's summary once; every later one only with --verbose (they come every few seconds).
        if (c.backfill || (values.verbose === true && c.new.length + c.statusChanged.length + c.updated.length > 0))
          io.out(describeChangeSet(c, service.client.stats()));
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
};
