import { abortReason, type Clock } from '../../src/core/clock.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A virtual clock. Time moves only through `advance()` (or, with `autoAdvance`, whenever code sleeps:
 * the sleep jumps virtual time forward and resolves at once, so an hour of retries runs in
 * milliseconds). Timers fire in time order, ties in creation order.
 */
export class FakeClock implements Clock {
  private nowMs: number;
  private seq = 0;
  private timers: Timer[] = [];
  /** Every sleep requested, in milliseconds, in order. */
  readonly sleeps: number[] = [];
  autoAdvance: boolean;

  constructor(startMs = Date.parse('2026-11-29T12:00:00.000Z'), options: { autoAdvance?: boolean } = {}) {
    this.nowMs = startMs;
    this.autoAdvance = options.autoAdvance ?? false;
  }

  now(): number {
    return this.nowMs;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const timer: Timer = { at: this.nowMs + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.autoAdvance) {
      this.advanceSync(Math.max(0, ms));
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const cancel = this.setTimer(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        cancel();
        reject(abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Moves time forward by `ms`, firing due timers in order, and lets promise callbacks run. */
  async advance(ms: number): Promise<void> {
    const target = this.nowMs + ms;
    for (;;) {
      const next = this.nextDue(target);
      if (!next) break;
      this.nowMs = Math.max(this.nowMs, next.at);
      this.timers = this.timers.filter((t) => t !== next);
      next.fn();
      await flushPromises();
    }
    this.nowMs = target;
    await flushPromises();
  }

  /** Number of timers waiting. */
  pending(): number {
    return this.timers.length;
  }

  private advanceSync(ms: number): void {
    const target = this.nowMs + ms;
    for (;;) {
      const next = this.nextDue(target);
      if (!next) break;
      this.nowMs = Math.max(this.nowMs, next.at);
      this.timers = this.timers.filter((t) => t !== next);
      next.fn();
    }
    this.nowMs = target;
  }

  private nextDue(limit: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers) {
      if (t.at <= limit && (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq))) best = t;
    }
    return best;
  }
}

/** Lets pending promise callbacks (and I/O callbacks already queued) run. */
export async function flushPromises(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}
