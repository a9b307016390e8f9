import type { Clock } from '../core/clock.js';
import type { CronSchedule } from '../core/cron.js';
import { ConfigError, describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { localDate } from './local-time.js';

/**
 * When the daily digest is due. DIGEST_CRON is compiled by the configuration (croner ≥ 11) in DIGEST_TIMEZONE, in the
 * wall-clock time of that zone, daylight saving included: `0 8 * * *` in Europe/Amsterdam is 07:00Z
 * in winter and 06:00Z in summer. For a fixed time (one value each in minutes and hours), a time
 * skipped by the spring change runs at the first valid time after the gap, on the same day, and a
 * time repeated by the autumn change runs once, at its first instance. croner's nextRun and
 * previousRuns move in real time (never a time already passed); nextRun is checked anyway.
 *
 * The rule, per local calendar day of DIGEST_TIMEZONE: at most one digest, sent at the first check
 * at or after that day's first-reached occurrence, and only on that same local day. A digest missed
 * while the bot was down is therefore sent once when the bot returns the same day, and never on a
 * later day. "Once" rests on one stored value, the local date of the last digest sent
 * (`lastSentLocalDate`), which the caller persists after each successful send (`markSent`).
 * A pattern with several occurrences a day still yields one digest that day.
 */

/** The digest to send: the local day it is for and the occurrence that made it due. */
export interface DigestOccurrence {
  /** YYYY-MM-DD in the digest time zone; the value to persist once the digest has been sent. */
  localDate: string;
  /** The scheduled instant, epoch milliseconds (UTC). */
  scheduledMs: number;
}

function nextOf(s: CronSchedule, afterMs: number): number {
  const next = s.nextAfter(afterMs);
  if (next === null) {
    throw new ConfigError([`DIGEST_CRON "${s.pattern}" has no occurrence after ${new Date(afterMs).toISOString()}.`]);
  }
  // A time already passed would make the scheduler spin; croner 10 did this in a repeated DST hour.
  if (next <= afterMs) {
    throw new Error(
      `croner returned ${new Date(next).toISOString()} as the occurrence after ${new Date(afterMs).toISOString()} of "${s.pattern}"`,
    );
  }
  return next;
}

function dueOf(s: CronSchedule, nowMs: number, lastSentLocalDate: string | null): DigestOccurrence | null {
  const today = localDate(nowMs, s.timeZone);
  // A recorded date on or after today (the clock went back, or the zone changed) also blocks.
  if (lastSentLocalDate !== null && lastSentLocalDate >= today) return null;
  // croner's previousRuns is strictly before its reference and works in whole seconds: one second
  // past the current second makes an occurrence at exactly `now` count as reached.
  const scheduledMs = s.previousBefore(Math.floor(nowMs / 1000) * 1000 + 1000);
  if (scheduledMs === null) return null;
  if (scheduledMs > nowMs || localDate(scheduledMs, s.timeZone) !== today) return null;
  return { localDate: today, scheduledMs };
}

/**
 * The first occurrence strictly after `afterMs` (epoch milliseconds, UTC), as epoch milliseconds.
 * Throws ConfigError for a pattern that never occurs again.
 */
export function nextRun(schedule: CronSchedule, afterMs: number): number {
  return nextOf(schedule, afterMs);
}

/**
 * The digest to send at `nowMs`, if any: the latest occurrence at or before now, provided it falls
 * on today's local date (in the schedule's zone) and today's digest has not been sent (`lastSentLocalDate`,
 * YYYY-MM-DD, is before today or null). An occurrence of an earlier day is never returned.
 */
export function dueOccurrence(
  schedule: CronSchedule,
  nowMs: number,
  lastSentLocalDate: string | null,
): DigestOccurrence | null {
  return dueOf(schedule, nowMs, lastSentLocalDate);
}

/** After a failed send, the next attempt comes this much later (milliseconds) while the day lasts. */
export const DIGEST_RETRY_MS = 5 * 60_000;
/**
 * The longest single timer (milliseconds). Node timers overflow past 2^31−1 ms (about 24.8 days);
 * a shorter wait also re-reads the wall clock regularly (suspend, clock corrections), at the cost of
 * a check that usually finds nothing to do.
 */
export const DIGEST_MAX_WAIT_MS = 60 * 60_000;

export interface DigestSchedulerOptions {
  /** DIGEST_CRON in DIGEST_TIMEZONE, compiled by the configuration. */
  schedule: CronSchedule;
  clock: Clock;
  logger: Logger;
  /** The durably stored local date (YYYY-MM-DD) of the last digest sent, or null when none was. */
  lastSent: () => string | null | Promise<string | null>;
  /**
   * Stores `localDate` durably as the last digest sent; called once after each successful `send`
   * (and again at later checks if it fails).
   */
  markSent: (localDate: string) => void | Promise<void>;
  /** Builds and posts the digest to the subscribed channels; rejects when it could not. */
  send: (occurrence: DigestOccurrence) => Promise<void>;
  /** Default DIGEST_RETRY_MS. */
  retryMs?: number;
  /** Default DIGEST_MAX_WAIT_MS. */
  maxWaitMs?: number;
}

export interface DigestSchedulerStatus {
  /** Local date of the last digest this process sent, or null. */
  sentLocalDate: string | null;
  /** When the next check runs (ISO UTC), or null when stopped. */
  nextCheckAt: string | null;
  failures: number;
  lastError: string | null;
}

export interface DigestScheduler {
  /** Checks at once (catching up a digest missed earlier today), then at each occurrence. */
  start(): void;
  /** Cancels the timer; resolves when a check in flight has ended. */
  stop(): Promise<void>;
  /** Runs a check now unless one is running (then joins it); sends the digest if it is due. */
  checkNow(): Promise<void>;
  status(): DigestSchedulerStatus;
}

/** The later of two YYYY-MM-DD dates (null = none). */
function laterDate(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a >= b ? a : b;
}

/**
 * The digest scheduler: one timer at a time, set to the next occurrence (recomputed by croner after
 * every check, so daylight saving changes need nothing special) or, after a failure, to the retry
 * delay; never longer than `maxWaitMs`. Checks never overlap. Every error of a check (reading or
 * writing the last-sent date, building or posting the digest) ends in one place: it is logged and
 * the next check retries. Once a day's occurrence has passed without a successful send, checks retry
 * every `retryMs` until the local day ends, then give up with a warning.
 *
 * Besides the stored date, the scheduler remembers the date it sent itself, so a failing `markSent`
 * can never make this process send the same day twice (a restart before the date is stored could).
 */
export function createDigestScheduler(options: DigestSchedulerOptions): DigestScheduler {
  const { schedule, clock, send, lastSent, markSent } = options;
  const retryMs = options.retryMs ?? DIGEST_RETRY_MS;
  const maxWaitMs = Math.min(options.maxWaitMs ?? DIGEST_MAX_WAIT_MS, 2 ** 31 - 1);
  const log = options.logger.child({ job: 'digest', cron: schedule.pattern, timeZone: schedule.timeZone });
  // A pattern that never occurs again is a configuration error, not a silent no-op.
  nextOf(schedule, clock.now());

  let stopped = true;
  let cancelTimer: (() => void) | undefined;
  let nextCheckMs: number | null = null;
  let inFlight: Promise<void> | undefined;
  /** Sent by this process (whatever the store says). */
  let sentHere: string | null = null;
  /** Sent by this process but not yet stored. */
  let unrecorded: string | null = null;
  /** The local date whose digest failed and is being retried. */
  let failing: string | null = null;
  let failures = 0;
  let lastError: string | null = null;

  const setTimer = (retry: boolean): void => {
    cancelTimer?.();
    cancelTimer = undefined;
    nextCheckMs = null;
    if (stopped) return;
    const now = clock.now();
    let wait = maxWaitMs;
    try {
      wait = Math.min(wait, nextOf(schedule, now) - now);
    } catch (err) {
      log.warn('no next digest occurrence; checking again later', { error: describeError(err) });
    }
    if (retry) wait = Math.min(wait, retryMs);
    wait = Math.max(0, wait);
    nextCheckMs = now + wait;
    log.debug('next digest check', { at: new Date(nextCheckMs).toISOString() });
    cancelTimer = clock.setTimer(() => {
      cancelTimer = undefined;
      void runCheck();
    }, wait);
  };

  /** What a check was doing, for its error line; `true` from a check asks for a retry. */
  type Stage = 'read the last-sent date' | 'send the digest' | 'record the digest as sent';
  const check = async (): Promise<boolean> => {
    let stage: Stage = 'read the last-sent date';
    let localDateOfCheck: string | undefined;
    try {
      if (unrecorded !== null) {
        stage = 'record the digest as sent';
        localDateOfCheck = unrecorded;
        await markSent(unrecorded);
        unrecorded = null;
      }
      stage = 'read the last-sent date';
      const stored = await lastSent();
      const now = clock.now();
      const due = dueOf(schedule, now, laterDate(stored, sentHere));
      if (failing !== null && due?.localDate !== failing) {
        // Either the day has ended, or the stored date says that day's digest went out after all.
        if (localDate(now, schedule.timeZone) !== failing)
          log.warn('gave up the digest: its local day has ended', { localDate: failing });
        failing = null;
      }
      if (due === null) return false;
      localDateOfCheck = due.localDate;
      stage = 'send the digest';
      log.info('sending the digest', {
        localDate: due.localDate,
        scheduledAt: new Date(due.scheduledMs).toISOString(),
      });
      await send(due);
      sentHere = due.localDate;
      unrecorded = due.localDate;
      failing = null;
      stage = 'record the digest as sent';
      await markSent(due.localDate);
      unrecorded = null;
      log.info('digest sent', { localDate: due.localDate });
      return false;
    } catch (err) {
      failures++;
      lastError = describeError(err);
      // A failed send is retried for its day; a failed read or record is retried either way.
      if (stage === 'send the digest' && localDateOfCheck !== undefined) failing = localDateOfCheck;
      log.error(`could not ${stage}; retrying`, { localDate: localDateOfCheck, error: lastError, retryInMs: retryMs });
      return true;
    }
  };

  const runCheck = (): Promise<void> => {
    if (inFlight) return inFlight;
    inFlight = (async () => {
      let retry = false;
      try {
        // From a microtask, so that `inFlight` is assigned before the check can finish.
        retry = await Promise.resolve().then(check);
      } finally {
        inFlight = undefined;
        setTimer(retry);
      }
    })();
    return inFlight;
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      log.info('digest scheduler started');
      void runCheck();
    },
    async stop() {
      stopped = true;
      cancelTimer?.();
      cancelTimer = undefined;
      nextCheckMs = null;
      await inFlight;
      log.info('digest scheduler stopped');
    },
    checkNow: () => runCheck(),
    status: () => ({
      sentLocalDate: sentHere,
      nextCheckAt: nextCheckMs === null ? null : new Date(nextCheckMs).toISOString(),
      failures,
      lastError,
    }),
  };
}
