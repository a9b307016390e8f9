import assert from 'node:assert/strict';
import { createCallBudget } from '../../src/defender/budget.js';
import { FakeClock } from '../fakes/fake-clock.js';

/** Largest number of starts in any half-open window [t, t + span). */
function maxInWindow(starts: number[], span: number): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < starts.length; hi++) {
    while ((starts[hi] as number) - (starts[lo] as number) >= span) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

describe('defender/budget', () => {
  it('never starts more than 100 calls in any minute or 1,500 in any hour over a simulated 2 hours', async () => {
    const clock = new FakeClock(Date.parse('2026-11-29T00:00:00Z'), { autoAdvance: true });
    const budget = createCallBudget({ perMinute: 100, perHour: 1500, clock });
    const starts: number[] = [];
    const end = clock.now() + 2 * 3_600_000;
    // A client that calls as fast as it can, with a little think time now and then.
    for (let i = 0; clock.now() < end; i++) {
      await budget.acquire();
      starts.push(clock.now());
      if (i % 7 === 0) await clock.sleep(137);
    }
    assert.ok(maxInWindow(starts, 60_000) <= 100, `minute max ${maxInWindow(starts, 60_000)}`);
    assert.ok(maxInWindow(starts, 3_600_000) <= 1500, `hour max ${maxInWindow(starts, 3_600_000)}`);
    // And it is not needlessly slow: the hour budget is used up in each hour.
    assert.ok(starts.length >= 2 * 1500 && starts.length <= 2 * 1500 + 100, `calls in 2 h: ${starts.length}`);
    assert.equal(maxInWindow(starts, 60_000), 100);
  });

  it('reports what is left and how long to wait', async () => {
    const clock = new FakeClock(0, { autoAdvance: true });
    const budget = createCallBudget({ perMinute: 3, perHour: 10, clock });
    for (let i = 0; i < 3; i++) await budget.acquire();
    assert.deepEqual(budget.remaining(), { minute: 0, hour: 7 });
    assert.equal(budget.waitMs(), 60_000);
    await budget.acquire();
    assert.ok(clock.now() >= 60_000);
  });

  it('a waiting caller can be aborted', async () => {
    const clock = new FakeClock(0);
    const budget = createCallBudget({ perMinute: 1, perHour: 10, clock });
    await budget.acquire();
    const ac = new AbortController();
    const waiting = budget.acquire(ac.signal);
    ac.abort(new Error('stop'));
    await assert.rejects(waiting, /stop/);
  });
});
