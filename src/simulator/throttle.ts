/**
 * Per-API request budget like the real service: sliding windows of `perMinute` calls per 60 s and
 * `perHour` calls per 3,600 s, measured on the simulator's clock (epoch ms). Each API (list, get,
 * machine, each action, cancel) has its own windows. Rejected calls do not consume budget, so
 * retrying before `Retry-After` has elapsed earns more 429s, as the reference describes.
 */

export interface ThrottleLimits {
  perMinute: number;
  perHour: number;
}

export type ThrottleDecision =
  { allowed: true } | { allowed: false; retryAfterSeconds: number; limit: 'minute' | 'hour' };

export interface Throttle {
  /** Records a call to `api` at `nowMs` when within budget; otherwise says how long to wait. */
  check(api: string, nowMs: number): ThrottleDecision;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

export function createThrottle(limits: ThrottleLimits): Throttle {
  // Accepted call times per API, ascending; entries older than an hour are dropped lazily.
  const calls = new Map<string, number[]>();
  return {
    check(api, nowMs) {
      let times = calls.get(api);
      if (!times) {
        times = [];
        calls.set(api, times);
      }
      let drop = 0;
      while (drop < times.length && (times[drop] as number) <= nowMs - HOUR_MS) drop++;
      if (drop > 0) times.splice(0, drop);
      // First call still inside the minute window (binary search; times are ascending).
      let lo = 0;
      let hi = times.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((times[mid] as number) <= nowMs - MINUTE_MS) lo = mid + 1;
        else hi = mid;
      }
      const inMinute = times.length - lo;
      if (inMinute >= limits.perMinute) {
        // A slot frees when the call `inMinute - perMinute` positions in leaves the window.
        const oldest = times[lo + inMinute - limits.perMinute] as number;
        return { allowed: false, retryAfterSeconds: secondsUntil(oldest + MINUTE_MS, nowMs), limit: 'minute' };
      }
      if (times.length >= limits.perHour) {
        const oldest = times[times.length - limits.perHour] as number;
        return { allowed: false, retryAfterSeconds: secondsUntil(oldest + HOUR_MS, nowMs), limit: 'hour' };
      }
      // Keep ascending order even if the clock stepped back.
      times.push(Math.max(nowMs, times[times.length - 1] ?? nowMs));
      return { allowed: true };
    },
  };
}

/** Whole seconds until `atMs`, at least 1 (a Retry-After of 0 would invite an immediate retry). */
function secondsUntil(atMs: number, nowMs: number): number {
  return Math.max(1, Math.ceil((atMs - nowMs) / 1000));
}
