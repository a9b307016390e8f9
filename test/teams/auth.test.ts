import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import dc from 'node:diagnostics_channel';
import { authPolicy, createBotAdapter, isLoopback } from '../../src/teams/adapter.js';
import { ConfigError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { startFakeConnector, type FakeConnector } from '../fakes/fake-connector.js';
import { channelMessage, startBotStack, type BotStack } from './helpers.js';

/** A syntactically valid HS256 JWT (not a Bot Framework token: wrong algorithm, key and issuer). */
function jwt(payload: Record<string, unknown>): string {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${b64({ alg: 'HS256', typ: 'JWT', kid: 'test-key' })}.${b64(payload)}`;
  return `${head}.${createHmac('sha256', 'not-the-key').update(head).digest('base64url')}`;
}

describe('teams adapter: authentication', () => {
  let fake: FakeConnector;
  let bot: BotStack;
  /** Hosts of every outbound node:http(s) request while the suite runs (botbuilder fetches keys with them). */
  const outbound: string[] = [];
  const onRequest = (m: unknown): void => {
    const req = (m as { request: { host: string } }).request;
    outbound.push(req.host);
  };

  before(async () => {
    fake = await startFakeConnector();
    bot = await startBotStack({
      auth: {
        botId: '00000000-0000-0000-0000-0000000000b0',
        botPassword: 'test-secret-value',
        botTenantId: '72f988bf-0000-4000-8000-000000000001',
      },
    });
    dc.subscribe('http.client.request.start', onRequest);
  });
  after(async () => {
    dc.unsubscribe('http.client.request.start', onRequest);
    await bot.stop();
    await fake.close();
  });

  it('is on in single-tenant mode with the bot id as outbound app id', () => {
    assert.equal(bot.adapter.authMode, 'SingleTenant');
    assert.equal(bot.adapter.appId, '00000000-0000-0000-0000-0000000000b0');
  });

  it('answers 401 to a request without Authorization header, locally, and never runs the turn', async () => {
    const r = await bot.post(channelMessage(fake.url, 'actions for device WS-042'));
    assert.equal(r.status, 401);
    assert.deepEqual(JSON.parse(r.text), { error: 'unauthorized' });
    assert.equal(bot.handlers.commands.length, 0);
    assert.equal(fake.calls.length, 0);
    assert.deepEqual(outbound, [], 'no request left the process (no key download)');
    const warn = bot.lines.find((l) => l.level === 'warn' && l.msg === 'rejected an unauthenticated request');
    assert.ok(warn);
    assert.ok(!JSON.stringify(bot.lines).includes('test-secret-value'), 'the password never reaches the log');
  });

  it('answers 401 to a bearer value that is not a JWT, and to a JWT from a foreign issuer, without fetching keys', async () => {
    for (const auth of [
      'Bearer not-a-jwt',
      `Bearer ${jwt({ iss: 'https://evil.example.com/', aud: '00000000-0000-0000-0000-0000000000b0' })}`,
      'Basic dXNlcjpwYXNz',
    ]) {
      const r = await bot.post(channelMessage(fake.url, 'help'), { Authorization: auth });
      assert.equal(r.status, 401, auth);
    }
    assert.equal(bot.handlers.commands.length, 0);
    assert.equal(fake.calls.length, 0);
    assert.deepEqual(outbound, []);
  });
});

describe('teams adapter: configuration', () => {
  it('disables authentication without a bot id', () => {
    const a = createBotAdapter({ logger: silentLogger });
    assert.equal(a.authMode, 'none');
    assert.equal(a.appId, '');
  });

  it('uses a user-assigned managed identity as the bot identity', () => {
    const a = createBotAdapter({
      managedIdentityClientId: '00000000-0000-0000-0000-0000000000c1',
      botTenantId: 'tenant-1',
      logger: silentLogger,
    });
    assert.equal(a.authMode, 'UserAssignedMSI');
    assert.equal(a.appId, '00000000-0000-0000-0000-0000000000c1');
  });

  it('uses multi-tenant mode for a bot id and password without tenant', () => {
    assert.equal(createBotAdapter({ botId: 'app', botPassword: 'pw', logger: silentLogger }).authMode, 'MultiTenant');
  });

  it('rejects incomplete or contradictory settings with a ConfigError naming the variable', () => {
    const cases: [Parameters<typeof createBotAdapter>[0], RegExp][] = [
      [{ botId: 'app', logger: silentLogger }, /SECRET_BOT_PASSWORD: is required/],
      [{ botPassword: 'pw', logger: silentLogger }, /BOT_ID: is required/],
      [{ managedIdentityClientId: 'mi', logger: silentLogger }, /BOT_TENANT_ID: is required/],
      [{ managedIdentityClientId: 'mi', botTenantId: 't', botPassword: 'pw', logger: silentLogger }, /must not be set/],
      [{ managedIdentityClientId: 'mi', botTenantId: 't', botId: 'other', logger: silentLogger }, /BOT_ID: must equal/],
    ];
    for (const [options, message] of cases) {
      assert.throws(
        () => createBotAdapter(options),
        (err: unknown) => err instanceof ConfigError && message.test(err.message) && !err.message.includes('pw'),
      );
    }
  });
});

describe('authPolicy', () => {
  it('refuses an unauthenticated bot on 0.0.0.0, on all interfaces and on a LAN address', () => {
    for (const host of ['0.0.0.0', '::', '', '10.1.2.3', 'bot.example.com']) {
      const reason = authPolicy({ host });
      assert.ok(reason, host);
      assert.match(reason, /BOT_ID/);
    }
  });

  it('allows an unauthenticated bot on loopback', () => {
    for (const host of ['127.0.0.1', '::1', '[::1]', 'localhost', 'LOCALHOST']) {
      assert.equal(authPolicy({ host }), undefined, host);
      assert.ok(isLoopback(host));
    }
  });

  it('allows any host once a bot id or managed identity is set', () => {
    assert.equal(authPolicy({ botId: 'app', host: '0.0.0.0' }), undefined);
    assert.equal(authPolicy({ managedIdentityClientId: 'mi', host: '0.0.0.0' }), undefined);
    assert.ok(authPolicy({ botId: '  ', host: '0.0.0.0' }), 'a blank id does not count');
  });
});
