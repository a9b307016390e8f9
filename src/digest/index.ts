/**
 * The daily digest: its model, computed from queries (model.ts), and when to send it (schedule.ts).
 * Posting is the caller's: main.ts wires `createDigestScheduler` to the card renderer, the Teams
 * gateway and the store that keeps the last-sent local date.
 */
export {
  buildDigest,
  digestRanges,
  fillUtcDays,
  DIGEST_CHART_DAYS,
  DIGEST_PENDING_N,
  DIGEST_TOP_DAYS,
  DIGEST_TOP_N,
  type BuildDigestOptions,
  type DigestRanges,
} from './model.js';
export {
  checkDigestSchedule,
  createDigestScheduler,
  dueOccurrence,
  nextRun,
  DIGEST_MAX_WAIT_MS,
  DIGEST_RETRY_MS,
  type DigestOccurrence,
  type DigestScheduler,
  type DigestSchedulerOptions,
  type DigestSchedulerStatus,
} from './schedule.js';
export { checkTimeZone, localDate } from './local-time.js';
