import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSimulator, type Simulator, type SimulatorEndpoint } from '../../src/simulator/index.js';
import { generateActions } from '../../src/simulator/generator.js';
import { loadConfig, requireDefender } from '../../src/config/config.js';
import { buildDefenderClient, ingestSettings } from '../../src/app/index.js';
import { runOnce } from '../../src/ingest/run-once.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { DefenderApiError } from '../../src/core/errors.js';
import { systemClock, type Clock } from '../../src/core/clock.js';
import type { MachineAction } from '../../src/core/types.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { createCaptureLogger } from '../fakes/capture-logger.js';

const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

describe('ingest against the MDE API simulator (real msal-node, real HTTPS)', function () {
  this.timeout(120_000);
  let dir: string;
  const sims: Simulator[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dab-sim-'));
  });
  afterEach(async () => {
    while (sims.length > 0) await sims.pop()!.stop();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function start(
    options: Parameters<typeof createSimulator>[0],
  ): Promise<{ sim: Simulator; endpoint: SimulatorEndpoint }> {
    const sim = createSimulator(options);
    sims.push(sim);
    const endpoint = await sim.start({ caCertFile: join(dir, `ca-${sims.length}.pem`) });
    return { sim, endpoint };
  }

  function connect(endpoint: SimulatorEndpoint, extra: Record<string, string> = {}, clock: Clock = systemClock) {
    const config = loadConfig({ ...endpoint.env, MDE_BACKFILL_DAYS: '3650', ...extra }, ['defender']);
    const defender = requireDefender(config);
    const logger = createCaptureLogger();
    const client = buildDefenderClient(defender, { clock, logger });
    const store = openSqliteStore({ path: ':memory:' });
    const run = () => runOnce({ client, store, clock, logger, settings: ingestSettings(defender) });
    return { client, store, run, logger, defender };
  }

  it('real msal-node gets a token from the simulator and reuses it', async () => {
    const { sim, endpoint } = await start({ generate: { devices: 10, days: 3 } });
    const { client } = connect(endpoint);
    const q = { filter: 'lastUpdateDateTimeUtc ge 2000-01-01T00:00:00Z', orderBy: 'lastUpdateDateTimeUtc asc', top: 5 };
    const first = await client.listMachineActions(q);
    await client.listMachineActions(q);
    await client.listMachineActions(q);
    assert.equal(first.actions.length, 5);
    assert.equal(sim.stats.tokenRequests, 1, 'msal served the second and third calls from its cache');
    assert.equal(sim.stats.apiCalls, 3);
    client.close();
  });

  it('a wrong client secret fails with an actionable sign-in error', async () => {
    const { endpoint } = await start({ generate: { devices: 2, days: 1 } });
    const { run } = connect(endpoint, { SECRET_MDE_CLIENT_SECRET: 'wrong-secret' });
    await assert.rejects(
      run(),
      (e: unknown) =>
        e instanceof DefenderApiError && e.code === 'MDE_AUTH_FAILED' && /SECRET_MDE_CLIENT_SECRET/.test(e.fix ?? ''),
    );
  });

  it('a token without Machine.Read.All gets the 403 explanation', async () => {
    const { endpoint } = await start({ generate: { devices: 2, days: 1 }, roles: ['Machine.Isolate'] });
    const { run } = connect(endpoint);
    await assert.rejects(
      run(),
      (e: unknown) =>
        e instanceof DefenderApiError && e.code === 'MDE_FORBIDDEN' && /Machine\.Read\.All/.test(e.fix ?? ''),
    );
  });

  it("paging over 25,000 actions yields exactly the simulator's set, with actions updated while the paging runs", async () => {
    const dataset = generateActions(25_000, { devices: 300, days: 90, seed: 3 });
    const { sim, endpoint } = await start({ dataset, throttle: false });
    // Some actions are still running when we start reading.
    const open = dataset.filter((_, i) => i % 997 === 0).map((a) => a.id);
    for (const id of open) sim.tenant.transition(id, 'InProgress');
    let moved = 0;
    sim.hooks.beforeList = (_q, call) => {
      // Each call, a few actions finish (their lastUpdate becomes the newest) and a new one arrives.
      for (const id of open.slice(call * 2, call * 2 + 2)) {
        sim.tenant.transition(id, call % 2 === 0 ? 'Succeeded' : 'Failed');
        moved++;
      }
      const m = sim.tenant.machines()[call % 50]!;
      sim.tenant.create({ machineId: m.id, type: 'RunAntiVirusScan', scope: 'Quick', comment: `scan ${call}` });
    };
    const { store, run } = connect(endpoint, { MDE_PAGE_SIZE: '1000' });
    const c = await run();
    sim.hooks.beforeList = undefined;
    assert.ok(moved >= 20, `${moved} actions changed during the paging`);
    const expected = sim.tenant.all().sort(byId);
    // Every action, in its latest version, exactly once.
    assert.deepEqual(store.allActions(), expected);
    assert.equal(c.stats.new, expected.length);
    assert.equal(c.stats.quarantined, 0);
  });

  it('Pending -> InProgress -> Succeeded appears once each in history and change sets across repeated runs', async () => {
    const { sim, endpoint } = await start({ generate: { devices: 20, days: 5 }, throttle: false });
    const { store, run } = connect(endpoint);
    await run(); // backfill
    const machine = sim.tenant.machines()[3]!;
    const a = sim.tenant.create({
      machineId: machine.id,
      type: 'Isolate',
      scope: 'Full',
      comment: 'suspicious beaconing',
      requestor: 'Alex.Wilber@contoso.com',
    });
    const transitions: string[] = [];
    const collect = async (): Promise<void> => {
      const c = await run();
      for (const ch of [...c.new, ...c.statusChanged])
        if (ch.action.id === a.id) transitions.push(`${ch.previousStatus ?? '-'}>${ch.action.status}`);
      assert.equal(c.updated.filter((u) => u.action.id === a.id).length, 0);
    };
    await collect();
    await collect();
    sim.tenant.transition(a.id, 'InProgress');
    await collect();
    await collect();
    sim.tenant.transition(a.id, 'Succeeded');
    await collect();
    await collect();
    assert.deepEqual(transitions, ['->Pending', 'Pending>InProgress', 'InProgress>Succeeded']);
    assert.deepEqual(
      store.statusHistory(a.id).map((h) => h.status),
      ['Pending', 'InProgress', 'Succeeded'],
    );
  });

  it('429 with Retry-After is honoured and 5xx retried (fake clock, real HTTP)', async () => {
    const { sim, endpoint } = await start({ generate: { devices: 5, days: 2 } });
    const clock = new FakeClock(Date.now(), { autoAdvance: true });
    const { run, store, client } = connect(endpoint, {}, clock);
    sim.faults.enqueue({ kind: 'status', status: 429, retryAfterSeconds: 17 });
    sim.faults.enqueue({ kind: 'status', status: 503 });
    sim.faults.enqueue({ kind: 'malformed' });
    sim.faults.enqueue({ kind: 'drop' });
    const c = await run();
    assert.equal(clock.sleeps[0], 17_000, 'waited exactly Retry-After');
    assert.equal(clock.sleeps.length, 4);
    assert.ok(clock.sleeps[2]! > clock.sleeps[1]!, `backoff grows: ${clock.sleeps.join(', ')}`);
    assert.equal(store.countActions(), sim.tenant.size());
    assert.equal(c.stats.calls, 5);
    assert.equal(client.stats().throttled, 1);
  });

  it('switches to the creation-time fallback when the tenant rejects the lastUpdate filter', async () => {
    const { sim, endpoint } = await start({
      generate: { devices: 10, days: 3 },
      rejectLastUpdateFilter: true,
      throttle: false,
    });
    const { store, run, logger } = connect(endpoint);
    const c = await run();
    assert.equal(c.mode, 'creation');
    assert.equal(store.countActions(), sim.tenant.size());
    assert.ok(logger.lines.some((l) => l.level === 'warn' && /fallback/.test(l.msg)));
  });

  it('stores unknown types, statuses and request sources as they are', async () => {
    const base = generateActions(2, { seed: 9 });
    const odd: MachineAction = {
      ...base[0]!,
      type: 'ContainDevice',
      status: 'Queued',
      requestSource: 'AutomatedInvestigation',
    };
    const { endpoint } = await start({ dataset: [odd, base[1]!] });
    const { store, run } = connect(endpoint);
    const c = await run();
    assert.equal(c.stats.new, 2);
    assert.deepEqual(store.getAction(odd.id), odd);
  });
});
