/** `simulate` and `ingest --once`. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { systemClock } from '../../core/clock.js';
import { UsageError } from '../../core/errors.js';
import { createPinoLogger } from '../../core/pino-logger.js';
import { loadConfig, requireDefender } from '../../config/config.js';
import { runOnce } from '../../ingest/run-once.js';
import { createSimulator, loadDataset, parseFaultSpec } from '../../simulator/index.js';
import { buildDefenderClient, ingestSettings } from '../defender.js';
import { describeChangeSet, progressLine } from './ingest-report.js';
import {
  commandLogger,
  fmt,
  intOption,
  openCheckedStore,
  parse,
  STDERR,
  waitForSignal,
  withEnvFiles,
} from './options.js';
import type { Subcommand } from './types.js';

export const simulateCommand: Subcommand = {
  name: 'simulate',
  usage:
    'defender-audit-bot simulate [--port N] [--dataset FILE] [--seed N] [--faults SPEC] [--devices N] [--days N] [--no-live] [--ca-file PATH] [--roles R1,R2] [--reject-last-update-filter] [--no-throttle]',
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
    const dataset =
      values.dataset === undefined
        ? undefined
        : await loadDataset(values.dataset).catch((err: Error) => {
            throw new UsageError(`--dataset: ${err.message}`);
          });
    const devices = intOption('devices', values.devices, 1, 100_000);
    const days = intOption('days', values.days, 1, 3650);
    const sim = createSimulator({
      port: intOption('port', values.port, 0, 65_535) ?? 0,
      seed: intOption('seed', values.seed, 0, 2 ** 31) ?? 1,
      dataset,
      ...(devices !== undefined || days !== undefined
        ? { generate: { ...(devices !== undefined ? { devices } : {}), ...(days !== undefined ? { days } : {}) } }
        : {}),
      ...(faults ? { faults } : {}),
      ...(values.roles !== undefined
        ? {
            roles: values.roles
              .split(',')
              .map((r) => r.trim())
              .filter(Boolean),
          }
        : {}),
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
      io.err(
        `MDE API simulator on ${endpoint.baseUrl}: ${fmt(sim.tenant.size())} actions${dataset ? ` from ${values.dataset}` : ''}${live ? ', live activity on' : ''}. Point a client at it with:`,
      );
      for (const [k, v] of Object.entries(endpoint.env)) io.out(`${k}=${v}`);
      io.err('Ctrl-C stops it.');
      await waitForSignal();
      return 0;
    } finally {
      await sim.stop();
    }
  },
};

export const ingestCommand: Subcommand = {
  name: 'ingest',
  usage: 'defender-audit-bot ingest --once [--env FILE]',
  summary: 'run one ingest cycle against the configured MDE API and print the change set',
  async run(args, env, io) {
    const { values } = parse(args, { once: { type: 'boolean' }, env: { type: 'string', multiple: true } }, this.usage);
    if (values.once !== true)
      throw new UsageError(`ingest needs --once (the scheduler is "start").\nUsage: ${this.usage}`);
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
};
