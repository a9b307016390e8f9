import assert from 'node:assert/strict';
import { createHmac, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createTokenGate } from '../../src/teams/token-gate.js';
import { startFakeConnector, type FakeConnector } from '../fakes/fake-connector.js';
import { channelMessage, startBotStack, type BotStack } from './helpers.js';

const APP_ID = '00000000-0000-0000-0000-0000000000b0';
const CHANNEL_ISSUER = 'https://api.botframework.com';

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

/** An RS256 JWT signed with `key`. */
function rs256(key: KeyObject, kid: string, payload: Record<string, unknown>): string {
  const head = `${b64({ alg: 'RS256', typ: 'JWT', kid })}.${b64(payload)}`;
  return `${head}.${createSign('RSA-SHA256').update(head).sign(key).toString('base64url')}`;
}

function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: CHANNEL_ISSUER, aud: APP_ID, nbf: now - 60, exp: now + 3600, ...extra };
}

/** The forgeries of the adversarial run: each well-formed, none valid. */
function forgeries(key: KeyObject): Record<string, string> {
  const now = Math.floor(Date.now() / 1000);
  const hs = `${b64({ alg: 'HS256', typ: 'JWT', kid: 'k1' })}.${b64(claims())}`;
  return {
    'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`,
    HS256: `${hs}.${createHmac('sha256', 'guess').update(hs).digest('base64url')}`,
    'RS256, unknown key id': rs256(key, 'no-such-key', claims()),
    expired: rs256(key, 'no-such-key', claims({ nbf: now - 7200, exp: now - 3600 })),
    'wrong audience': rs256(key, 'no-such-key', claims({ aud: 'someone-else' })),
  };
}

/** A loopback metadata endpoint: `mode` decides how it answers; every request is counted. */
async function metadataServer(mode: { kind: 'hang' } | { kind: 'keys'; jwk: Record<string, unknown>; kid: string }) {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push(req.url ?? '');
    if (mode.kind === 'hang') return; // accepts, never answers
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    res.setHeader('content-type', 'application/json');
    if (req.url === '/openid')
      res.end(
        JSON.stringify({
          issuer: CHANNEL_ISSUER,
          jwks_uri: `${origin}/keys`,
          id_token_signing_alg_values_supported: ['RS256'],
        }),
      );
    else res.end(JSON.stringify({ keys: [{ ...mode.jwk, kid: mode.kid, use: 'sig', kty: 'RSA' }] }));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/openid`;
  return {
    url,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A port with nothing listening: connections are refused at once. */
async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}/openid`;
}

