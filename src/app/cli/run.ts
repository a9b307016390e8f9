/**
 * The command line (`defender-audit-bot`), loaded by the entry src/cli.ts once the Node.js version
 * is known to be supported. Subcommands are a table; each parses its own options. Exit codes:
 * 0 success, 1 runtime failure, 2 usage or configuration error.
 */
import { AppError, ConfigError, UsageError, describeError } from '../../core/errors.js';
import type { Env } from '../../config/config.js';
import { askCommand, digestCommand } from './commands-ask.js';
import { ingestCommand, simulateCommand } from './commands-data.js';
import { demoCommand, doctorCommand, startCommand } from './commands-run.js';
import type { Io, Subcommand } from './types.js';

export type { Io } from './types.js';

const commands: readonly Subcommand[] = [
  simulateCommand,
  ingestCommand,
  askCommand,
  digestCommand,
  doctorCommand,
  startCommand,
  demoCommand,
];

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: defender-audit-bot <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run "defender-audit-bot <command> --help" for its options.',
  ].join('\n');
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
    io.err(
      `The option is --env FILE (--env-file belongs to Node itself, which reads it before this program starts).\nUsage: ${command.usage}`,
    );
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
