/**
 * A recurring schedule in the wall-clock time of an IANA zone (DIGEST_CRON in DIGEST_TIMEZONE),
 * compiled once by the configuration (config/cron.ts, with croner) and only evaluated elsewhere.
 */
export interface CronSchedule {
  /** The pattern as configured, e.g. `0 8 * * *` (for logs). */
  readonly pattern: string;
  /** Canonical IANA zone the pattern is read in. */
  readonly timeZone: string;
  /** The first occurrence strictly after `afterMs` (epoch ms), or null when there is none. */
  nextAfter(afterMs: number): number | null;
  /** The latest occurrence strictly before `beforeMs` (epoch ms, whole seconds), or null. */
  previousBefore(beforeMs: number): number | null;
}
