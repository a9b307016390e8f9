import type { Clock } from '../core/clock.js';

/**
 * Per-user command rate limit: at most `limit` commands in any `windowMs` (sliding). In memory; a
 * restart forgets, which is fine for a courtesy limit against floods.
 */
export interface RateLimiter {
  /** Records a command for `key` and says whether it may run. */
  allow(key: string): boolean;
}

export function createRateLimiter(options: { limit: number; windowMs: number; clock: Clock }): RateLimiter {
  const { limit, windowMs, clock } = options;
  const seen = new Map<string, number[]>();
  return {
    allow(key) {
      const now = clock.now();
      const times = (seen.get(key) ?? []).filter((t) => t > now - windowMs);
      if (times.length >= limit) {
        seen.set(key, times);
        return false;
      }
      times.push(now);
      seen.set(key, times);
      if (seen.size > 10_000) {
        // Forget idle users so the map cannot grow without bound.
        for (const [k, v] of seen) if ((v.at(-1) ?? 0) <= now - windowMs) seen.delete(k);
      }
      return true;
    },
  };
}
