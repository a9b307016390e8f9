import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateActions } from '../../src/simulator/generator.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { MACHINE_ACTION_KEYS } from '../../src/core/types.js';
import { loadDataset } from '../../src/simulator/dataset.js';
import { ROOT, runCli, spawnCli, waitFor } from '../support/child.js';

describe('cli', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dab-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a missing or bad variable exits 2 with a message naming it', async () => {
    const r = await runCli(['ingest', '--once'], { STORE_PATH: join(dir, 'x.db') });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /MDE_TENANT_ID: is required/);
    assert.match(r.stderr, /SECRET_MDE_CLIENT_SECRET: is required/);
    const r2 = await runCli(['ingest', '--once'], {
      MDE_TENANT_ID: '00000000-0000-0000-0000-000000000001',
      MDE_CLIENT_ID: '11111111-1111-1111-1111-111111111111',
      SECRET_MDE_CLIENT_SECRET: 's',
      MDE_POLL_INTERVAL: 'often',
    });
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /MDE_POLL_INTERVAL: must be a duration/);
    assert.ok(!r2.stderr.includes('    at '), 'no stack trace for a configuration error');
  });

  it('usage errors exit 2', async () => {
    assert.equal((await runCli(['frobnicate'], {})).code, 2);
    assert.equal((await runCli(['ingest'], {})).code, 2);
    assert.equal((await runCli(['simulate', '--port', 'x'], {})).code, 2);
  });

  it("simulate --dataset FILE with ingest --once stores exactly the file's actions", async () => {
    const actions = generateActions(2500, { devices: 40, days: 20, seed: 7 });
    const file = join(dir, 'actions.json');
    writeFileSync(file, JSON.stringify(actions));
    const sim = spawnCli(['simulate', '--dataset', file, '--ca-file', join(dir, 'ca.pem')], {});
    try {
      await waitFor(
        () => /SECRET_MDE_CLIENT_SECRET=.+\n/.test(sim.output.stdout),
        'the simulator environment lines',
        6000,
      );
      const env = Object.fromEntries(
        sim.output.stdout
          .trim()
          .split('\n')
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      assert.deepEqual(Object.keys(env).sort(), [
        'MDE_API_BASE_URL',
        'MDE_AUTHORITY_HOST',
        'MDE_CA_CERT_FILE',
        'MDE_CLIENT_ID',
        'MDE_TENANT_ID',
        'SECRET_MDE_CLIENT_SECRET',
      ]);
      const storePath = join(dir, 'audit.db');
      const r = await runCli(['ingest', '--once'], {
        ...env,
        STORE_PATH: storePath,
        MDE_BACKFILL_DAYS: '3650',
        MDE_PAGE_SIZE: '1000',
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /new 2,500/);
      assert.match(r.stdout, /API calls: 3 for 3 pages/);
      const store = openSqliteStore({ path: storePath });
      try {
        const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
        assert.deepEqual(store.allActions(), [...actions].sort(byId));
      } finally {
        store.close();
      }
      // A second run finds nothing new.
      const again = await runCli(['ingest', '--once'], { ...env, STORE_PATH: storePath });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /new 0, status changed 0/);
    } finally {
      sim.kill('SIGTERM');
      await sim.finished;
    }
  });
});

describe('cli: --env FILE (not --env-file, which Node takes for itself)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dab-envopt-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a missing --env file is the CLI's usage error (exit 2, one message), not Node's exit 9", async () => {
    const r = await runCli(['ingest', '--once', '--env', join(dir, 'missing.env')], {});
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^--env .*missing\.env: ENOENT/);
    assert.ok(!r.stderr.includes('    at '));
  });

  it('--env files are read in order, the process environment wins; --env-file is refused with the right name', async () => {
    const a = join(dir, 'a.env');
    writeFileSync(a, 'STORE_PATH=/nowhere/a.db\nLOG_LEVEL=debug\n');
    const b = join(dir, 'b.env');
    writeFileSync(b, `STORE_PATH=${join(dir, 'b.db')}\n`);
    const r = await runCli(['ask', 'summary', '--env', a, '--env', b], { LOG_LEVEL: 'warn' });
    // b's STORE_PATH wins over a's; there is no store there yet.
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`No store at ${join(dir, 'b.db').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    // An existing file passed as --env-file: Node loads it and passes the option on; the CLI refuses it.
    const refused = await runCli(['ask', 'summary', '--env-file', a], {});
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /The option is --env FILE/);
  });
});

describe('cli: the sample dataset (examples/actions.json, docs/dataset.md)', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dab-sample-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is a valid dataset whose every field the format page describes', async () => {
    const actions = await loadDataset(join(ROOT, 'examples', 'actions.json'));
    assert.equal(actions.length, 24);
    const doc = readFileSync(join(ROOT, 'docs', 'dataset.md'), 'utf8');
    for (const key of MACHINE_ACTION_KEYS) assert.ok(doc.includes(`\`${key}\``), `docs/dataset.md describes ${key}`);
    assert.ok(readFileSync(join(ROOT, 'README.md'), 'utf8').includes('simulate --dataset examples/actions.json'));
  });

  it('the documented commands: simulate --dataset examples/actions.json, then ingest --once --env sim.env stores its 24 actions', async () => {
    const sim = spawnCli(
      ['simulate', '--dataset', join(ROOT, 'examples', 'actions.json'), '--ca-file', join(dir, 'ca.pem')],
      {},
    );
    try {
      await waitFor(
        () => /SECRET_MDE_CLIENT_SECRET=.+\n/.test(sim.output.stdout),
        'the simulator environment lines',
        6000,
      );
      const envFile = join(dir, 'sim.env');
      writeFileSync(envFile, sim.output.stdout);
      const r = await runCli(['ingest', '--once', '--env', envFile], {
        STORE_PATH: join(dir, 'audit.db'),
        MDE_BACKFILL_DAYS: '3650',
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /new 24\b/);
      assert.ok(
        !r.stdout.includes('"level"') && !r.stderr.includes('"level":30'),
        'no JSON log line among the summary; info logs stay out of a one-shot command',
      );
      // The status answer shows times as the cards do, not raw ISO strings.
      const status = await runCli(['ask', 'status', '--env', envFile], { STORE_PATH: join(dir, 'audit.db') });
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /Last successful run\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC \(/);
      assert.doesNotMatch(status.stdout, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
      // Empty chat text is a usage error that says what to write.
      const empty = await runCli(['ask', ''], { STORE_PATH: join(dir, 'audit.db') });
      assert.equal(empty.code, 2);
      assert.match(empty.stderr, /ask needs the chat text, e\.g\. ask "summary 7d"/);
    } finally {
      sim.kill('SIGTERM');
      await sim.finished;
    }
  });
});

describe('cli: a bad DIGEST_CRON stops every command', function () {
  this.timeout(60_000);
  it('ingest --once and doctor exit 2 naming DIGEST_CRON', async () => {
    const mde = {
      MDE_TENANT_ID: '00000000-0000-0000-0000-000000000001',
      MDE_CLIENT_ID: '11111111-1111-1111-1111-111111111111',
      SECRET_MDE_CLIENT_SECRET: 's',
      DIGEST_CRON: '61 * * * *',
    };
    for (const args of [
      ['ingest', '--once'],
      ['ask', 'summary'],
    ]) {
      const r = await runCli(args, mde);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /DIGEST_CRON: "61 \* \* \* \*" is not a valid cron pattern/);
    }
    const doctor = await runCli(['doctor'], mde);
    assert.equal(doctor.code, 1);
    assert.match(doctor.stdout, /✖ configuration: .*DIGEST_CRON/);
  });
});
