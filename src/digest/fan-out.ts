/**
 * Posting the daily digest: every active conversation subscribed to it gets one copy per local day.
 * Each copy is recorded in the bot state once Teams accepted it, so a retry after a partial failure
 * posts only where it has not gone yet, and a restart the same day posts nothing twice.
 */
import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Sender } from '../core/send.js';
import type { BotState, Conversations } from '../store/types.js';
import { createDigestScheduler, type DigestOccurrence, type DigestScheduler } from './schedule.js';
import type { CronSchedule } from '../core/cron.js';

/** Bot-state key of the local date (YYYY-MM-DD) of the last digest sent. */
export const DIGEST_LAST_SENT_KEY = 'digest.lastSentLocalDate';

/** Bot-state key recording that `conversationId` got the digest of `localDate`. */
export function digestCopyKey(localDate: string, conversationId: string): string {
  return `digest.sent.${localDate}.${conversationId}`;
}

export interface DigestFanOutDeps {
  conversations: Conversations;
  state: BotState;
  sender: Sender;
  clock: Clock;
  logger: Logger;
}

export interface FanOutResult {
  posted: number;
  /** Already had this day's copy (an earlier attempt reached them). */
  already: number;
  /** Failed for good (e.g. the bot was removed); the conversation is marked inactive when Teams says so. */
  refused: number;
  /** Failed for now; the scheduler tries again later the same day. */
  retrying: number;
}

/**
 * Posts `card` as the digest of `localDate` to every active subscribed conversation that has not had
 * it. Rejects (after trying every conversation) when some could not be reached for now, so that the
 * scheduler retries; a permanent refusal does not hold the day's digest back for the others.
 */
export async function postDigest(card: object, localDate: string, deps: DigestFanOutDeps): Promise<FanOutResult> {
  const { conversations, state, sender, clock, logger } = deps;
  const now = (): string => new Date(clock.now()).toISOString();
  const result: FanOutResult = { posted: 0, already: 0, refused: 0, retrying: 0 };
  for (const c of conversations.conversations().filter((x) => x.digest && x.active)) {
    const key = digestCopyKey(localDate, c.conversationId);
    if (state.getState(key) !== null) {
      result.already++;
      continue;
    }
    const res = await sender.send(c.ref, { kind: 'post', card });
    if (res.ok) {
      state.setState(key, now(), now());
      result.posted++;
      continue;
    }
    if (res.deactivate) conversations.setConversationActive(c.conversationId, false, res.reason);
    if (res.permanent) result.refused++;
    else result.retrying++;
    logger.warn('digest not posted', {
      conversationId: c.conversationId,
      permanent: res.permanent,
      reason: res.reason,
    });
  }
  if (result.retrying > 0) {
    throw new AppError(
      'TEAMS_SEND_FAILED',
      `The digest could not be posted to ${result.retrying} conversation(s); retrying later.`,
    );
  }
  return result;
}

export interface DigestServiceDeps extends DigestFanOutDeps {
  schedule: CronSchedule;
  /** Builds the digest card of now (the model from the queries, rendered). */
  card: () => Promise<object>;
}

/**
 * The daily digest on its schedule: the last local date sent is kept in the bot state (never twice
 * a day, caught up the same day after a restart), and each day's copies are posted by `postDigest`.
 */
export function createDigestService(deps: DigestServiceDeps): DigestScheduler {
  const now = (): string => new Date(deps.clock.now()).toISOString();
  return createDigestScheduler({
    schedule: deps.schedule,
    clock: deps.clock,
    logger: deps.logger,
    lastSent: () => deps.state.getState(DIGEST_LAST_SENT_KEY),
    markSent: (date) => deps.state.setState(DIGEST_LAST_SENT_KEY, date, now()),
    send: async (occurrence: DigestOccurrence) => {
      const result = await postDigest(await deps.card(), occurrence.localDate, deps);
      deps.logger.info('digest posted', { localDate: occurrence.localDate, ...result });
    },
  });
}
