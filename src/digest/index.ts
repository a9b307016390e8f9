/**
 * The daily digest: its model, computed from queries (model.ts), when to send it (schedule.ts), and
 * posting it once per conversation and day (fan-out.ts). The composition root gives the service
 * the card renderer, the process's one sender and the store.
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
export { localDate } from './local-time.js';
export {
  createDigestService,
  postDigest,
  digestCopyKey,
  DIGEST_LAST_SENT_KEY,
  type DigestFanOutDeps,
  type DigestServiceDeps,
  type FanOutResult,
} from './fan-out.js';
