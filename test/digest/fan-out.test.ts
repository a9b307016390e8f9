import assert from 'node:assert/strict';
import { compileCron } from '../../src/config/cron.js';
import type { ConvRef } from '../../src/core/conversation.js';
import type { CronSchedule } from '../../src/core/cron.js';
import type { SendOp, SendResult, Sender } from '../../src/core/send.js';
import { createDigestService, DIGEST_LAST_SENT_KEY, digestCopyKey, postDigest } from '../../src/digest/fan-out.js';
import { DIGEST_RETRY_MS } from '../../src/digest/schedule.js';
import { createCaptureLogger } from '../fakes/capture-logger.js';
import { FakeClock, flushPromises } from '../fakes/fake-clock.js';
import { MemoryAuditStore } from '../fakes/memory-store.js';

const refOf = (id: string): ConvRef => ({
  channelId: 'msteams',
  serviceUrl: 'https://smba.example/emea/',
  conversationId: id,
  conversationType: 'channel',
  tenantId: 't',
  botId: '28:b',
});

/** A sender whose answer per conversation is scripted: 'ok', 'later' (throttled) or 'blocked' (bot removed). */
class ScriptedSender implements Sender {
  readonly posts: string[] = [];
  readonly answers = new Map<string, ('ok' | 'later' | 'blocked')[]>();
  send(ref: ConvRef, op: SendOp): Promise<SendResult> {
    assert.equal(op.kind, 'post');
    this.posts.push(ref.conversationId);
    const answer = this.answers.get(ref.conversationId)?.shift() ?? 'ok';
    if (answer === 'ok')
      return Promise.resolve({
        ok: true,
        posted: { conversationId: ref.conversationId, activityId: 'a1' },
        compact: false,
        attempts: 1,
      });
    if (answer === 'later')
      return Promise.resolve({
        ok: false,
        permanent: false,
        deactivate: false,
        reason: 'HTTP 429 Throttled',
        attempts: 5,
        retryAtMs: 0,
      });
    return Promise.resolve({
      ok: false,
      permanent: true,
      deactivate: true,
      reason: 'HTTP 403 MessageWritesBlocked',
      attempts: 1,
    });
  }
}

function storeWith(subscribed: string[], other: string[] = []): MemoryAuditStore {
  const store = new MemoryAuditStore();
  for (const id of [...subscribed, ...other])
    store.saveConversation({
      conversationId: id,
      kind: 'channel',
      name: id,
      ref: refOf(id),
      at: '2026-11-28T00:00:00.000Z',
    });
  for (const id of subscribed)
    store.setSubscription(id, { alerts: false, digest: true }, 'admin', '2026-11-28T00:00:00.000Z');
  return store;
}

describe('digest/fan-out: one copy per conversation and day', () => {
  const logger = createCaptureLogger();
  const clock = new FakeClock(Date.parse('2026-11-29T07:00:00Z'));

  it('posts to every active subscribed conversation, and only once per local day', async () => {
    const store = storeWith(['c1', 'c2'], ['not-subscribed']);
    const sender = new ScriptedSender();
    const deps = { conversations: store, state: store, sender, clock, logger };
    assert.deepEqual(await postDigest({}, '2026-11-29', deps), { posted: 2, already: 0, refused: 0, retrying: 0 });
    assert.deepEqual(await postDigest({}, '2026-11-29', deps), { posted: 0, already: 2, refused: 0, retrying: 0 });
    assert.deepEqual(sender.posts, ['c1', 'c2']);
    assert.deepEqual(
      await postDigest({}, '2026-11-30', deps),
      { posted: 2, already: 0, refused: 0, retrying: 0 },
      'the next day posts again',
    );
  });

  it('a partial failure rejects for a retry, and the retry posts only where it had not gone', async () => {
    const store = storeWith(['c1', 'c2', 'c3']);
    const sender = new ScriptedSender();
    sender.answers.set('c2', ['later']);
    const deps = { conversations: store, state: store, sender, clock, logger };
    await assert.rejects(
      postDigest({}, '2026-11-29', deps),
      /could not be posted to 1 conversation\(s\); retrying later/,
    );
    assert.notEqual(store.getState(digestCopyKey('2026-11-29', 'c1')), null);
    assert.equal(store.getState(digestCopyKey('2026-11-29', 'c2')), null);
    assert.deepEqual(await postDigest({}, '2026-11-29', deps), { posted: 1, already: 2, refused: 0, retrying: 0 });
    assert.deepEqual(sender.posts, ['c1', 'c2', 'c3', 'c2']);
  });

  it('a conversation that blocked the bot goes inactive and does not hold the day back', async () => {
    const store = storeWith(['c1', 'c2']);
    const sender = new ScriptedSender();
    sender.answers.set('c1', ['blocked']);
    const deps = { conversations: store, state: store, sender, clock, logger };
    assert.deepEqual(await postDigest({}, '2026-11-29', deps), { posted: 1, already: 0, refused: 1, retrying: 0 });
    const c1 = store.conversations().find((c) => c.conversationId === 'c1');
    assert.deepEqual([c1?.active, c1?.inactiveReason], [false, 'HTTP 403 MessageWritesBlocked']);
    assert.deepEqual(
      await postDigest({}, '2026-11-29', deps),
      { posted: 0, already: 1, refused: 0, retrying: 0 },
      'an inactive conversation is skipped',
    );
  });

  it('on schedule: a failed conversation is retried DIGEST_RETRY_MS later, the day is recorded once all got it', async () => {
    const clock = new FakeClock(Date.parse('2026-11-29T06:59:00Z'));
    const store = storeWith(['c1', 'c2']);
    const sender = new ScriptedSender();
    sender.answers.set('c2', ['later']);
    const schedule = compileCron('0 8 * * *', 'Europe/Amsterdam') as CronSchedule;
    let built = 0;
    const service = createDigestService({
      schedule,
      conversations: store,
      state: store,
      sender,
      clock,
      logger,
      card: () => Promise.resolve({ n: ++built }),
    });
    service.start();
    await flushPromises();
    await clock.advance(60_000);
    await flushPromises();
    assert.deepEqual(sender.posts, ['c1', 'c2']);
    assert.equal(store.getState(DIGEST_LAST_SENT_KEY), null, 'not recorded as sent while one conversation waits');
    await clock.advance(DIGEST_RETRY_MS);
    await flushPromises();
    assert.deepEqual(sender.posts, ['c1', 'c2', 'c2'], 'the retry posts only to c2');
    assert.equal(store.getState(DIGEST_LAST_SENT_KEY), '2026-11-29');
    await clock.advance(6 * 3_600_000);
    await service.stop();
    assert.equal(sender.posts.length, 3, 'nothing more that day');
  });
});
