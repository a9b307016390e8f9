import assert from 'node:assert/strict';
import { createHttpHeaders, createPipelineRequest, RestError, type PipelineResponse } from '@azure/core-rest-pipeline';
import { createSender } from '../../src/delivery/sender.js';
import { type SendOp, type SendResult, type Sender } from '../../src/core/send.js';
import { systemClock, type Clock } from '../../src/core/clock.js';
import { AppError, SendError } from '../../src/core/errors.js';
import { createBotAdapter } from '../../src/teams/adapter.js';
import { createTeamsGateway } from '../../src/teams/gateway.js';
import { sendFailureOf, toSendError } from '../../src/teams/send-errors.js';
import { type ConvRef, type PostedMessage, type TeamsGateway } from '../../src/core/conversation.js';
import { createCaptureLogger, type LogLine } from '../fakes/capture-logger.js';
import { FakeClock, flushPromises } from '../fakes/fake-clock.js';
import { startFakeConnector, type FakeConnector } from '../fakes/fake-connector.js';

const CHANNEL = '19:alerts-channel@thread.tacv2';
const OTHER = '19:other-channel@thread.tacv2';

/** The documented Teams answer when the bot was blocked or uninstalled (as in test/teams/gateway.test.ts). */
const BLOCKED_BODY = {
  errorCode: 209,
  message:
    '{\r\n  "subCode": "MessageWritesBlocked",\r\n  "details": "Thread is blocked from message writes.",\r\n  "errorCode": null,\r\n  "errorSubCode": null\r\n}',
};

const REASONS: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  412: 'PreconditionFailed',
  429: 'Throttled',
  500: 'InternalServerError',
  503: 'ServiceUnavailable',
};

function refOf(conversationId: string, serviceUrl = 'https://smba.trafficmanager.net/emea/'): ConvRef {
  return {
    channelId: 'msteams',
    serviceUrl,
    conversationId,
    conversationType: 'channel',
    tenantId: 'tenant-1',
    botId: '28:bot',
    teamsChannelId: conversationId.split(';')[0]!,
  };
}

const card = (text: string): object => ({ type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text }] });
const post = (text: string, compact?: string): SendOp => ({
  kind: 'post',
  card: card(text),
  ...(compact === undefined ? {} : { compactCard: card(compact) }),
});

/**
 * A connector failure as the real gateway throws it (checked against the real stack at the end of
 * this file): the Teams layer's SendError (toSendError) whose cause is a RestError with `code` (the body's error.code,
 * or the network error code), `statusCode`, `details` (the parsed body) and a `response` with
 * HttpHeaders, `bodyAsText` and `parsedBody`.
 */
function connectorError(status: number, options: { retryAfter?: string; body?: unknown } = {}): SendError {
  const request = createPipelineRequest({ url: 'https://smba.trafficmanager.net/emea/v3/conversations/x/activities' });
  const body = options.body ?? { error: { code: REASONS[status] ?? 'Error', message: `injected ${status}` } };
  const parsed = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
  const errorCode = (parsed?.['error'] as { code?: unknown } | undefined)?.code;
  const response = {
    status,
    headers: createHttpHeaders(options.retryAfter === undefined ? {} : { 'Retry-After': options.retryAfter }),
    request,
    bodyAsText: typeof body === 'string' ? body : JSON.stringify(body),
    ...(parsed ? { parsedBody: parsed } : {}),
  } as PipelineResponse;
  const rest = new RestError(`injected ${status}`, {
    statusCode: status,
    request,
    response,
    ...(typeof errorCode === 'string' ? { code: errorCode } : {}),
  });
  rest.details = parsed ?? {};
  return toSendError('postCard', CHANNEL, rest);
}

function networkError(code: string): SendError {
  const rest = new RestError(`connect ${code} 127.0.0.1:9`, {
    code,
    request: createPipelineRequest({ url: 'https://smba.trafficmanager.net/emea/' }),
  });
  return toSendError('postCard', CHANNEL, rest);
}

interface GatewayCall {
  method: 'postCard' | 'updateCard';
  conversationId: string;
  card: object;
  /** Virtual time of the call, epoch ms. */
  atMs: number;
}

