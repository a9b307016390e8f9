import type { Clock } from '../core/clock.js';

/**
 * The MDE API allows 100 calls per minute and 1,500 per hour. Every call the client makes (retries
 * included) takes a slot from this budget first, waiting when a sliding window is full, so the bot
 * never earns 429s by itself. Windows are sliding (not calendar minutes): in any 60 s span at most
 * `perMinute` calls start, in any 3,600 s span at most `perHour`. In-memory: a restart forgets
 * earlier calls, which is harmless because the API's own limit answers with 429 + Retry-After.
 */
export interface CallBudget {
  /** Waits until a call may start, then records it. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Calls still allowed right now in the minute and hour windows. */
  remaining(): { minute: number; hour: number };
  /** Milliseconds until the next call may start (0 when one may start now). */
  waitMs(): number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

export function createCallBudget(options: { perMinute: number; perHour: number; clock: Clock }): CallBudget {
  const { perMinute, perHour, clock } = options;
  /** Start times (epoch ms) of calls in the last hour, oldest first. */
  const starts: number[] = [];
  let head = 0;

  const prune = (now: number): void => {
    while (head < starts.length && (starts[head] as number) <= now - HOUR_MS) head++;
    if (head > 1024 && head * 2 > starts.length) {
      starts.splice(0, head);
      head = 0;
    }
  };
  const inLastMinute = (now: number): number => {
    let n = 0;
    for (let i = starts.length - 1; i >= head && (starts[i] as number) > now - MINUTE_MS; i--) n++;
    return n;
  };
  const waitMs = (): number => {
    const now = clock.now();
    prune(now);
    let wait = 0;
    const hourCount = starts.length - head;
    if (hourCount >= perHour) {
      // The oldest call that must leave the hour window before another may start.
      const oldest = starts[starts.length - perHour] as number;
      wait = Math.max(wait, oldest + HOUR_MS - now);
    }
    const minuteCount = inLastMinute(now);
    if (minuteCount >= perMinute) {
      const oldest = starts[starts.length - perMinute] as number;
      wait = Math.max(wait, oldest + MINUTE_MS - now);
    }
    return wait;
  };

  return {
    async acquire(signal) {
      for (let wait = waitMs(); wait > 0; wait = waitMs()) {
        // +1 ms: a call exactly 60 s after another is outside its window only strictly after.
        await clock.sleep(wait + 1, signal);
      }
      starts.push(clock.now());
    },
    remaining() {
      const now = clock.now();
      prune(now);
      return {
        minute: Math.max(0, perMinute - inLastMinute(now)),
        hour: Math.max(0, perHour - (starts.length - head)),
      };
    },
    waitMs,
  };
}
