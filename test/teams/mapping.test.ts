import assert from 'node:assert/strict';
import type { Activity } from 'botbuilder';
import { commandTextOf, tenantOf, toConvRef, toReplyActivity, userOf } from '../../src/teams/handler.js';
import { toSdkReference } from '../../src/teams/gateway.js';
import { sendFailureOf } from '../../src/teams/send-errors.js';
import { AppError } from '../../src/core/errors.js';
import {
  ALERTS_CHANNEL,
  BOT_ID,
  TEAM_ID,
  TENANT,
  USER,
  channelMessage,
  personalMessage,
  teamInstallation,
} from './helpers.js';

const SERVICE_URL = 'https://smba.trafficmanager.net/emea/';
const asActivity = (o: Record<string, unknown>): Activity => o as unknown as Activity;

describe('teams mapping: activity → ConvRef, command text, user', () => {
  it('maps a channel thread message', () => {
    const a = channelMessage(SERVICE_URL, 'help');
    assert.deepEqual(toConvRef(asActivity(a)), {
      channelId: 'msteams',
      serviceUrl: SERVICE_URL,
      conversationId: `${ALERTS_CHANNEL};messageid=${String(a['id'])}`,
      conversationType: 'channel',
      tenantId: TENANT,
      botId: BOT_ID,
      teamId: TEAM_ID,
      teamName: 'SecOps',
      teamsChannelId: ALERTS_CHANNEL,
      channelName: 'Alerts',
    });
  });

  it('maps a team install to the General channel (team id) and a personal chat without team fields', () => {
    const team = toConvRef(asActivity(teamInstallation(SERVICE_URL, 'add')));
    assert.equal(team.conversationId, TEAM_ID);
    assert.equal(team.teamsChannelId, TEAM_ID);
    const personal = toConvRef(asActivity(personalMessage(SERVICE_URL, 'hi')));
    assert.deepEqual(personal, {
      channelId: 'msteams',
      serviceUrl: SERVICE_URL,
      conversationId: 'a:1personal-chat-id',
      conversationType: 'personal',
      tenantId: TENANT,
      botId: BOT_ID,
    });
  });

  it('derives the conversation type from isGroup when Teams omits it', () => {
    const a = personalMessage(SERVICE_URL, 'hi');
    a['conversation'] = { id: '19:group@thread.v2', isGroup: true, tenantId: TENANT };
    assert.equal(toConvRef(asActivity(a)).conversationType, 'groupChat');
  });

  it('refuses an activity without addressing fields', () => {
    assert.throws(() => toConvRef({ type: 'message' }), AppError);
  });

  it('takes the tenant from channelData first, then from the conversation', () => {
    assert.equal(tenantOf({ channelData: { tenant: { id: 'a' } }, conversation: { tenantId: 'b' } as never }), 'a');
    assert.equal(tenantOf({ channelData: {}, conversation: { tenantId: 'b' } as never }), 'b');
    assert.equal(tenantOf({}), undefined);
  });

  it('strips only the bot mention, without changing the activity', () => {
    const a = channelMessage(SERVICE_URL, 'actions for device WS-042');
    assert.equal(commandTextOf(asActivity(a)), 'actions for device WS-042');
    assert.equal(a['text'], '<at>Defender Audit</at> actions for device WS-042', 'the activity is not modified');
    const other = {
      ...a,
      text: '<at>Alex Wilber</at> hello',
      entities: [{ type: 'mention', mentioned: { id: USER.id }, text: '<at>Alex Wilber</at>' }],
    };
    assert.equal(commandTextOf(asActivity(other)), '<at>Alex Wilber</at> hello');
  });

  it('prefers value.command (Action.Submit) and ignores a non-string command', () => {
    assert.equal(commandTextOf(asActivity(personalMessage(SERVICE_URL, '', { command: 'failed' }))), 'failed');
    assert.equal(
      commandTextOf(asActivity({ ...personalMessage(SERVICE_URL, '', { command: 42 }), text: ' status ' })),
      'status',
    );
    assert.equal(commandTextOf({ type: 'message' }), '');
  });

  it('reads the user', () => {
    assert.deepEqual(userOf(asActivity(channelMessage(SERVICE_URL, 'x'))), {
      id: USER.id,
      aadObjectId: USER.aadObjectId,
      name: USER.name,
    });
    assert.deepEqual(userOf({ from: { id: '29:x', name: '' } }), { id: '29:x' });
  });

  it('turns replies into a text message or one Adaptive Card attachment', () => {
    assert.equal(toReplyActivity('hello').text, 'hello');
    const card = { type: 'AdaptiveCard', version: '1.5', body: [] };
    const a = toReplyActivity(card);
    assert.equal(a.attachments?.[0]?.contentType, 'application/vnd.microsoft.card.adaptive');
    assert.deepEqual(a.attachments?.[0]?.content, card);
  });

  it('rebuilds the SDK reference from a ConvRef (bot, tenant, group flag)', () => {
    const ref = toConvRef(asActivity(personalMessage(SERVICE_URL, 'hi')));
    const sdk = toSdkReference(ref);
    assert.equal(sdk.channelId, 'msteams');
    assert.equal(sdk.serviceUrl, SERVICE_URL);
    assert.deepEqual(sdk.bot, { id: BOT_ID, name: '' });
    assert.equal(sdk.conversation?.isGroup, false);
    assert.equal(sdk.conversation?.tenantId, TENANT);
    assert.equal(toSdkReference(ref, '19:other').conversation?.id, '19:other');
  });
});

