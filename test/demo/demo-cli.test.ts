import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnCli, runCli, waitFor } from '../support/child.js';

/** A port held by another listener for the duration of a test. */
async function occupy(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return { port: address.port, server };
}

async function reachable(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

describe('npm run demo (the CLI demo command)', function () {
  this.timeout(90_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dab-demo-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prints what to do next with the bot and the Playground up, and Ctrl-C (SIGINT) stops the bot and the Playground', async () => {
    const child = spawnCli(['demo', '--store', join(dir, 'audit.db'), '--playground-port', '0'], {
      PORT: '0',
      LOG_LEVEL: 'silent',
    });
    await waitFor(
      () => /Ctrl-C stops everything/.test(child.output.stdout) || child.exitCode !== null,
      'the demo banner',
      6000,
      10,
    );
    const out = child.output.stdout;
    assert.match(out, /Teams client\s+http:\/\/localhost:(\d+)/);
    assert.match(out, /My Team/);
    assert.match(out, /@Test Bot subscribe/);
    const playground = /Teams client\s+(http:\/\/localhost:\d+)/.exec(out)![1]!;
    const bot = /Bot\s+(http:\/\/127\.0\.0\.1:\d+)\/api\/messages/.exec(out)![1]!;
    assert.ok(await reachable(`${playground}/_debug/ping`), 'the Playground is up');
    assert.ok(await reachable(`${bot}/healthz`), 'the bot is up');
    child.kill('SIGINT');
    const done = await child.finished;
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /Stopping/);
    assert.equal(await reachable(`${playground}/_debug/ping`), false, 'the Playground child process is gone');
    assert.equal(await reachable(`${bot}/healthz`), false, 'the bot is gone');
  });

  it('keeps the terminal quiet: the full log goes to the file the banner names, ingest summaries only with --verbose', async () => {
    const child = spawnCli(['demo', '--store', join(dir, 'audit.db'), '--playground-port', '0'], { PORT: '0' });
    try {
      await waitFor(
        () => /Ctrl-C stops everything/.test(child.output.stdout) || child.exitCode !== null,
        'the demo banner',
        6000,
        10,
      );
      const logFile = join(dir, 'demo.log');
      assert.ok(child.output.stdout.includes(`Logs: ${logFile}`), child.output.stdout);
      // The scheduled ingest (every 5 s) writes its run lines to the file, not to the terminal.
      await waitFor(
        () =>
          existsSync(logFile) &&
          readFileSync(logFile, 'utf8')
            .split('\n')
            .filter((l) => l.includes('"ingest run finished"')).length >= 2,
        'two ingest runs in the log file',
        6000,
        10,
      );
      assert.ok(
        !child.output.stdout.includes('"level"') && !child.output.stderr.includes('"level":30'),
        'no info log line on the terminal',
      );
      // The first run's summary (the history backfill) once; none of the later runs without --verbose.
      const summaries = child.output.stdout.match(/Ingest run \d+/g) ?? [];
      assert.ok(summaries.length <= 1, summaries.join(', '));
      if (summaries.length === 1) assert.match(child.output.stdout, /first run: history backfill/);
    } finally {
      child.kill('SIGINT');
      await child.finished;
    }
  });

  it('a bot port already in use gives a clear message and exit code 2', async () => {
    const { port, server } = await occupy();
    try {
      const done = await runCli(['demo', '--store', join(dir, 'audit.db'), '--playground-port', '0'], {
        PORT: String(port),
        LOG_LEVEL: 'silent',
      });
      assert.equal(done.code, 2, done.stderr);
      assert.match(done.stderr, new RegExp(`Port ${port} is in use\\. Fix: .*PORT=<free port> npm run demo`));
    } finally {
      server.close();
    }
  });
});
