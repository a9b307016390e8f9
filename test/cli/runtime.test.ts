import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SUPPORTED_NODE_RANGE, unsupportedNodeVersion } from '../../src/core/node-version.js';
import { ROOT, runCli, spawnCli, waitFor } from '../support/child.js';

/** A preload that makes the child process report another Node.js version, as an older runtime would. */
function pretendNode(version: string): string[] {
  return [
    '--import',
    `data:text/javascript,Object.defineProperty(process.versions,'node',{value:${JSON.stringify(version)}})`,
  ];
}

describe('cli: the Node.js version check', () => {
  it('supports Node.js 24 and later, and 22 from 22.12; refuses the rest naming found and needed', () => {
    for (const ok of ['24.0.0', '24.22.3', '26.12.1', '22.12.0', '22.20.1'])
      assert.equal(unsupportedNodeVersion(ok), undefined, ok);
    for (const old of ['20.20.2', '22.11.0', '18.20.8', '0.10.48', 'unknown']) {
      const line = unsupportedNodeVersion(old);
      assert.ok(line !== undefined, old);
      assert.ok(line.includes(`Node.js ${old}`), line);
      assert.match(line, /Node\.js 24 LTS \(or 22\.12 or later\)/);
      assert.ok(!line.includes('\n'), 'one line');
    }
  });

  it("is package.json's engines range", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    assert.equal(pkg.engines.node, SUPPORTED_NODE_RANGE);
  });

  it('on Node.js 20 the CLI stops at once with exit 2 and one line, before any command loads', async () => {
    for (const args of [['ingest', '--once'], ['--help'], ['start']]) {
      const r = await runCli(args, { MDE_TENANT_ID: 'x' }, pretendNode('20.20.2'));
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '', 'no usage text: the command line was never loaded');
      assert.deepEqual(r.stderr.trimEnd().split('\n'), [unsupportedNodeVersion('20.20.2')]);
    }
  });

  it('on a supported version the same preload changes nothing', async () => {
    const r = await runCli(['--help'], {}, pretendNode('24.22.3'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: defender-audit-bot <command>/);
  });
});

describe('cli: no deprecation warning on this runtime', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dab-runtime-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Node prints every deprecation with its stack under --trace-deprecation; none may appear. */
  const TRACE = ['--trace-deprecation'];
  const assertClean = (what: string, r: { code: number | null; stderr: string }, code = 0): void => {
    assert.equal(r.code, code, `${what}: ${r.stderr}`);
    assert.ok(!/DeprecationWarning|\[DEP\d+\]/.test(r.stderr), `${what} printed a deprecation warning:\n${r.stderr}`);
  };

  it('simulate, ingest --once, ask, digest --print, doctor and start print none', async () => {
    const sim = spawnCli(['simulate', '--devices', '20', '--days', '10', '--ca-file', join(dir, 'ca.pem')], {}, TRACE);
    try {
      await waitFor(
        () => /SECRET_MDE_CLIENT_SECRET=.+\n/.test(sim.output.stdout),
        'the simulator environment lines',
        6000,
      );
      const env = {
        ...Object.fromEntries(
          sim.output.stdout
            .trim()
            .split('\n')
            .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
        ),
        STORE_PATH: join(dir, 'audit.db'),
      };
      assertClean('ingest --once', await runCli(['ingest', '--once'], env, TRACE));
      assertClean('ask', await runCli(['ask', 'summary 7d'], env, TRACE));
      assertClean('ask --format kql', await runCli(['ask', 'failed 30d', '--format', 'kql'], env, TRACE));
      assertClean('digest --print', await runCli(['digest', '--print'], env, TRACE));
      const doctor = await runCli(['doctor'], env, TRACE);
      assertClean('doctor', doctor, doctor.code ?? 0);
      assert.ok(doctor.code === 0 || doctor.code === 1, doctor.stderr);

      const bot = spawnCli(['start'], { ...env, PORT: '0', LOG_LEVEL: 'info' }, TRACE);
      try {
        await waitFor(() => /listening/i.test(bot.output.stdout + bot.output.stderr), 'the bot to listen', 6000);
      } finally {
        bot.kill('SIGTERM');
      }
      assertClean('start', await bot.finished);
    } finally {
      sim.kill('SIGTERM');
    }
    assertClean('simulate', await sim.finished);
  });
});