/** An object shaped like botbuilder's RestError (name, statusCode, response with headers.get and parsedBody). */
function restError(
  statusCode: number | undefined,
  body: unknown,
  headers: Record<string, string> = {},
  code?: string,
): Error {
  const e = new Error('rest') as Error & Record<string, unknown>;
  e.name = 'RestError';
  e['statusCode'] = statusCode;
  if (code !== undefined) e['code'] = code;
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  e['response'] = {
    status: statusCode,
    headers: { get: (n: string) => lower.get(n.toLowerCase()) },
    parsedBody: body,
    bodyAsText: JSON.stringify(body),
  };
  return e;
}

describe('sendFailureOf', () => {
  it('returns undefined for errors that are not connector failures', () => {
    assert.equal(sendFailureOf(new Error('x')), undefined);
    assert.equal(sendFailureOf('x'), undefined);
    assert.equal(sendFailureOf(undefined), undefined);
    assert.equal(sendFailureOf(new AppError('INTERNAL', 'x', { cause: new Error('y') })), undefined);
  });

  it('follows the cause chain', () => {
    const inner = restError(429, { error: { code: 'Throttled' } }, { 'Retry-After': '7' });
    assert.deepEqual(sendFailureOf(new AppError('INTERNAL', 'outer', { cause: new Error('mid', { cause: inner }) })), {
      statusCode: 429,
      code: 'Throttled',
      retryAfterSeconds: 7,
    });
  });

  it('finds the sub-code at the top level, inside error, inside error.innerError, or in a JSON message string', () => {
    const bodies = [
      { subCode: 'MessageWritesBlocked' },
      { error: { code: 'Forbidden', subCode: 'MessageWritesBlocked' } },
      { error: { code: 'Forbidden', innerError: { subCode: 'MessageWritesBlocked' } } },
      {
        errorCode: 209,
        message: '{"subCode": "MessageWritesBlocked", "details": "Thread is blocked from message writes."}',
      },
    ];
    for (const body of bodies)
      assert.equal(sendFailureOf(restError(403, body))?.subCode, 'MessageWritesBlocked', JSON.stringify(body));
  });

  it('reads Retry-After as seconds, as an HTTP date against nowMs, and retry-after-ms', () => {
    const now = Date.parse('2026-11-29T12:00:00Z');
    assert.equal(sendFailureOf(restError(429, {}, { 'Retry-After': '2.5' }))?.retryAfterSeconds, 2.5);
    assert.equal(
      sendFailureOf(restError(429, {}, { 'Retry-After': 'Sun, 29 Nov 2026 12:00:30 GMT' }), now)?.retryAfterSeconds,
      30,
    );
    assert.equal(
      sendFailureOf(restError(429, {}, { 'Retry-After': 'Sun, 29 Nov 2026 12:00:30 GMT' }))?.retryAfterSeconds,
      undefined,
      'no clock, no date',
    );
    assert.equal(sendFailureOf(restError(429, {}, { 'retry-after-ms': '1500' }))?.retryAfterSeconds, 1.5);
    assert.equal(sendFailureOf(restError(429, {}, { 'Retry-After': 'soon' }))?.retryAfterSeconds, undefined);
  });

  it('reports a network failure by its code, without status', () => {
    assert.deepEqual(sendFailureOf(restError(undefined, undefined, {}, 'ECONNRESET')), { code: 'ECONNRESET' });
  });
});