/** A TeamsGateway answering from a script: each call takes the next step (an error to throw, or an activity id); an empty script succeeds. */
class ScriptedGateway implements TeamsGateway {
  readonly calls: GatewayCall[] = [];
  readonly script: (Error | { activityId: string })[] = [];
  /** When set, every call waits for it before answering. */
  hold: Promise<void> | undefined;
  private seq = 1000;

  constructor(private readonly clock: Clock) {}

  async postCard(ref: ConvRef, c: object): Promise<PostedMessage> {
    const step = await this.step('postCard', ref.conversationId, c);
    return { conversationId: ref.conversationId, activityId: step?.activityId ?? String(++this.seq) };
  }

  async updateCard(msg: PostedMessage, _ref: ConvRef, c: object): Promise<void> {
    await this.step('updateCard', msg.conversationId, c);
  }

  startThread(): Promise<PostedMessage> {
    return Promise.reject(new Error('startThread is not used by the sender'));
  }

  replyInThread(): Promise<PostedMessage> {
    return Promise.reject(new Error('replyInThread is not used by the sender'));
  }

  private async step(
    method: GatewayCall['method'],
    conversationId: string,
    c: object,
  ): Promise<{ activityId: string } | undefined> {
    this.calls.push({ method, conversationId, card: c, atMs: this.clock.now() });
    if (this.hold) await this.hold;
    const step = this.script.shift();
    if (step instanceof Error) throw step;
    return step;
  }
}

interface Setup {
  clock: FakeClock;
  gateway: ScriptedGateway;
  sender: Sender;
  lines: LogLine[];
  t0: number;
}

function setup(
  options: {
    autoAdvance?: boolean;
    random?: () => number;
    /** Default 1000 ms here (round numbers in the expected times); 'product' uses the sender's own defaults. */
    minIntervalMs?: number | 'product';
    maxAttempts?: number;
    maxDelayMs?: number;
  } = {},
): Setup {
  const clock = new FakeClock(undefined, { autoAdvance: options.autoAdvance ?? true });
  const gateway = new ScriptedGateway(clock);
  const logger = createCaptureLogger();
  const { autoAdvance: _, minIntervalMs, ...rest } = options;
  const pacing = minIntervalMs === 'product' ? {} : { minIntervalMs: minIntervalMs ?? 1000 };
  const sender = createSender({ gateway, clock, logger, random: () => 0.5, ...pacing, ...rest });
  return { clock, gateway, sender, lines: logger.lines, t0: clock.now() };
}

function retryLines(lines: LogLine[]): LogLine[] {
  return lines.filter((l) => l.msg === 'Teams send failed; retrying');
}

function failed(r: SendResult): Extract<SendResult, { ok: false }> {
  assert.equal(r.ok, false, 'expected a failure');
  return r;
}

