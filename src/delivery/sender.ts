/**
 * Sends cards to Teams within its rate limits and retries what is worth retrying: the one sender of
 * a process, shared by alerts, the digest and any other proactive message, so that the pacing holds
 * across all of them.
 *
 * Pacing: one lane per conversation (`conversationKey`: a channel and its threads share a lane).
 * Sends in a lane run one after another, in call order, and every call to Teams (retries included,
 * updates included) starts at least `minIntervalMs` after the previous one in that lane (300 ms by
 * default: at most 4 calls in any second and 7 in any 2 s), and never more than `windows` allow
 * (default 50 calls in any 30 s and 1,500 in any hour). Teams allows a bot 7 per second, 8 per 2 s,
 * 60 per 30 s and 1,800 per hour in one conversation (shared/reference/teams.md section 9); the
 * defaults stay under each with a margin, while a burst of 10 new alerts still goes out within 3 s.
 * Lanes do not wait for each other.
 *
 * Retries build on what the Teams layer says about each failure (a SendError, core/errors.ts):
 *
 * - deactivate (403 MessageWritesBlocked / ConversationBlockedByUser): permanent, and the
 *   subscription should go inactive;
 * - too large (413 MessageSizeTooBig): again with the compact card when there is one (no backoff,
 *   only the pacing), else permanent;
 * - other permanent failures (401, 403, 404, most 4xx): give up;
 * - 429 with Retry-After (the transport's own retries are spent): wait Retry-After once more, then
 *   give up;
 * - a failure the transport already retried (5xx, 408, some network errors): one more slow attempt,
 *   then give up;
 * - other retryable failures (429 without Retry-After, 412, other network errors): exponential
 *   backoff with jitter, `min(maxDelayMs, 1000 ms · 2^n) · [0.8, 1.2)`.
 *
 * Everything is bounded by `maxAttempts` calls in total. A failure that is not permanent carries
 * `retryAtMs` so that the caller (the outbox) tries again much later. Waits longer than `maxDelayMs`
 * are never slept (they would hold up the lane): the send gives up with `retryAtMs` instead.
 *
 * `send` resolves with a result for every Teams failure; it rejects only when `signal` aborts (with
 * the signal's reason). Logs never contain card content.
 */
