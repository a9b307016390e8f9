#!/usr/bin/env node
/**
 * The entry of the `defender-audit-bot` binary (dist/cli.js). It checks the Node.js version before
 * anything else loads: restify 12 and better-sqlite3 13 need Node.js 22 or later, and on older
 * versions they fail with a stack trace (or, for better-sqlite3, a segmentation fault). Only
 * then does it load the command line (src/app/cli/run.ts), with the process's arguments, environment
 * and standard streams.
 */
import { unsupportedNodeVersion } from './core/node-version.js';

const problem = unsupportedNodeVersion(process.versions.node);
if (problem !== undefined) {
  process.stderr.write(`${problem}\n`);
  process.exitCode = 2;
} else {
  const { runCli } = await import('./app/cli/run.js');
  process.exitCode = await runCli(process.argv.slice(2), process.env, {
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => process.stderr.write(t.startsWith('\r') || t === '\n' ? t : `${t}\n`),
    tty: process.stderr.isTTY === true,
    // Honours backpressure: a large export waits for a slow reader instead of buffering in memory.
    write: (chunk) =>
      new Promise<void>((resolve) => (process.stdout.write(chunk) ? resolve() : process.stdout.once('drain', resolve))),
  });
}