/** Most calls in any window of `windowMs` (calls at times t and t + windowMs are in different windows). */
function maxInWindow(times: number[], windowMs: number): number {
  let best = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

describe('alerts sender: retries', () => {
  it('429 without Retry-After is retried with growing backoff, then succeeds', async () => {
    const s = setup();
    s.gateway.script.push(connectorError(429), connectorError(429), connectorError(429));
    const res = await s.sender.send(refOf(CHANNEL), post('Isolate WS-042: Pending'));
    assert.deepEqual(res, {
      ok: true,
      posted: { conversationId: CHANNEL, activityId: '1001' },
      compact: false,
      attempts: 4,
    });
    assert.deepEqual(s.clock.sleeps, [1000, 2000, 4000]);
    assert.deepEqual(
      s.gateway.calls.map((c) => c.atMs - s.t0),
      [0, 1000, 3000, 7000],
    );
    const retries = retryLines(s.lines);
    assert.deepEqual(
      retries.map((l) => [
        l.level,
        l.fields['conversationId'],
        l.fields['status'],
        l.fields['attempt'],
        l.fields['waitMs'],
      ]),
      [
        ['warn', CHANNEL, 429, 1, 1000],
        ['warn', CHANNEL, 429, 2, 2000],
        ['warn', CHANNEL, 429, 3, 4000],
      ],
    );
    assert.ok(!JSON.stringify(s.lines).includes('WS-042'), 'no card content in the logs');
  });

  it('the backoff has ±20 % jitter and is capped at maxDelayMs', async () => {
    const low = setup({ random: () => 0, minIntervalMs: 0, maxDelayMs: 3000 });
    low.gateway.script.push(connectorError(429), connectorError(429), connectorError(429));
    await low.sender.send(refOf(CHANNEL), post('x'));
    assert.deepEqual(low.clock.sleeps, [800, 1600, 2400]);
    const high = setup({ random: () => 0.999, minIntervalMs: 0, maxDelayMs: 3000 });
    high.gateway.script.push(connectorError(429), connectorError(429), connectorError(429));
    await high.sender.send(refOf(CHANNEL), post('x'));
    assert.deepEqual(high.clock.sleeps, [1200, 2399, 3599]);
  });

  it('a retry is never sooner than the pacing interval (a short backoff is stretched to minIntervalMs)', async () => {
    const s = setup({ random: () => 0 });
    s.gateway.script.push(connectorError(429));
    const res = await s.sender.send(refOf(CHANNEL), post('x'));
    assert.equal(res.ok, true);
    assert.deepEqual(s.clock.sleeps, [1000]);
  });

  it('gives up after maxAttempts, not permanently, with a retry time', async () => {
    const s = setup({ maxAttempts: 3 });
    s.gateway.script.push(connectorError(429), connectorError(429), connectorError(429), connectorError(429));
    const res = failed(await s.sender.send(refOf(CHANNEL), post('x')));
    assert.equal(res.permanent, false);
    assert.equal(res.deactivate, false);
    assert.equal(res.attempts, 3);
    assert.equal(s.gateway.calls.length, 3);
    assert.match(res.reason, /HTTP 429 Throttled: gave up after 3 attempts/);
    assert.ok(res.retryAtMs !== undefined && res.retryAtMs >= s.clock.now() + 30_000);
    assert.equal(retryLines(s.lines).length, 2, 'one log line per retry');
  });

  it('429 with Retry-After (botbuilder already retried it) waits Retry-After once more', async () => {
    const s = setup();
    s.gateway.script.push(connectorError(429, { retryAfter: '7' }));
    const res = await s.sender.send(refOf(CHANNEL), post('x'));
    assert.equal(res.ok, true);
    assert.equal(res.attempts, 2);
    assert.deepEqual(s.clock.sleeps, [7000]);
    assert.deepEqual(retryLines(s.lines)[0]?.fields['waitMs'], 7000);
  });

  it('429 with Retry-After a second time gives up, retry time at least Retry-After away', async () => {
    const s = setup();
    s.gateway.script.push(connectorError(429, { retryAfter: '7' }), connectorError(429, { retryAfter: '45' }));
    const res = failed(await s.sender.send(refOf(CHANNEL), post('x')));
    assert.equal(res.permanent, false);
    assert.equal(res.attempts, 2);
    assert.deepEqual(s.clock.sleeps, [7000]);
    assert.equal(res.retryAtMs, s.clock.now() + 45_000);
  });

  it('a Retry-After longer than maxDelayMs is not slept on: it becomes the retry time', async () => {
    const s = setup();
    s.gateway.script.push(connectorError(429, { retryAfter: '120' }));
    const res = failed(await s.sender.send(refOf(CHANNEL), post('x')));
    assert.equal(res.permanent, false);
    assert.equal(res.attempts, 1);
    assert.deepEqual(s.clock.sleeps, []);
    assert.equal(res.retryAtMs, s.clock.now() + 120_000);
  });

  it('500 (already retried by botbuilder) gets one more slow attempt only, then a non-permanent failure', async () => {
    const s = setup();
    s.gateway.script.push(connectorError(500), connectorError(500));
    const res = failed(await s.sender.send(refOf(CHANNEL), post('x')));
    assert.equal(res.permanent, false);
    assert.equal(res.deactivate, false);
    assert.equal(res.attempts, 2);
    assert.equal(s.gateway.calls.length, 2);
    assert.deepEqual(s.clock.sleeps, [15_000]);
    assert.ok(res.retryAtMs !== undefined && res.retryAtMs >= s.clock.now() + 30_000);
    assert.match(res.reason, /HTTP 500/);
  });

  it('503 then success: the slow attempt posts', async () => {
    const s = setup();
    s.gateway.script.push(connectorError(503));
    const res = await s.sender.send(refOf(CHANNEL), post('x'));
    assert.equal(res.ok, true);
    assert.equal(res.attempts, 2);
    assert.deepEqual(s.clock.sleeps, [15_000]);
  });

  it('412 is retried with backoff', async () => {
    const s = setup();
    s.gateway.script.push(connectorError(412), connectorError(412));
    const res = await s.sender.send(refOf(CHANNEL), post('x'));
    assert.equal(res.ok, true);
    assert.equal(res.attempts, 3);
    assert.deepEqual(s.clock.sleeps, [1000, 2000]);
  });

  it('a 5xx after a 429 still gets its one slow attempt, within maxAttempts', async () => {
    const s = setup({ maxAttempts: 4 });
    s.gateway.script.push(connectorError(429), connectorError(502), connectorError(429), connectorError(429));
    const res = failed(await s.sender.send(refOf(CHANNEL), post('x')));
    assert.equal(res.attempts, 4);
    assert.deepEqual(s.clock.sleeps, [1000, 15_000, 2000]);
  });

  it('403 MessageWritesBlocked deactivates the subscription, without a retry', async () => {
    const s = setup();
    s.gateway.script.push(connectorError(403, { body: BLOCKED_BODY }));
    const res = failed(await s.sender.send(refOf(CHANNEL), post('x')));
    assert.deepEqual(
      { ...res, reason: undefined },
      { ok: false, permanent: true, deactivate: true, reason: undefined, attempts: 1 },
    );
    assert.match(res.reason, /HTTP 403 MessageWritesBlocked/);
    assert.equal(s.gateway.calls.length, 1);
    assert.deepEqual(s.clock.sleeps, []);
  });

  it('403 ConversationBlockedByUser deactivates too', async () => {
    const s = setup();
    s.gateway.script.push(
      connectorError(403, {
        body: { error: { code: 'ConversationBlockedByUser', message: 'User blocked the conversation with the bot.' } },
      }),
    );
    const res = failed(await s.sender.send(refOf(CHANNEL), post('x')));
    assert.equal(res.deactivate, true);
    assert.equal(res.permanent, true);
  });

  it('other 401/403/404 and 400 are permanent without deactivating, the reason says which', async () => {
    for (const [status, pattern] of [
      [401, /HTTP 401 Unauthorized: the bot's credentials/],
      [403, /HTTP 403 Forbidden: the bot may not post/],
      [404, /HTTP 404 NotFound: the conversation or message no longer exists/],
      [400, /HTTP 400 Error: refused by Teams/],
    ] as const) {
      const s = setup();
      s.gateway.script.push(connectorError(status));
      const res = failed(await s.sender.send(refOf(CHANNEL), post('x')));
      assert.equal(res.permanent, true, String(status));
      assert.equal(res.deactivate, false, String(status));
      assert.equal(res.attempts, 1);
      assert.equal(res.retryAtMs, undefined);
      assert.match(res.reason, pattern);
    }
  });

  it('413 sends the compact card at once (only paced) and reports compact: true', async () => {
    const s = setup();
    s.gateway.script.push(connectorError(413, { body: 'MessageSizeTooBig' }));
    const res = await s.sender.send(refOf(CHANNEL), post('full', 'compact'));
    assert.deepEqual(res, {
      ok: true,
      posted: { conversationId: CHANNEL, activityId: '1001' },
      compact: true,
      attempts: 2,
    });
    assert.deepEqual(
      s.gateway.calls.map((c) => c.card),
      [card('full'), card('compact')],
    );
    assert.deepEqual(s.clock.sleeps, [1000]);
    assert.equal(retryLines(s.lines)[0]?.fields['compact'], true);
  });

  it('413 without a compact card, or for the compact card too, is permanent', async () => {
    const none = setup();
    none.gateway.script.push(connectorError(413, { body: 'MessageSizeTooBig' }));
    const a = failed(await none.sender.send(refOf(CHANNEL), post('full')));
    assert.equal(a.permanent, true);
    assert.equal(a.attempts, 1);
    assert.match(a.reason, /no compact card/);
    const both = setup();
    both.gateway.script.push(
      connectorError(413, { body: 'MessageSizeTooBig' }),
      connectorError(413, { body: 'MessageSizeTooBig' }),
    );
    const b = failed(await both.sender.send(refOf(CHANNEL), post('full', 'compact')));
    assert.equal(b.permanent, true);
    assert.equal(b.attempts, 2);
    assert.match(b.reason, /the compact one too/);
  });

  it('a network error botbuilder already retried (ECONNRESET) gets one more slow attempt only', async () => {
    const s = setup();
    s.gateway.script.push(networkError('ECONNRESET'), networkError('ECONNREFUSED'));
    const res = failed(await s.sender.send(refOf(CHANNEL), post('x')));
    assert.equal(res.permanent, false);
    assert.equal(res.attempts, 2);
    assert.deepEqual(s.clock.sleeps, [15_000]);
    assert.match(res.reason, /network error ECONNREFUSED/);
  });

  it('another network error (not retried by botbuilder) is retried with bounded backoff', async () => {
    const s = setup();
    for (let i = 0; i < 6; i++) s.gateway.script.push(networkError('EPIPE'));
    const res = failed(await s.sender.send(refOf(CHANNEL), post('x')));
    assert.equal(res.permanent, false);
    assert.equal(res.attempts, 5);
    assert.deepEqual(s.clock.sleeps, [1000, 2000, 4000, 8000]);
  });

  it('a failure that is not a connector failure is permanent and not retried', async () => {
    const s = setup();
    s.gateway.script.push(new AppError('INTERNAL', 'Teams: startThread needs a channel conversation'));
    const res = failed(await s.sender.send(refOf(CHANNEL), post('x')));
    assert.equal(res.permanent, true);
    assert.equal(res.attempts, 1);
    assert.match(res.reason, /not a Teams connector failure: .*needs a channel conversation/);
  });

  it('a post without an activity id is ok, with a warning that it cannot be updated', async () => {
    const s = setup();
    s.gateway.script.push({ activityId: '' });
    const res = await s.sender.send(refOf(CHANNEL), post('x'));
    assert.deepEqual(res, {
      ok: true,
      posted: { conversationId: CHANNEL, activityId: '' },
      compact: false,
      attempts: 1,
    });
    assert.ok(
      s.lines.some((l) => l.level === 'warn' && /no activity id/.test(l.msg) && l.fields['conversationId'] === CHANNEL),
    );
  });

  it('an update replaces the card of the posted message; posted is null', async () => {
    const s = setup();
    const message = { conversationId: `${CHANNEL};messageid=1001`, activityId: '1001' };
    s.gateway.script.push(connectorError(412));
    const res = await s.sender.send(refOf(CHANNEL), { kind: 'update', message, card: card('Succeeded') });
    assert.deepEqual(res, { ok: true, posted: null, compact: false, attempts: 2 });
    assert.deepEqual(
      s.gateway.calls.map((c) => [c.method, c.conversationId]),
      [
        ['updateCard', message.conversationId],
        ['updateCard', message.conversationId],
      ],
    );
  });

  it('an update of a message without an activity id fails permanently without calling Teams', async () => {
    const s = setup();
    const res = failed(
      await s.sender.send(refOf(CHANNEL), {
        kind: 'update',
        message: { conversationId: CHANNEL, activityId: '' },
        card: card('x'),
      }),
    );
    assert.equal(res.permanent, true);
    assert.equal(res.attempts, 0);
    assert.equal(s.gateway.calls.length, 0);
  });

  it('rejects invalid options', () => {
    const clock = new FakeClock();
    const base = { gateway: new ScriptedGateway(clock), clock, logger: createCaptureLogger() };
    assert.throws(() => createSender({ ...base, maxAttempts: 0 }), /invalid options/);
    assert.throws(() => createSender({ ...base, minIntervalMs: -1 }), /invalid options/);
  });
});

describe('alerts sender: pacing', () => {
  it('5 posts to one conversation start at least 1000 ms apart, in call order', async () => {
    const s = setup();
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => s.sender.send(refOf(CHANNEL), post(`alert ${n}`))));
    assert.ok(results.every((r) => r.ok));
    const times = s.gateway.calls.map((c) => c.atMs - s.t0);
    assert.deepEqual(times, [0, 1000, 2000, 3000, 4000]);
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 1000);
    assert.deepEqual(
      s.gateway.calls.map((c) => c.card),
      [1, 2, 3, 4, 5].map((n) => card(`alert ${n}`)),
    );
  });

  it('sends in one conversation are serialised: the next waits until the previous call has answered', async () => {
    const s = setup({ autoAdvance: false });
    let release: () => void = () => {};
    s.gateway.hold = new Promise<void>((r) => {
      release = r;
    });
    const first = s.sender.send(refOf(CHANNEL), post('one'));
    const second = s.sender.send(refOf(CHANNEL), post('two'));
    await flushPromises();
    await s.clock.advance(5000);
    assert.equal(s.gateway.calls.length, 1, 'the second send waits for the first');
    s.gateway.hold = undefined;
    release();
    await s.clock.advance(0);
    assert.equal(s.gateway.calls.length, 2, 'the first call started more than 1000 ms ago: no further wait');
    assert.deepEqual(
      (await Promise.all([first, second])).map((r) => r.ok),
      [true, true],
    );
  });

  it('two conversations interleave without waiting for each other', async () => {
    const s = setup({ autoAdvance: false });
    const sends = [1, 2, 3].flatMap((n) => [
      s.sender.send(refOf(CHANNEL), post(`a${n}`)),
      s.sender.send(refOf(OTHER), post(`b${n}`)),
    ]);
    await flushPromises();
    for (let i = 0; i < 3; i++) await s.clock.advance(1000);
    const results = await Promise.all(sends);
    assert.ok(results.every((r) => r.ok));
    const at = (id: string): number[] =>
      s.gateway.calls.filter((c) => c.conversationId === id).map((c) => c.atMs - s.t0);
    assert.deepEqual(at(CHANNEL), [0, 1000, 2000]);
    assert.deepEqual(at(OTHER), [0, 1000, 2000]);
  });

  it('a channel and its threads share one lane; updates count as messages', async () => {
    const s = setup();
    const thread = `${CHANNEL};messageid=1001`;
    await Promise.all([
      s.sender.send(refOf(CHANNEL), post('root')),
      s.sender.send(refOf(thread), post('reply')),
      s.sender.send(refOf(CHANNEL), {
        kind: 'update',
        message: { conversationId: CHANNEL, activityId: '1001' },
        card: card('updated'),
      }),
    ]);
    assert.deepEqual(
      s.gateway.calls.map((c) => [c.method, c.conversationId, c.atMs - s.t0]),
      [
        ['postCard', CHANNEL, 0],
        ['postCard', thread, 1000],
        ['updateCard', CHANNEL, 2000],
      ],
    );
  });

  it('a retry holds the lane: later sends in that conversation wait behind it', async () => {
    const s = setup();
    s.gateway.script.push(connectorError(429));
    await Promise.all([s.sender.send(refOf(CHANNEL), post('first')), s.sender.send(refOf(CHANNEL), post('second'))]);
    assert.deepEqual(
      s.gateway.calls.map((c) => [c.card, c.atMs - s.t0]),
      [
        [card('first'), 0],
        [card('first'), 1000],
        [card('second'), 2000],
      ],
    );
  });

  it('by default, 10 new alerts in one conversation go out within 3 s: at most 4 calls in a second, 7 in 2 s', async () => {
    const s = setup({ minIntervalMs: 'product' });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, n) => s.sender.send(refOf(CHANNEL), post(`a${n}`))),
    );
    assert.ok(results.every((r) => r.ok));
    const times = s.gateway.calls.map((c) => c.atMs - s.t0);
    assert.ok(times.at(-1)! <= 3000, `the tenth call started at ${times.at(-1)} ms`);
    assert.ok(maxInWindow(times, 1000) <= 4);
    assert.ok(maxInWindow(times, 2000) <= 7);
  });

  it('by default, 130 sends (posts, updates, retries; two conversations) stay within every Teams limit per conversation', async () => {
    const s = setup({ autoAdvance: false, minIntervalMs: 'product' });
    const sends: Promise<SendResult>[] = [];
    for (let i = 0; i < 130; i++) {
      const id = i % 3 === 0 ? OTHER : CHANNEL;
      const op: SendOp =
        i % 2 === 0
          ? post(`n${i}`)
          : { kind: 'update', message: { conversationId: id, activityId: String(i) }, card: card(`u${i}`) };
      sends.push(s.sender.send(refOf(id), op));
    }
    s.gateway.script.push(connectorError(429), connectorError(412));
    await flushPromises();
    while (s.gateway.calls.length < 132) await s.clock.advance(100);
    const results = await Promise.all(sends);
    assert.ok(results.every((r) => r.ok));
    for (const id of [CHANNEL, OTHER]) {
      const times = s.gateway.calls.filter((c) => c.conversationId === id).map((c) => c.atMs);
      // Teams: 7 per second, 8 per 2 s, 60 per 30 s per conversation (reference section 9).
      assert.ok(maxInWindow(times, 1000) <= 7, `${id}: ${maxInWindow(times, 1000)} in a second`);
      assert.ok(maxInWindow(times, 2000) <= 8, `${id}: ${maxInWindow(times, 2000)} in 2 s`);
      assert.ok(maxInWindow(times, 30_000) <= 50, `${id}: ${maxInWindow(times, 30_000)} in 30 s (cap 50)`);
    }
    const channel = s.gateway.calls.filter((c) => c.conversationId === CHANNEL).map((c) => c.atMs);
    assert.ok(channel.length > 50, 'enough calls in one conversation to reach the 30 s cap');
    assert.equal(maxInWindow(channel, 30_000), 50, 'the 30 s cap is reached, not exceeded');
  });

  it('a window cap holds a lane until the oldest start leaves the window', async () => {
    const clock = new FakeClock(undefined, { autoAdvance: true });
    const gateway = new ScriptedGateway(clock);
    const windows = [{ max: 3, windowMs: 10_000 }];
    const sender = createSender({ gateway, clock, logger: createCaptureLogger(), minIntervalMs: 100, windows });
    const t0 = clock.now();
    await Promise.all([1, 2, 3, 4, 5].map((n) => sender.send(refOf(CHANNEL), post(`p${n}`))));
    assert.deepEqual(
      gateway.calls.map((c) => c.atMs - t0),
      [0, 100, 200, 10_000, 10_100],
    );
    assert.throws(
      () => createSender({ gateway, clock, logger: createCaptureLogger(), windows: [{ max: 0, windowMs: 1000 }] }),
      /invalid options/,
    );
  });

  it('an aborted send rejects with the signal reason and the lane goes on', async () => {
    const s = setup({ autoAdvance: false });
    const controller = new AbortController();
    const first = s.sender.send(refOf(CHANNEL), post('one'));
    const aborted = s.sender.send(refOf(CHANNEL), post('two'), controller.signal);
    const third = s.sender.send(refOf(CHANNEL), post('three'));
    await flushPromises();
    controller.abort(new Error('shutting down'));
    await assert.rejects(aborted, /shutting down/);
    await s.clock.advance(1000);
    assert.equal((await first).ok, true);
    assert.equal((await third).ok, true);
    assert.deepEqual(
      s.gateway.calls.map((c) => [c.card, c.atMs - s.t0]),
      [
        [card('one'), 0],
        [card('three'), 1000],
      ],
    );
    await assert.rejects(s.sender.send(refOf(CHANNEL), post('late'), controller.signal), /shutting down/);
  });

  it('an abort during a backoff wait rejects', async () => {
    const s = setup({ autoAdvance: false });
    s.gateway.script.push(connectorError(429));
    const controller = new AbortController();
    const sending = s.sender.send(refOf(CHANNEL), post('x'), controller.signal);
    await flushPromises();
    assert.equal(s.gateway.calls.length, 1);
    controller.abort(new Error('stop'));
    await assert.rejects(sending, /stop/);
    await s.clock.advance(5000);
    assert.equal(s.gateway.calls.length, 1);
  });
});

