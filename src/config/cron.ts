import { Cron } from 'croner';
import type { CronSchedule } from '../core/cron.js';

/**
 * Compiles a cron pattern in an IANA zone with croner (≥ 11), in the wall-clock time of that zone,
 * daylight saving included. Returns an error message for a pattern croner refuses or reads as a
 * one-off date. `timeZone` must already be a canonical IANA name (core/time-zone.ts).
 */
export function compileCron(pattern: string, timeZone: string): CronSchedule | string {
  let job: Cron;
  try {
    // Paused: used only to compute times, never to run anything.
    job = new Cron(pattern, { timezone: timeZone, paused: true });
  } catch (err) {
    return `"${pattern}" is not a valid cron pattern (${(err as Error).message}).`;
  }
  // croner reads a string with a colon as a one-off date ("2027-01-01T08:00"); the digest is recurring.
  if (job.getPattern() === undefined) return `"${pattern}" is a date, not a cron pattern.`;
  return {
    pattern,
    timeZone,
    nextAfter: (afterMs) => job.nextRun(new Date(afterMs))?.getTime() ?? null,
    previousBefore: (beforeMs) => job.previousRuns(1, new Date(beforeMs))[0]?.getTime() ?? null,
  };
}
