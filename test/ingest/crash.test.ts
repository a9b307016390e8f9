import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import DatabaseConstructor from 'better-sqlite3';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { generateActions } from '../../src/simulator/generator.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { spawnCli, waitFor } from '../support/child.js';

/** Rows committed so far, read through a separate read-only connection (WAL allows it). */
function committed(path: string): number {
  try {
    const db = new DatabaseConstructor(path, { readonly: true, fileMustExist: true });
    try {
      return db.prepare('SELECT count(*) FROM actions').pluck().get() as number;
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}

describe('ingest survives SIGKILL', function () {
  this.timeout(300_000);
  const N = 60_000;
  let dir: string;
  let sim: Simulator;
  let env: Record<string, string>;
  const actions = generateActions(N, { devices: 500, days: 120, seed: 42 });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dab-crash-'));
    sim = createSimulator({ dataset: actions, throttle: false });
    const endpoint = await sim.start({ caCertFile: join(dir, 'ca.pem') });
    env = { ...endpoint.env, MDE_PAGE_SIZE: '2000', MDE_BACKFILL_DAYS: '3650', LOG_LEVEL: 'warn' };
  });
  after(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a child killed mid-run, twice, then restarted: the store equals the dataset, nothing lost or doubled', async () => {
    const storePath = join(dir, 'audit.db');
    const childEnv = { ...env, STORE_PATH: storePath };
    for (const threshold of [N * 0.2, N * 0.6]) {
      const child = spawnCli(['ingest', '--once'], childEnv);
      await waitFor(
        () => committed(storePath) >= threshold || child.exitCode !== null,
        `${threshold} committed rows`,
        20_000,
        5,
      );
      assert.equal(child.exitCode, null, `the child finished before it could be killed: ${child.output.stderr}`);
      child.kill('SIGKILL');
      const end = await child.finished;
      assert.equal(end.signal, 'SIGKILL');
      const n = committed(storePath);
      assert.ok(n >= threshold && n < N, `killed with ${n} of ${N} committed`);
    }
    const last = await spawnCli(['ingest', '--once'], childEnv).finished;
    assert.equal(last.code, 0, last.stderr);

    const store = openSqliteStore({ path: storePath });
    try {
      const stored = store.allActions();
      assert.equal(stored.length, N);
      const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
      assert.deepEqual(stored, [...actions].sort(byId));
      // One history row per action (each was seen once, in its final state), none doubled.
      assert.equal(store.db.prepare('SELECT count(*) FROM action_status_history').pluck().get(), N);
      const st = store.ingestState();
      assert.ok(st.backfillCompletedAt !== null, 'the third run completed the backfill');
      assert.equal(st.runsTotal, 3);
      assert.equal(st.runsFailed, 2, 'the two killed runs are recorded as interrupted');
    } finally {
      store.close();
    }
  });
});