describe('teams: forged Bot Framework tokens get 401, whatever the metadata endpoint does', function () {
  this.timeout(60_000);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let fake: FakeConnector;
  before(async () => {
    fake = await startFakeConnector();
  });
  after(() => fake.close());

  const authed = (url: string, tokenValidation?: { timeoutMs?: number; backoffMs?: number }) =>
    startBotStack({
      auth: {
        botId: APP_ID,
        botPassword: 'test-secret-value',
        botTenantId: '72f988bf-0000-4000-8000-000000000001',
        openIdMetadataUrls: { channel: url, emulator: url },
        ...(tokenValidation ? { tokenValidation } : {}),
      },
    });
  const rejections = (bot: BotStack) => bot.lines.filter((l) => l.msg === 'rejected an unauthenticated request');

  it('metadata unreachable (connection refused): every forgery is 401 with one log line, and the failure is remembered', async () => {
    const bot = await authed(await closedPortUrl());
    try {
      for (const [name, token] of Object.entries(forgeries(privateKey))) {
        const r = await bot.post(channelMessage(fake.url, 'help'), { Authorization: `Bearer ${token}` });
        assert.equal(r.status, 401, name);
        assert.deepEqual(JSON.parse(r.text), { error: 'unauthorized' });
      }
      assert.equal(rejections(bot).length, 5, 'one line per request');
      assert.ok(!bot.lines.some((l) => l.level === 'error'), 'no request is logged as an internal error');
      assert.equal(bot.handlers.commands.length, 0);
      const unknownKid = rejections(bot)[2]?.fields.error as string;
      assert.match(unknownKid, /signing keys could not be loaded/);
      assert.ok(!JSON.stringify(bot.lines).includes('test-secret-value'));
    } finally {
      await bot.stop();
    }
  });

  it('metadata that never answers: 10 forgeries at once cost one bounded fetch, then back-off refuses at once; /healthz stays fast', async () => {
    const meta = await metadataServer({ kind: 'hang' });
    const bot = await authed(meta.url, { timeoutMs: 1500, backoffMs: 60_000 });
    try {
      const token = forgeries(privateKey)['RS256, unknown key id']!;
      const wave = Array.from({ length: 10 }, () =>
        bot.post(channelMessage(fake.url, 'help'), { Authorization: `Bearer ${token}` }),
      );
      // While the first request waits on the metadata, health answers (no waiting on the wave).
      const health = await fetch(`${bot.url}/healthz`);
      assert.equal(health.status, 200);
      const results = await Promise.all(wave);
      assert.deepEqual(
        results.map((r) => r.status),
        Array(10).fill(401),
      );
      assert.equal(meta.requests.length, 1, 'single flight: one metadata request for the whole wave');
      // Backing off: refused without another fetch.
      const again = await bot.post(channelMessage(fake.url, 'help'), { Authorization: `Bearer ${token}` });
      assert.equal(again.status, 401);
      assert.equal(meta.requests.length, 1);
      assert.match(String(rejections(bot).at(-1)?.fields.error), /cannot be validated for another \d+ s/);
      assert.equal(bot.handlers.commands.length, 0, 'no turn ran, not even after the abandoned fetch');
    } finally {
      await bot.stop();
      await meta.close();
    }
  });

  it('metadata with the keys: an unknown key id is 401, and a token signed with a published key runs the turn', async () => {
    const { privateKey: signing, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const meta = await metadataServer({ kind: 'keys', jwk: publicKey.export({ format: 'jwk' }), kid: 'published' });
    const bot = await authed(meta.url);
    try {
      const forged = await bot.post(channelMessage(fake.url, 'help'), {
        Authorization: `Bearer ${rs256(privateKey, 'no-such-key', claims())}`,
      });
      assert.equal(forged.status, 401);
      const valid = rs256(signing, 'published', claims({ serviceurl: fake.url }));
      const r = await bot.post(channelMessage(fake.url, 'actions for device WS-042'), {
        Authorization: `Bearer ${valid}`,
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(
        bot.handlers.commands.map((c) => c.text),
        ['actions for device WS-042'],
      );
      // The keys were downloaded once (metadata + JWKS) and are reused.
      await bot.post(channelMessage(fake.url, 'help'), { Authorization: `Bearer ${valid}` });
      assert.equal(meta.requests.filter((u) => u === '/openid').length, 1);
    } finally {
      await bot.stop();
      await meta.close();
    }
  });
});

describe('teams: the token gate (pure)', () => {
  const now = Date.parse('2026-12-01T10:00:00Z');
  const gate = (clock = { t: now }) => ({
    clock,
    gate: createTokenGate({ appId: APP_ID, now: () => clock.t, timeoutMs: 50, backoffMs: 1000, maxBackoffMs: 4000 }),
  });
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const token = (payload: Record<string, unknown>) => `Bearer ${rs256(privateKey, 'k', payload)}`;
  const s = Math.floor(now / 1000);

  it('precheck: refuses what can never validate, passes what may', () => {
    const { gate: g } = gate();
    assert.equal(g.precheck(token({ iss: CHANNEL_ISSUER, aud: APP_ID, exp: s + 60 })), undefined);
    assert.equal(g.precheck(token({ aud: [APP_ID, 'x'], exp: s - 200 })), undefined, 'inside the 5 minutes of skew');
    assert.match(g.precheck(token({ aud: APP_ID, exp: s - 301 })) ?? '', /expired/);
    assert.match(g.precheck(token({ aud: APP_ID, exp: s + 60, nbf: s + 400 })) ?? '', /not valid yet/);
    assert.match(g.precheck(token({ aud: 'other', exp: s + 60 })) ?? '', /another audience/);
    assert.match(g.precheck(token({ aud: APP_ID })) ?? '', /expired/, 'no exp');
    assert.match(g.precheck('') ?? '', /no Authorization header/);
    assert.match(g.precheck('Basic dXNlcjpwYXNz') ?? '', /not a bearer token/);
    assert.match(g.precheck('Bearer a.b') ?? '', /not a JWT/);
    assert.match(
      g.precheck(`Bearer ${b64({ alg: 'RS256' })}.${b64({ aud: APP_ID, exp: s + 60 })}.sig`) ?? '',
      /no signing key/,
    );
    assert.match(
      g.precheck(`Bearer ${b64({ alg: 'none', kid: 'k' })}.${b64({ aud: APP_ID, exp: s + 60 })}.`) ?? '',
      /"none" is not accepted/,
    );
  });

  it('admit: a failure to get keys backs off, doubling to the maximum; a success resets; verdicts pass through', async () => {
    const { clock, gate: g } = gate();
    const keys = () => 'keys' as const;
    const failing = () => Promise.reject(new Error('Failed to load openID config: 503'));
    assert.deepEqual((await g.admit(failing, keys)).admitted, false);
    let ran = 0;
    const ok = (authenticated: () => boolean) => {
      if (authenticated()) ran++;
      return Promise.resolve('done');
    };
    assert.match(((await g.admit(ok, keys)) as { reason: string }).reason, /another 1 s/);
    assert.equal(ran, 0, 'refused while backing off');
    clock.t += 1000;
    await g.admit(failing, keys);
    clock.t += 1000;
    assert.equal((await g.admit(ok, keys)).admitted, false, 'second failure: 2 s');
    clock.t += 1000;
    await g.admit(failing, keys);
    clock.t += 4000;
    await g.admit(failing, keys);
    assert.match(((await g.admit(ok, keys)) as { reason: string }).reason, /another 4 s/, 'capped at the maximum');
    clock.t += 4000;
    assert.deepEqual(await g.admit(ok, keys), { admitted: true, value: 'done' });
    assert.equal(ran, 1);
    await assert.rejects(
      g.admit(
        () => Promise.reject(Object.assign(new Error('bad'), { statusCode: 401 })),
        () => 'verdict',
      ),
      /bad/,
    );
  });

  it('admit: a request that outlives the timeout before authenticating is refused, and its turn never runs', async () => {
    const { gate: g } = gate();
    let release!: () => void;
    let ran = false;
    const slow = (authenticated: () => boolean) =>
      new Promise<void>((r) => (release = r)).then(() => {
        if (authenticated()) ran = true;
      });
    const result = await g.admit(slow, () => 'keys');
    assert.equal(result.admitted, false);
    release();
    await new Promise((r) => setImmediate(r));
    assert.equal(ran, false);
  });
});
