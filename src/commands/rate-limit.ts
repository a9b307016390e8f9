import type { Clock } from '../core/clock.js';

/**
 * Per-user command rate limit: at most `limit` commands in any `windowMs` (sliding). In memory; a
 * restart forgets, which is fine for a courtesy limit against floods.
 *
 * A refused user is told once per window, not once per refused command: a flood of 80 commands
 * gets one "Slow down", and the next one only after `windowMs` has passed since that notice.
 */
export type RateDecision = 'allow' | 'refuse' | 'refuse-quietly';

export interface RateLimiter {
  /** Records a command for `key` and says whether it may run, and whether a refusal is to be told. */
  check(key: string): RateDecision;
}

export function createRateLimiter(options: { limit: number; windowMs: number; clock: Clock }): RateLimiter {
  const { limit, windowMs, clock } = options;
  const seen = new Map<string, { times: number[]; noticeAt?: number }>();
  return {
    check(key) {
      const now = clock.now();
      const entry = seen.get(key) ?? { times: [] };
      entry.times = entry.times.filter((t) => t > now - windowMs);
      seen.set(key, entry);
      if (entry.times.length >= limit) {
        if (entry.noticeAt !== undefined && entry.noticeAt > now - windowMs) return 'refuse-quietly';
        entry.noticeAt = now;
        return 'refuse';
      }
      entry.times.push(now);
      if (seen.size > 10_000) {
        // Forget idle users so the map cannot grow without bound.
        for (const [k, v] of seen) if (Math.max(v.times.at(-1) ?? 0, v.noticeAt ?? 0) <= now - windowMs) seen.delete(k);
      }
      return 'allow';
    },
  };
}
