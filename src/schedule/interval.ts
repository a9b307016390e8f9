import type { Clock } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

/**
 * Runs a task every `intervalMs` milliseconds, measured from the start of one run to the start of
 * the next (a run longer than the interval is followed at once by the next). Runs never overlap.
 * This is the single error funnel for the task: a failure is logged and counted, and the next tick
 * comes as usual. `stop()` cancels the timer, aborts the run in flight through its AbortSignal, and
 * resolves when that run has ended.
 */
export interface IntervalRunner {
  start(): void;
  stop(): Promise<void>;
  /**
   * Runs the task now. When one is running, one more run follows right after it (calls made meanwhile
   * share it), so work announced during a run never waits for the next tick. Resolves when the run
   * that covers this call ends.
   */
  runNow(): Promise<void>;
  status(): { running: boolean; runs: number; failures: number; consecutiveFailures: number; lastError: string | null };
}

export function createIntervalRunner(options: {
  name: string;
  intervalMs: number;
  clock: Clock;
  logger: Logger;
  task: (signal: AbortSignal) => Promise<void>;
}): IntervalRunner {
  const { clock, logger, intervalMs, task, name } = options;
  const log = logger.child({ job: name });
  let cancelTimer: (() => void) | undefined;
  let inFlight: Promise<void> | undefined;
  let controller: AbortController | undefined;
  let stopped = true;
  let runs = 0;
  let failures = 0;
  let consecutiveFailures = 0;
  let lastError: string | null = null;
  /** A second run requested while one was in flight; it starts as soon as that one ends. */
  let queued: Promise<void> | undefined;

  const runGuarded = (): Promise<void> => {
    if (inFlight) return inFlight;
    controller = new AbortController();
    const signal = controller.signal;
    const startedAt = clock.now();
    runs++;
    inFlight = (async () => {
      try {
        // Start the task from a microtask: a task that throws synchronously must not finish (and
        // clear `inFlight`) before `inFlight` has been assigned below.
        await Promise.resolve().then(() => task(signal));
        consecutiveFailures = 0;
      } catch (err) {
        if (signal.aborted) {
          log.info('run aborted by stop');
        } else {
          failures++;
          consecutiveFailures++;
          lastError = describeError(err);
          log.error('run failed; the next tick will retry', { error: lastError, consecutiveFailures });
        }
      } finally {
        inFlight = undefined;
        controller = undefined;
        if (!stopped) schedule(Math.max(0, startedAt + intervalMs - clock.now()));
      }
    })();
    return inFlight;
  };

  const schedule = (delayMs: number): void => {
    cancelTimer?.();
    cancelTimer = clock.setTimer(() => {
      cancelTimer = undefined;
      void runGuarded();
    }, delayMs);
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      log.info('scheduler started', { intervalMs });
      schedule(0);
    },
    async stop() {
      stopped = true;
      cancelTimer?.();
      cancelTimer = undefined;
      controller?.abort(new Error(`${name} stopped`));
      await inFlight;
      log.info('scheduler stopped');
    },
    runNow: () => {
      if (!inFlight) return runGuarded();
      queued ??= inFlight.then(() => {
        queued = undefined;
        return stopped ? undefined : runGuarded();
      });
      return queued;
    },
    status: () => ({ running: inFlight !== undefined, runs, failures, consecutiveFailures, lastError }),
  };
}