import { abortReason, type Clock } from '../core/clock.js';
import { conversationKey, type ConvRef, type PostedMessage, type TeamsGateway } from '../core/conversation.js';
import { AppError, SendError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { SendOp, SendResult, Sender } from '../core/send.js';

export interface SenderOptions {
  gateway: TeamsGateway;
  clock: Clock;
  logger: Logger;
  /** Uniform in [0, 1), for the backoff jitter; default Math.random. */
  random?: () => number;
  /** Minimum time between the starts of two calls to Teams in one conversation, ms; default 300. */
  minIntervalMs?: number;
  /** At most `max` call starts in any `windowMs` in one conversation; default DEFAULT_WINDOWS. */
  windows?: readonly RateWindow[];
  /** Calls to Teams per send, first one included; default 5. */
  maxAttempts?: number;
  /** Longest single wait, ms; default 30000. Also the least `retryAtMs - now` of a non-permanent failure. */
  maxDelayMs?: number;
}

/** A sliding-window cap on call starts in one conversation. */
export interface RateWindow {
  max: number;
  windowMs: number;
}

/** Under Teams' 60 per 30 s and 1,800 per hour per conversation, with a margin. */
export const DEFAULT_WINDOWS: readonly RateWindow[] = [
  { max: 50, windowMs: 30_000 },
  { max: 1500, windowMs: 3_600_000 },
];

/** First exponential backoff step, ms (doubled at each further step). */
const BACKOFF_BASE_MS = 1000;
/** Backoff jitter: the delay is multiplied by a factor in [1 - JITTER, 1 + JITTER). */
const JITTER = 0.2;
/** Idle lanes are forgotten once there are more than this many lanes. */
const MAX_IDLE_LANES = 1000;

interface Lane {
  /** Resolves when every send queued so far in this lane has finished. Never rejects. */
  tail: Promise<void>;
  /** Sends queued or running. */
  pending: number;
  /** Start of the latest call to Teams, epoch ms. */
  lastStartMs: number | undefined;
  /** Starts of the calls within the longest window, oldest first, epoch ms. */
  starts: number[];
}

/** What one send has used up so far. */
interface Budget {
  /** Exponential backoff steps taken. */
  backoffs: number;
  /** Whether the one extra wait for a 429 with Retry-After was taken. */
  retryAfterUsed: boolean;
  /** Whether the one slow attempt after a failure the transport already retried was taken. */
  slowUsed: boolean;
  /** Whether the compact card is being sent. */
  compact: boolean;
}

type Verdict =
  | { retry: true; delayMs: number; compact?: boolean }
  | { retry: false; permanent: boolean; deactivate: boolean; reason: string; laterMs?: number };

export function createSender(options: SenderOptions): Sender {
  const { gateway, clock } = options;
  const logger = options.logger.child({ component: 'sender' });
  const random = options.random ?? Math.random;
  const minIntervalMs = options.minIntervalMs ?? 300;
  const windows = options.windows ?? DEFAULT_WINDOWS;
  const longestWindowMs = Math.max(0, ...windows.map((w) => w.windowMs));
  const maxAttempts = options.maxAttempts ?? 5;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const badWindow = windows.some((w) => !Number.isInteger(w.max) || w.max < 1 || !(w.windowMs > 0));
  if (!(minIntervalMs >= 0) || !(maxDelayMs >= 0) || !Number.isInteger(maxAttempts) || maxAttempts < 1 || badWindow) {
    throw new AppError(
      'INTERNAL',
      `createSender: invalid options (minIntervalMs ${minIntervalMs}, maxAttempts ${maxAttempts}, maxDelayMs ${maxDelayMs}).`,
    );
  }
  const lanes = new Map<string, Lane>();

  function laneFor(key: string): Lane {
    let lane = lanes.get(key);
    if (lane) return lane;
    if (lanes.size >= MAX_IDLE_LANES) {
      const now = clock.now();
      for (const [k, l] of lanes) {
        // Only a lane whose every start has left the windows: forgetting it cannot break a limit.
        const quiet = l.lastStartMs === undefined || now - l.lastStartMs >= Math.max(minIntervalMs, longestWindowMs);
        if (l.pending === 0 && quiet) lanes.delete(k);
      }
    }
    lane = { tail: Promise.resolve(), pending: 0, lastStartMs: undefined, starts: [] };
    lanes.set(key, lane);
    return lane;
  }

  /** How long (ms) the lane must wait before its next call so that minIntervalMs and every window hold. */
  function laneWaitMs(lane: Lane, now: number): number {
    let waitMs = lane.lastStartMs === undefined ? 0 : minIntervalMs - (now - lane.lastStartMs);
    for (const w of windows) {
      const inWindow = lane.starts.filter((t) => now - t < w.windowMs);
      // The call may start once the oldest start that would make it the (max+1)-th has left the window.
      const blocking = inWindow[inWindow.length - w.max];
      if (inWindow.length >= w.max && blocking !== undefined) waitMs = Math.max(waitMs, blocking + w.windowMs - now);
    }
    return waitMs;
  }

  /** Waits `delayMs` (ms), stretched so that the call keeps the lane's pacing, then records its start. */
  async function pace(lane: Lane, delayMs: number, signal: AbortSignal | undefined): Promise<void> {
    let waitMs = Math.max(delayMs, laneWaitMs(lane, clock.now()));
    while (waitMs > 0) {
      await clock.sleep(waitMs, signal);
      waitMs = laneWaitMs(lane, clock.now());
    }
    if (signal?.aborted) throw abortReason(signal);
    const now = clock.now();
    lane.lastStartMs = now;
    lane.starts.push(now);
    while (lane.starts.length > 0 && now - (lane.starts[0] ?? now) >= longestWindowMs) lane.starts.shift();
  }

  function backoffMs(n: number): number {
    const r = Math.min(Math.max(random(), 0), 1);
    return Math.round(Math.min(maxDelayMs, BACKOFF_BASE_MS * 2 ** n) * (1 - JITTER + 2 * JITTER * r));
  }

  /** What to do about a failed call, given what this send has used up (updated in place). */
  function decide(f: SendError | undefined, err: unknown, op: SendOp, budget: Budget): Verdict {
    if (!f) {
      const message = err instanceof Error ? err.message : String(err);
      return { retry: false, permanent: true, deactivate: false, reason: `not a Teams connector failure: ${message}` };
    }
    const what = f.detail;
    const status = f.status;
    const retryAfterMs = f.retryAfterMs;
    if (f.deactivate)
      return {
        retry: false,
        permanent: true,
        deactivate: true,
        reason: `${what}: the bot was blocked or removed in this conversation`,
      };
    if (f.tooLarge) {
      if (op.compactCard !== undefined && !budget.compact) return { retry: true, delayMs: 0, compact: true };
      return {
        retry: false,
        permanent: true,
        deactivate: false,
        reason: `${what}: the card is too large${budget.compact ? ', the compact one too' : ' and there is no compact card'}`,
      };
    }
    if (f.permanent && status === undefined) return { retry: false, permanent: true, deactivate: false, reason: what };
    if (f.permanent) {
      const why =
        status === 401
          ? "the bot's credentials were refused"
          : status === 403
            ? 'the bot may not post in this conversation'
            : status === 404
              ? 'the conversation or message no longer exists'
              : 'refused by Teams';
      return { retry: false, permanent: true, deactivate: false, reason: `${what}: ${why}` };
    }
    if (status === 429 && retryAfterMs !== undefined) {
      // The transport has already waited Retry-After three times for this call.
      if (budget.retryAfterUsed || retryAfterMs > maxDelayMs) {
        return {
          retry: false,
          permanent: false,
          deactivate: false,
          reason: `${what}: throttled (Retry-After ${retryAfterMs} ms)`,
          laterMs: retryAfterMs,
        };
      }
      budget.retryAfterUsed = true;
      return { retry: true, delayMs: retryAfterMs };
    }
    if (retryAfterMs !== undefined && retryAfterMs > maxDelayMs) {
      return {
        retry: false,
        permanent: false,
        deactivate: false,
        reason: `${what}: retry later (Retry-After ${retryAfterMs} ms)`,
        laterMs: retryAfterMs,
      };
    }
    if (!f.transportRetried) return { retry: true, delayMs: retryAfterMs ?? backoffMs(budget.backoffs++) };
    if (budget.slowUsed)
      return {
        retry: false,
        permanent: false,
        deactivate: false,
        reason: `${what}: Teams unavailable, after the transport's own retries and one more`,
        laterMs: retryAfterMs,
      };
    budget.slowUsed = true;
    return { retry: true, delayMs: retryAfterMs ?? Math.round(maxDelayMs / 2) };
  }

  async function attempt(ref: ConvRef, op: SendOp, card: object): Promise<PostedMessage | null> {
    if (op.kind === 'post') return await gateway.postCard(ref, card);
    await gateway.updateCard(op.message, ref, card);
    return null;
  }

  async function run(
    ref: ConvRef,
    op: SendOp,
    lane: Lane,
    conversationId: string,
    signal: AbortSignal | undefined,
  ): Promise<SendResult> {
    const budget: Budget = { backoffs: 0, retryAfterUsed: false, slowUsed: false, compact: false };
    let attempts = 0;
    let delayMs = 0;
    for (;;) {
      await pace(lane, delayMs, signal);
      attempts++;
      const card = budget.compact && op.compactCard !== undefined ? op.compactCard : op.card;
      let err: unknown;
      try {
        const posted = await attempt(ref, op, card);
        if (posted && posted.activityId === '') {
          logger.warn('Teams returned no activity id; this card cannot be updated later', { conversationId, attempts });
        }
        return { ok: true, posted, compact: budget.compact, attempts };
      } catch (e) {
        err = e;
      }
      const now = clock.now();
      const f = err instanceof SendError ? err : undefined;
      const verdict = decide(f, err, op, budget);
      const fields = {
        conversationId,
        op: op.kind,
        status: f?.status,
        code: f?.apiCode,
        subCode: f?.subCode,
        attempt: attempts,
      };
      if (!verdict.retry) {
        logger.warn('Teams send failed', {
          ...fields,
          permanent: verdict.permanent,
          deactivate: verdict.deactivate,
          reason: verdict.reason,
        });
        return {
          ok: false,
          permanent: verdict.permanent,
          deactivate: verdict.deactivate,
          reason: verdict.reason,
          attempts,
          ...(verdict.permanent ? {} : { retryAtMs: now + Math.max(verdict.laterMs ?? 0, maxDelayMs) }),
        };
      }
      if (attempts >= maxAttempts) {
        const reason = `${f ? f.detail : 'failure'}: gave up after ${attempts} attempts`;
        logger.warn('Teams send failed', { ...fields, permanent: false, deactivate: false, reason });
        return {
          ok: false,
          permanent: false,
          deactivate: false,
          reason,
          attempts,
          retryAtMs: now + Math.max(verdict.delayMs, maxDelayMs),
        };
      }
      if (verdict.compact) budget.compact = true;
      delayMs = verdict.delayMs;
      logger.warn('Teams send failed; retrying', {
        ...fields,
        waitMs: delayMs,
        ...(verdict.compact ? { compact: true } : {}),
      });
    }
  }

  return {
    async send(ref, op, signal) {
      if (signal?.aborted) throw abortReason(signal);
      const conversationId = op.kind === 'update' ? op.message.conversationId : ref.conversationId;
      if (op.kind === 'update' && op.message.activityId === '') {
        return {
          ok: false,
          permanent: true,
          deactivate: false,
          reason: 'the message has no activity id and cannot be updated',
          attempts: 0,
        };
      }
      const lane = laneFor(conversationKey(conversationId));
      const previous = lane.tail;
      let release: () => void = () => {};
      const done = new Promise<void>((resolve) => {
        release = resolve;
      });
      lane.tail = previous.then(() => done);
      lane.pending++;
      try {
        await untilAborted(previous, signal);
        return await run(ref, op, lane, conversationId, signal);
      } finally {
        lane.pending--;
        release();
      }
    },
  };
}

/** Waits for `p` (which never rejects), or rejects with the signal's reason when it aborts first. */
async function untilAborted(p: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return await p;
  if (signal.aborted) throw abortReason(signal);
  let onAbort: () => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([p, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
