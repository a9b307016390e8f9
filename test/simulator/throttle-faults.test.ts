import assert from 'node:assert/strict';
import { parseFaultSpec, type FaultSpec } from '../../src/simulator/index.js';
import { createThrottle } from '../../src/simulator/throttle.js';
import { getJson, request, simulatorPool, T0, parse } from './helpers.js';

describe('simulator: throttling and faults', () => {
  const pool = simulatorPool();
  afterEach(() => pool.stopAll());

  describe('throttling', () => {
    it('the 101st call within a minute gets 429 with Retry-After until a slot frees', async () => {
      const { endpoint, token, clock, sim } = await pool.start();
      // 100 calls spread over 50 s of virtual time: call k at k*500 ms.
      for (let k = 0; k < 100; k++) {
        const r = await request(endpoint, '/api/machineactions?$top=1', { token });
        assert.equal(r.status, 200, `call ${k + 1}`);
        await clock.advance(500);
      }
      // Now t = 50 s; the first call (t = 0) leaves the window at t = 60 s.
      const limited = await request(endpoint, '/api/machineactions?$top=1', { token });
      assert.equal(limited.status, 429);
      assert.equal(limited.headers['retry-after'], '10');
      const body = parse(limited.text);
      assert.deepEqual(Object.keys(body.error), ['code', 'message', 'target']);
      assert.equal(body.error.code, 'TooManyRequests');
      assert.equal(sim.stats.throttled, 1);
      // Another API has its own budget; the token endpoint is never throttled.
      assert.equal((await request(endpoint, `/api/machineactions/${sim.tenant.all()[0]?.id}`, { token })).status, 200);
      assert.equal((await getJson(endpoint, `/api/machines/${sim.tenant.machines()[0]?.id}`, token)).status, 200);
      // Retrying early earns another 429; after Retry-After the call passes.
      await clock.advance(9_000);
      const early = await request(endpoint, '/api/machineactions?$top=1', { token });
      assert.equal(early.status, 429);
      assert.equal(early.headers['retry-after'], '1');
      await clock.advance(1_000);
      assert.equal((await request(endpoint, '/api/machineactions?$top=1', { token })).status, 200);
      assert.equal(sim.stats.throttled, 2);
    });

    it('enforces 1,500 calls per hour with the hour window', () => {
      const throttle = createThrottle({ perMinute: 100, perHour: 1500 });
      let t = T0;
      for (let i = 0; i < 1500; i++) {
        assert.equal(throttle.check('list', t).allowed, true, `call ${i}`);
        t += 2_000; // 30 per minute, under the minute limit
      }
      // t = T0 + 3000 s; the first call leaves the hour window at T0 + 3600 s.
      const d = throttle.check('list', t);
      assert.equal(d.allowed, false);
      assert.ok(!d.allowed && d.limit === 'hour' && d.retryAfterSeconds === 600);
      assert.equal(throttle.check('get', t).allowed, true, 'per API');
      assert.equal(throttle.check('list', T0 + 3_600_000).allowed, true);
    });

    it('throttle: false disables it', async () => {
      const { endpoint, token } = await pool.start({ throttle: false });
      for (let k = 0; k < 120; k++)
        assert.equal((await request(endpoint, '/api/machineactions?$top=1', { token })).status, 200);
    });
  });

  describe('faults', () => {
    it('parseFaultSpec reads the CLI form and names the bad part', () => {
      assert.deepEqual(parseFaultSpec('429=0.1,5xx=0.05,slow=0.1:2000,malformed=0.02,drop=0.01'), {
        rate429: 0.1,
        rate5xx: 0.05,
        rateSlow: 0.1,
        slowMs: 2000,
        rateMalformed: 0.02,
        rateDrop: 0.01,
      });
      assert.deepEqual(parseFaultSpec(' slow=0.5 '), { rateSlow: 0.5 });
      assert.deepEqual(parseFaultSpec(''), {});
      assert.throws(() => parseFaultSpec('429=2'), /'429=2'.*from 0 to 1/);
      assert.throws(() => parseFaultSpec('418=0.1'), /'418=0.1'.*unknown fault '418'/);
      assert.throws(() => parseFaultSpec('429'), /'429'.*expected name=probability/);
      assert.throws(() => parseFaultSpec('drop=0.1:50'), /only 'slow' takes/);
      assert.throws(() => parseFaultSpec('slow=0.1:fast'), /delay 'fast'/);
      assert.throws(() => parseFaultSpec('429=0.6,5xx=0.6'), /add up to/);
      assert.throws(() => parseFaultSpec('429=0.1,429=0.2'), /given twice/);
    });

    it('scripted faults apply to the next API requests in order, then normal service resumes', async () => {
      const { endpoint, token, sim } = await pool.start();
      sim.faults.enqueue({ kind: 'status', status: 429, retryAfterSeconds: 17 });
      sim.faults.enqueue({ kind: 'status', status: 429 });
      sim.faults.enqueue({ kind: 'status', status: 500 });
      sim.faults.enqueue({ kind: 'status', status: 503 });
      sim.faults.enqueue({
        kind: 'status',
        status: 401,
        body: '{"error":{"code":"Custom","message":"m","target":"t"}}',
      });
      sim.faults.enqueue({ kind: 'malformed' });
      sim.faults.enqueue({ kind: 'drop' });
      sim.faults.enqueue({ kind: 'slow', ms: 30 });
      const path = '/api/machineactions?$top=3';
      const r1 = await request(endpoint, path, { token });
      assert.equal(r1.status, 429);
      assert.equal(r1.headers['retry-after'], '17');
      assert.equal(parse(r1.text).error.code, 'TooManyRequests');
      const r2 = await request(endpoint, path, { token });
      assert.equal(r2.status, 429);
      assert.equal(r2.headers['retry-after'], undefined);
      for (const status of [500, 503]) {
        const r = await request(endpoint, path, { token });
        assert.equal(r.status, status);
        assert.equal(parse(r.text).error.code, 'InternalServerError');
      }
      const r5 = await request(endpoint, path, { token });
      assert.equal(r5.status, 401);
      assert.equal(r5.text, '{"error":{"code":"Custom","message":"m","target":"t"}}');
      const r6 = await request(endpoint, path, { token });
      assert.equal(r6.status, 200);
      assert.throws(() => parse(r6.text), SyntaxError);
      assert.ok(r6.text.startsWith('{"@odata.context"'));
      await assert.rejects(request(endpoint, path, { token }), /socket hang up|ECONNRESET/);
      const r8 = await request(endpoint, path, { token });
      assert.equal(r8.status, 200);
      assert.equal(parse(r8.text).value.length, 3);
      const r9 = await request(endpoint, path, { token });
      assert.equal(r9.status, 200);
      assert.equal(sim.stats.faultsInjected, 8);
      // Token requests never take scripted faults.
      sim.faults.enqueue({ kind: 'drop' });
      assert.equal(
        (await request(endpoint, `/${endpoint.env['MDE_TENANT_ID']}/v2.0/.well-known/openid-configuration`)).status,
        200,
      );
      sim.faults.clear();
      assert.equal((await request(endpoint, path, { token })).status, 200);
    });

    it('a slow response outlives a short client timeout, and stop() ends it', async () => {
      const { endpoint, token, sim } = await pool.start();
      sim.faults.enqueue({ kind: 'slow', ms: 60_000 });
      await assert.rejects(request(endpoint, '/api/machineactions?$top=1', { token, timeoutMs: 50 }), /client timeout/);
      sim.faults.enqueue({ kind: 'slow', ms: 60_000 });
      const pending = request(endpoint, '/api/machineactions?$top=1', { token });
      await new Promise((r) => setImmediate(r));
      await sim.stop();
      await assert.rejects(pending);
    });

    it('random faults follow the seeded PRNG: every kind appears, and the same seed gives the same sequence', async () => {
      const spec: FaultSpec = {
        rate429: 0.2,
        rate5xx: 0.2,
        rateMalformed: 0.15,
        rateDrop: 0.1,
        rateSlow: 0.1,
        slowMs: 1,
      };
      const run = async (): Promise<string[]> => {
        const { endpoint, token, sim } = await pool.start({ faults: spec, seed: 21, throttle: false });
        const outcomes: string[] = [];
        for (let i = 0; i < 60; i++) {
          try {
            const r = await request(endpoint, '/api/machineactions?$top=2', { token });
            let kind = String(r.status);
            if (r.status === 200) {
              try {
                parse(r.text);
              } catch {
                kind = 'malformed';
              }
            }
            if (r.status === 429) kind += `:${r.headers['retry-after']}`;
            outcomes.push(kind);
          } catch {
            outcomes.push('drop');
          }
        }
        // Slow responses still answer 200, so injected faults are at least the visible errors.
        assert.ok(sim.stats.faultsInjected > outcomes.filter((o) => o !== '200').length);
        return outcomes;
      };
      const a = await run();
      const b = await run();
      assert.deepEqual(a, b);
      for (const kind of ['200', 'malformed', 'drop', '500', '503'])
        assert.ok(a.includes(kind), `${kind} in ${a.join(',')}`);
      assert.ok(
        a.some((o) => /^429:[1-3]$/.test(o)),
        'random 429s carry Retry-After',
      );
    });
  });
});
