import assert from 'node:assert/strict';
import { AppError, SendError } from '../../src/core/errors.js';
import { createBotAdapter } from '../../src/teams/adapter.js';
import { createTeamsGateway } from '../../src/teams/gateway.js';
import { sendFailureOf } from '../../src/teams/send-errors.js';
import { type ConvRef, type TeamsGateway } from '../../src/core/conversation.js';
import { createCaptureLogger } from '../fakes/capture-logger.js';
import { startFakeConnector, type FakeConnector } from '../fakes/fake-connector.js';
import { ALERTS_CHANNEL, BOT_ID, TEAM_ID, TENANT } from './helpers.js';

const card = (text: string): object => ({ type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text }] });

/** The documented Teams answer when the bot was blocked or uninstalled (send-proactive-messages.md). */
const BLOCKED_BODY = {
  errorCode: 209,
  message:
    '{\r\n  "subCode": "MessageWritesBlocked",\r\n  "details": "Thread is blocked from message writes.",\r\n  "errorCode": null,\r\n  "errorSubCode": null\r\n}',
};

describe('teams gateway: proactive calls against the fake connector', () => {
  let fake: FakeConnector;
  let gateway: TeamsGateway;
  let channel: ConvRef;
  const lines = createCaptureLogger();

  before(async () => {
    fake = await startFakeConnector();
    // The adapter has its onTurnError set: the tests below also show it does not swallow proactive failures.
    const adapter = createBotAdapter({ logger: lines });
    gateway = createTeamsGateway({ adapter, logger: lines });
    channel = {
      channelId: 'msteams',
      serviceUrl: fake.url,
      conversationId: ALERTS_CHANNEL,
      conversationType: 'channel',
      tenantId: TENANT,
      botId: BOT_ID,
      teamId: TEAM_ID,
      teamsChannelId: ALERTS_CHANNEL,
    };
  });
  after(() => fake.close());
  beforeEach(() => fake.reset());

  it('postCard posts to /activities/{continuation uuid} and returns the assigned id', async () => {
    const posted = await gateway.postCard(channel, card('Isolate WS-042: Pending'));
    assert.equal(fake.calls.length, 1);
    const call = fake.calls[0]!;
    assert.equal(call.method, 'POST');
    assert.equal(call.conversationId, ALERTS_CHANNEL);
    assert.match(
      call.activityId ?? '',
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      'replyToId is a random UUID',
    );
    assert.equal(call.path, `/v3/conversations/${encodeURIComponent(ALERTS_CHANNEL)}/activities/${call.activityId}`);
    assert.equal(call.authorization, undefined);
    const body = call.body as {
      attachments: { contentType: string; content: unknown }[];
      conversation: { id: string; tenantId: string };
    };
    assert.equal(body.attachments[0]?.contentType, 'application/vnd.microsoft.card.adaptive');
    assert.deepEqual(body.attachments[0]?.content, card('Isolate WS-042: Pending'));
    assert.deepEqual(posted, { conversationId: ALERTS_CHANNEL, activityId: call.assignedId });
  });

  it('concurrent posts each get their own increasing id', async () => {
    const arrived = fake.waitForCalls(3);
    const posted = await Promise.all([1, 2, 3].map((n) => gateway.postCard(channel, card(`alert ${n}`))));
    const calls = await arrived;
    assert.equal(calls.length, 3);
    const ids = posted.map((p) => Number(p.activityId)).sort((a, b) => a - b);
    assert.equal(new Set(ids).size, 3);
    assert.deepEqual(
      ids,
      calls.map((c) => Number(c.assignedId)).sort((a, b) => a - b),
    );
  });

  it('updateCard PUTs the new card to the posted activity id', async () => {
    const posted = await gateway.postCard(channel, card('Pending'));
    await gateway.updateCard(posted, channel, card('Succeeded'));
    assert.equal(fake.calls.length, 2);
    const put = fake.calls[1]!;
    assert.equal(put.method, 'PUT');
    assert.equal(put.conversationId, ALERTS_CHANNEL);
    assert.equal(put.activityId, posted.activityId);
    const body = put.body as { id: string; attachments: { content: unknown }[] };
    assert.equal(body.id, posted.activityId);
    assert.deepEqual(body.attachments[0]?.content, card('Succeeded'));
  });

  it('updateCard without an activity id fails before any call', async () => {
    await assert.rejects(
      gateway.updateCard({ conversationId: ALERTS_CHANNEL, activityId: '' }, channel, card('x')),
      AppError,
    );
    assert.equal(fake.calls.length, 0);
  });

  it('startThread creates a conversation in the channel and returns the thread id and root id', async () => {
    const posted = await gateway.startThread(channel, card('Burst: 5 isolations'));
    assert.equal(fake.calls.length, 1);
    const call = fake.calls[0]!;
    assert.equal(call.method, 'POST');
    assert.equal(call.path, '/v3/conversations');
    const body = call.body as {
      isGroup: boolean;
      channelData: { channel: { id: string } };
      activity: { attachments: { content: unknown }[] };
    };
    assert.equal(body.isGroup, true);
    assert.equal(body.channelData.channel.id, ALERTS_CHANNEL);
    assert.deepEqual(body.activity.attachments[0]?.content, card('Burst: 5 isolations'));
    assert.deepEqual(posted, {
      conversationId: `${ALERTS_CHANNEL};messageid=${call.assignedId}`,
      activityId: call.assignedId,
    });
    assert.deepEqual(
      fake.cardsPosted().map((c) => c.card),
      [card('Burst: 5 isolations')],
    );
  });

  it('startThread works from a thread reference and from a team install reference without teamsChannelId', async () => {
    const { teamsChannelId: _omit, ...installRef } = { ...channel, conversationId: TEAM_ID, teamsChannelId: undefined };
    await gateway.startThread(installRef, card('a'));
    await gateway.startThread({ ...channel, conversationId: `${ALERTS_CHANNEL};messageid=42` }, card('b'));
    const ids = fake.calls.map((c) => (c.body as { channelData: { channel: { id: string } } }).channelData.channel.id);
    assert.deepEqual(ids, [TEAM_ID, ALERTS_CHANNEL]);
  });

  it('replyInThread posts into <channel>;messageid=<root>', async () => {
    const root = await gateway.startThread(channel, card('root'));
    const reply = await gateway.replyInThread(channel, root.activityId, card('reply'));
    const call = fake.calls[1]!;
    assert.equal(call.method, 'POST');
    assert.equal(call.conversationId, `${ALERTS_CHANNEL};messageid=${root.activityId}`);
    assert.deepEqual(reply, { conversationId: root.conversationId, activityId: call.assignedId });
    const body = call.body as { conversation: { id: string }; attachments: { content: unknown }[] };
    assert.equal(body.conversation.id, root.conversationId);
    assert.deepEqual(body.attachments[0]?.content, card('reply'));
  });

  it('startThread and replyInThread refuse a personal chat', async () => {
    const personal: ConvRef = { ...channel, conversationId: 'a:1personal', conversationType: 'personal' };
    delete personal.teamsChannelId;
    await assert.rejects(gateway.startThread(personal, card('x')), /needs a channel conversation/);
    await assert.rejects(gateway.replyInThread(personal, '1', card('x')), /needs a channel conversation/);
    assert.equal(fake.calls.length, 0);
  });

  /** The coded facts the sender's retry policy reads, so that nothing outside src/teams/ knows botbuilder's errors. */
  const facts = (e: unknown) => {
    assert.ok(e instanceof SendError, 'a SendError');
    return {
      status: e.status,
      retryAfterMs: e.retryAfterMs,
      permanent: e.permanent,
      deactivate: e.deactivate,
      tooLarge: e.tooLarge,
      transportRetried: e.transportRetried,
    };
  };

  it('a 403 MessageWritesBlocked rejects with an AppError whose cause sendFailureOf reads', async () => {
    fake.failNext({ status: 403, body: BLOCKED_BODY });
    const err = await gateway.postCard(channel, card('x')).then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof AppError);
    assert.match(err.message, /postCard failed for conversation .*HTTP 403 MessageWritesBlocked/);
    assert.ok(err.fix);
    assert.deepEqual(sendFailureOf(err), { statusCode: 403, subCode: 'MessageWritesBlocked' });
    assert.deepEqual(facts(err), {
      status: 403,
      retryAfterMs: undefined,
      permanent: true,
      deactivate: true,
      tooLarge: false,
      transportRetried: false,
    });
    assert.equal(fake.calls.length, 1, 'botbuilder does not retry a 403');
    assert.ok(!lines.lines.some((l) => l.msg === 'turn failed'), 'the failure was not swallowed by onTurnError');
  });

  it('reads a 403 with error.code Forbidden and a top-level subCode', async () => {
    fake.failNext({
      status: 403,
      body: {
        error: { code: 'Forbidden', message: 'Bot is not installed or blocked' },
        subCode: 'MessageWritesBlocked',
      },
    });
    const err = await gateway
      .updateCard({ conversationId: ALERTS_CHANNEL, activityId: '1001' }, channel, card('x'))
      .catch((e: unknown) => e);
    assert.deepEqual(sendFailureOf(err), { statusCode: 403, code: 'Forbidden', subCode: 'MessageWritesBlocked' });
  });

  it('a 429 without Retry-After reaches the caller at once (botbuilder does not retry it)', async () => {
    fake.failNext({ status: 429 });
    const err = await gateway.postCard(channel, card('x')).catch((e: unknown) => e);
    assert.deepEqual(sendFailureOf(err), { statusCode: 429, code: 'Throttled' });
    assert.deepEqual(facts(err), {
      status: 429,
      retryAfterMs: undefined,
      permanent: false,
      deactivate: false,
      tooLarge: false,
      transportRetried: false,
    });
    assert.equal(fake.calls.length, 1);
  });

  it('a 429 with Retry-After is retried by botbuilder 3 times, then reaches the caller with retryAfterSeconds', async () => {
    fake.failNext({ status: 429, retryAfter: 1, times: 4 });
    const err = await gateway.replyInThread(channel, '1001', card('x')).catch((e: unknown) => e);
    assert.deepEqual(sendFailureOf(err), { statusCode: 429, code: 'Throttled', retryAfterSeconds: 1 });
    assert.deepEqual(facts(err), {
      status: 429,
      retryAfterMs: 1000,
      permanent: false,
      deactivate: false,
      tooLarge: false,
      transportRetried: false,
    });
    assert.equal(fake.calls.length, 4);
  });

  it('a 412 is not retried by botbuilder', async () => {
    fake.failNext({ status: 412 });
    const err = await gateway.startThread(channel, card('x')).catch((e: unknown) => e);
    assert.ok(err instanceof AppError);
    assert.equal(sendFailureOf(err)?.statusCode, 412);
    assert.equal(fake.calls.length, 1);
  });

  it('a 413 with a text body still yields its status', async () => {
    fake.failNext({ status: 413, body: 'MessageSizeTooBig' });
    const err = await gateway.postCard(channel, card('x')).catch((e: unknown) => e);
    assert.equal(sendFailureOf(err)?.statusCode, 413);
    assert.deepEqual(facts(err), {
      status: 413,
      retryAfterMs: undefined,
      permanent: true,
      deactivate: false,
      tooLarge: true,
      transportRetried: false,
    });
    assert.equal(fake.calls.length, 1);
  });

  it('a refused connection has no status but a network code', async () => {
    const closed = await startFakeConnector();
    await closed.close();
    const err = await gateway.postCard({ ...channel, serviceUrl: closed.url }, card('x')).catch((e: unknown) => e);
    assert.ok(err instanceof AppError);
    assert.deepEqual(sendFailureOf(err), { code: 'ECONNREFUSED' });
    assert.deepEqual(facts(err), {
      status: undefined,
      retryAfterMs: undefined,
      permanent: false,
      deactivate: false,
      tooLarge: false,
      transportRetried: true,
    });
  });

  it('a 503 that botbuilder retried itself is marked so (the sender then tries once more, slowly)', async () => {
    fake.failNext({ status: 503, times: 4 });
    const err = await gateway.postCard(channel, card('x')).catch((e: unknown) => e);
    assert.deepEqual(facts(err), {
      status: 503,
      retryAfterMs: undefined,
      permanent: false,
      deactivate: false,
      tooLarge: false,
      transportRetried: true,
    });
    assert.equal(fake.calls.length, 4, 'botbuilder tried four times');
  });
});