describe('alerts sender: through the real gateway and CloudAdapter against the fake connector', () => {
  let fake: FakeConnector;
  let gateway: TeamsGateway;
  let sender: Sender;
  let ref: ConvRef;
  const logger = createCaptureLogger();

  before(async () => {
    fake = await startFakeConnector();
    gateway = createTeamsGateway({ adapter: createBotAdapter({ logger }), logger });
    // Real timers; the waits are kept short (no assertion is made on elapsed time).
    sender = createSender({ gateway, clock: systemClock, logger, minIntervalMs: 5, maxDelayMs: 50 });
    ref = refOf(CHANNEL, fake.url);
  });
  after(() => fake.close());
  beforeEach(() => fake.reset());

  it('the errors the unit tests fake read the same as the real ones', async () => {
    const cases: [Parameters<FakeConnector['failNext']>[0], SendError][] = [
      [{ status: 429 }, connectorError(429)],
      [{ status: 429, retryAfter: 1, times: 4 }, connectorError(429, { retryAfter: '1' })],
      [{ status: 403, body: BLOCKED_BODY }, connectorError(403, { body: BLOCKED_BODY })],
      [{ status: 413, body: 'MessageSizeTooBig' }, connectorError(413, { body: 'MessageSizeTooBig' })],
    ];
    for (const [failure, fakeError] of cases) {
      fake.failNext(failure);
      const real = await gateway.postCard(ref, card('x')).then(
        () => assert.fail('expected a rejection'),
        (e: unknown) => e,
      );
      assert.ok(real instanceof AppError);
      assert.equal((real.cause as Error).name, 'RestError');
      assert.deepEqual(sendFailureOf(fakeError), sendFailureOf(real), `status ${failure.status}`);
      assert.ok(real instanceof SendError, 'the gateway throws the coded SendError');
      const facts = (e: SendError) => ({
        status: e.status,
        retryAfterMs: e.retryAfterMs,
        permanent: e.permanent,
        deactivate: e.deactivate,
        tooLarge: e.tooLarge,
        transportRetried: e.transportRetried,
        detail: e.detail,
      });
      assert.deepEqual(facts(fakeError), facts(real), `status ${failure.status}`);
    }
  });

  it('429 without Retry-After: botbuilder does not retry, the sender does, and the card is posted once', async () => {
    fake.failNext({ status: 429 });
    const res = await sender.send(ref, post('Isolate WS-042: Pending'));
    assert.equal(res.ok, true);
    assert.equal(res.attempts, 2);
    assert.deepEqual(
      fake.calls.map((c) => c.status),
      [429, 201],
    );
    assert.deepEqual(
      fake.cardsPosted().map((p) => p.card),
      [card('Isolate WS-042: Pending')],
    );
    assert.equal(res.ok && res.posted?.activityId, fake.calls[1]!.assignedId);
  });

  it('403 MessageWritesBlocked: deactivate, one call only', async () => {
    fake.failNext({ status: 403, body: BLOCKED_BODY });
    const res = failed(await sender.send(ref, post('x')));
    assert.equal(res.permanent, true);
    assert.equal(res.deactivate, true);
    assert.equal(res.attempts, 1);
    assert.equal(fake.calls.length, 1);
  });

  it('413 with a text body: the compact card is posted', async () => {
    fake.failNext({ status: 413, body: 'MessageSizeTooBig' });
    const res = await sender.send(ref, post('full', 'compact'));
    assert.equal(res.ok && res.compact, true);
    assert.deepEqual(
      fake.cardsPosted().map((p) => p.card),
      [card('compact')],
    );
  });

  it('an update through the real gateway: 412 retried, then the PUT succeeds', async () => {
    const posted = await gateway.postCard(ref, card('Pending'));
    fake.reset();
    fake.failNext({ status: 412 });
    const res = await sender.send(ref, { kind: 'update', message: posted, card: card('Succeeded') });
    assert.deepEqual(res, { ok: true, posted: null, compact: false, attempts: 2 });
    assert.deepEqual(
      fake.calls.map((c) => [c.method, c.activityId, c.status]),
      [
        ['PUT', posted.activityId, 412],
        ['PUT', posted.activityId, 200],
      ],
    );
  });

  it('503: botbuilder retries 3 times itself; the sender adds one attempt, not more', async () => {
    fake.failNext({ status: 503, times: 8 });
    const res = failed(await sender.send(ref, post('x')));
    assert.equal(res.permanent, false);
    assert.equal(res.attempts, 2);
    assert.ok(res.retryAtMs !== undefined);
    assert.equal(fake.calls.length, 8, "botbuilder's 4 calls per attempt, 2 attempts");
  });
});
