import assert from 'node:assert/strict';
import { createIntervalRunner } from '../../src/schedule/interval.js';
import { FakeClock, flushPromises } from '../fakes/fake-clock.js';
import { createCaptureLogger } from '../fakes/capture-logger.js';

describe('schedule/interval', () => {
  it('runs at once, then every interval, never overlapping', async () => {
    const clock = new FakeClock(0);
    const starts: number[] = [];
    let active = 0;
    let maxActive = 0;
    const runner = createIntervalRunner({
      name: 't',
      intervalMs: 30_000,
      clock,
      logger: createCaptureLogger(),
      task: async (signal) => {
        starts.push(clock.now());
        active++;
        maxActive = Math.max(maxActive, active);
        // Every third run takes longer than the interval.
        await clock.sleep(starts.length % 3 === 0 ? 45_000 : 1_000, signal);
        active--;
      },
    });
    runner.start();
    await clock.advance(0);
    await clock.advance(200_000);
    assert.equal(maxActive, 1);
    assert.deepEqual(starts, [0, 30_000, 60_000, 105_000, 135_000, 165_000]);
    await runner.stop();
  });

  it('runNow() during a run queues exactly one more run right after it, never an overlapping one', async () => {
    const clock = new FakeClock(0);
    const starts: number[] = [];
    let active = 0;
    let maxActive = 0;
    const runner = createIntervalRunner({
      name: 'alerts',
      intervalMs: 10_000,
      clock,
      logger: createCaptureLogger(),
      task: async (signal) => {
        starts.push(clock.now());
        active++;
        maxActive = Math.max(maxActive, active);
        await clock.sleep(2_000, signal);
        active--;
      },
    });
    runner.start();
    await clock.advance(500);
    // Three requests while the first run (0 → 2,000 ms) is in flight: one follow-up run, at 2,000 ms.
    const a = runner.runNow();
    const b = runner.runNow();
    const c = runner.runNow();
    assert.equal(a, b);
    assert.equal(b, c);
    await clock.advance(1_500);
    assert.deepEqual(starts, [0, 2_000], 'the follow-up starts as the first run ends, not at the next tick (10,000)');
    await clock.advance(2_000);
    await a;
    assert.equal(maxActive, 1);
    await clock.advance(10_000);
    assert.deepEqual(starts, [0, 2_000, 12_000], 'then the interval resumes from the follow-up run');
    await runner.stop();
  });

  it('a failed run is logged and the next tick still comes', async () => {
    const clock = new FakeClock(0);
    const logger = createCaptureLogger();
    let n = 0;
    const runner = createIntervalRunner({
      name: 'ingest',
      intervalMs: 10_000,
      clock,
      logger,
      task: () => {
        n++;
        if (n <= 2) return Promise.reject(new Error(`tick ${n} exploded`));
        if (n === 3) throw new TypeError('synchronous throw');
        return Promise.resolve();
      },
    });
    runner.start();
    await clock.advance(0);
    await clock.advance(40_000);
    assert.equal(n, 5);
    const errors = logger.lines.filter((l) => l.level === 'error');
    assert.equal(errors.length, 3);
    assert.equal(errors[0]?.fields.error, 'tick 1 exploded');
    assert.equal(errors[0]?.fields.job, 'ingest');
    assert.deepEqual(runner.status(), {
      running: false,
      runs: 5,
      failures: 3,
      consecutiveFailures: 0,
      lastError: 'synchronous throw',
    });
    await runner.stop();
  });

  it('stop() aborts the run in flight, waits for it, and schedules nothing more', async () => {
    const clock = new FakeClock(0);
    let aborted = false;
    let runs = 0;
    const runner = createIntervalRunner({
      name: 't',
      intervalMs: 1_000,
      clock,
      logger: createCaptureLogger(),
      task: async (signal) => {
        runs++;
        try {
          await clock.sleep(60_000, signal);
        } catch (err) {
          aborted = signal.aborted;
          throw err;
        }
      },
    });
    runner.start();
    await clock.advance(0);
    assert.equal(runner.status().running, true);
    await runner.stop();
    assert.equal(aborted, true);
    assert.equal(runner.status().failures, 0, 'an aborted run is not a failure');
    await clock.advance(120_000);
    await flushPromises();
    assert.equal(runs, 1);
    assert.equal(clock.pending(), 0);
  });
});
