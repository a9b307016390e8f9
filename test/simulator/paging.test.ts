import assert from 'node:assert/strict';
import { normalizeTimestamp } from '../../src/core/timestamps.js';
import type { MachineAction } from '../../src/core/types.js';
import { createRandom, generateActions } from '../../src/simulator/index.js';
import { parseQuery } from '../../src/simulator/odata.js';
import { createTenant } from '../../src/simulator/state.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { getJson, simulatorPool, T0 } from './helpers.js';

describe('simulator: paging and the query planner', () => {
  const pool = simulatorPool();
  afterEach(() => pool.stopAll());

  it('emits @odata.nextLink only without $top and when more than 10,000 rows remain', async () => {
    const dataset = generateActions(25_000, { devices: 200, days: 60, seed: 6 });
    const { endpoint, token } = await pool.start({ dataset, throttle: false });
    const filter = '$filter=creationDateTimeUtc ge 2000-01-01T00:00:00Z&$orderby=creationDateTimeUtc asc';
    const seen: string[] = [];
    let next: string | undefined = `/api/machineactions?${filter}`;
    const pageSizes: number[] = [];
    while (next) {
      const r = await getJson(endpoint, next, token);
      assert.equal(r.status, 200);
      pageSizes.push(r.body.value.length);
      for (const a of r.body.value) seen.push(a.id);
      const link = r.body['@odata.nextLink'];
      if (link) {
        assert.ok(link.startsWith(`${endpoint.baseUrl}/api/machineactions?`), link);
        const params = new URL(link).searchParams;
        assert.equal(params.get('$filter'), 'creationDateTimeUtc ge 2000-01-01T00:00:00Z');
        assert.equal(params.get('$orderby'), 'creationDateTimeUtc asc');
      }
      next = link?.slice(endpoint.baseUrl.length);
    }
    assert.deepEqual(pageSizes, [10_000, 10_000, 5_000]);
    assert.equal(new Set(seen).size, 25_000);

    const withTop = await getJson(endpoint, '/api/machineactions?$top=10000', token);
    assert.equal(withTop.body.value.length, 10_000);
    assert.equal(withTop.body['@odata.nextLink'], undefined, 'no nextLink when $top is given');
    const exactly = await getJson(endpoint, '/api/machineactions?$skip=15000', token);
    assert.equal(exactly.body.value.length, 10_000);
    assert.equal(exactly.body['@odata.nextLink'], undefined, 'exactly 10,000 remaining: no nextLink');
    const one = await getJson(endpoint, "/api/machineactions?$skip=14999&$filter=status ne 'x'", token);
    assert.equal(one.body.value.length, 10_000);
    assert.match(one.body['@odata.nextLink'] ?? '', /\$skip=24999$/);
  });

  it('indexed range queries return what a brute-force evaluation returns, also after changes', async () => {
    const clock = new FakeClock(T0);
    const actions = generateActions(3_000, { devices: 40, days: 20, seed: 10, nowMs: T0 });
    const tenant = createTenant({ clock, random: createRandom(2), machines: [], actions, defaultRequestor: 'app' });
    const random = createRandom(77);
    const normCache = new Map<string, string>();
    const norm = (t: string): string => {
      let n = normCache.get(t);
      if (n === undefined) {
        n = normalizeTimestamp(t) ?? '';
        normCache.set(t, n);
      }
      return n;
    };
    const pickStamp = (): string => {
      const a = random.pick(actions);
      return random.chance(0.5) ? a.lastUpdateDateTimeUtc : a.creationDateTimeUtc;
    };
    const brute = (
      field: 'creationDateTimeUtc' | 'lastUpdateDateTimeUtc',
      dir: 'asc' | 'desc',
      pred: (a: MachineAction) => boolean,
      skip: number,
      top: number,
    ): string[] => {
      const rows = snapshot.filter(pred);
      rows.sort((x, y) => {
        const kx = norm(x[field]);
        const ky = norm(y[field]);
        const c = kx < ky ? -1 : kx > ky ? 1 : x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
        return dir === 'asc' ? c : -c;
      });
      return rows.slice(skip, skip + top).map((a) => a.id);
    };
    let snapshot = tenant.all();
    for (let round = 0; round < 200; round++) {
      if (round % 20 === 10) {
        // Changes between rounds: transitions append to the update index, puts rebuild it.
        const ids = snapshot.map((a) => a.id);
        for (let k = 0; k < 5; k++)
          tenant.transition(random.pick(ids), random.pick(['InProgress', 'Succeeded', 'Failed']));
        const victim = tenant.get(random.pick(ids)) as MachineAction;
        tenant.put({ ...victim, lastUpdateDateTimeUtc: '2020-01-01T00:00:00.1Z' });
        await clock.advance(1000);
        snapshot = tenant.all();
      }
      const field = random.chance(0.5) ? 'lastUpdateDateTimeUtc' : 'creationDateTimeUtc';
      const dir = random.chance(0.5) ? 'asc' : 'desc';
      const lo = pickStamp();
      const hi = pickStamp();
      const [opLo, opHi] = [random.pick(['gt', 'ge']), random.pick(['lt', 'le'])];
      const withStatus = random.chance(0.3);
      const withUpper = random.chance(0.5);
      const filter = [
        `${field} ${opLo} ${lo}`,
        withUpper ? `${field} ${opHi} ${hi}` : '',
        withStatus ? "status eq 'succeeded'" : '',
      ]
        .filter(Boolean)
        .join(' and ');
      const skip = random.int(0, 50);
      const top = random.int(1, 300);
      const q = parseQuery(
        new URLSearchParams({ $filter: filter, $orderby: `${field} ${dir}`, $top: String(top), $skip: String(skip) }),
      );
      const cmp = (a: string, op: string, b: string): boolean =>
        op === 'gt' ? a > b : op === 'ge' ? a >= b : op === 'lt' ? a < b : a <= b;
      const pred = (a: MachineAction): boolean =>
        cmp(norm(a[field]), opLo, norm(lo)) &&
        (!withUpper || cmp(norm(a[field]), opHi, norm(hi))) &&
        (!withStatus || a.status === 'Succeeded');
      const got = tenant.query(q).rows.map((a) => a.id);
      assert.deepEqual(
        got,
        brute(field, dir, pred, skip, top),
        `round ${round}: ${filter} ${dir} skip ${skip} top ${top}`,
      );
    }
  });

  it('beforeList runs before each list call with its index and can change the data mid-paging', async () => {
    const dataset = generateActions(120, { seed: 4, nowMs: T0 - 60_000 });
    const { endpoint, token, sim } = await pool.start({ dataset, throttle: false });
    const calls: [string | null, number][] = [];
    const moved: string[] = [];
    sim.hooks.beforeList = (query, index) => {
      calls.push([query.get('$skip'), index]);
      const victim = dataset[index * 7];
      if (victim) {
        sim.tenant.transition(victim.id, 'Succeeded');
        moved.push(victim.id);
      }
    };
    // Cursor paging on lastUpdate: rows that change mid-paging move to the end and are still read.
    const seen = new Map<string, string>();
    for (let skip = 0; ; skip += 50) {
      const r = await getJson(
        endpoint,
        `/api/machineactions?$filter=lastUpdateDateTimeUtc ge 2000-01-01T00:00:00Z&$orderby=lastUpdateDateTimeUtc asc&$top=50&$skip=${skip}`,
        token,
      );
      for (const a of r.body.value) seen.set(a.id, a.lastUpdateDateTimeUtc);
      if (r.body.value.length < 50) break;
    }
    assert.deepEqual(
      calls.map(([, i]) => i),
      calls.map((_, i) => i),
    );
    assert.equal(calls[0]?.[0], '0');
    for (const id of moved)
      assert.equal(
        seen.get(id),
        sim.tenant.get(id)?.lastUpdateDateTimeUtc,
        'the moved row was read in its new version',
      );
    assert.equal(sim.stats.listCalls, calls.length);
  });
});
