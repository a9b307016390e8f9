import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfidentialClientApplication,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import { createSimulator, type SimulatorEndpoint } from '../../src/simulator/index.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { getJson, jwtPayload, request, requestToken, simulatorPool, suiteTls, T0, parse } from './helpers.js';

/**
 * msal-node 7 sends requests with the global fetch and has no option for a custom CA, so the client
 * passes its own INetworkModule built on node:https with `ca` set to the simulator's certificate.
 */
function trustingNetworkClient(ca: string, log: string[]): INetworkModule {
  const send = <T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> =>
    new Promise((resolve, reject) => {
      log.push(`${method} ${new URL(url).pathname}`);
      const req = https.request(url, { method, ca, headers: options?.headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers))
            if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
          try {
            resolve({ status: res.statusCode ?? 0, headers, body: (body === '' ? {} : JSON.parse(body)) as T });
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      });
      req.on('error', reject);
      req.end(options?.body);
    });
  return {
    sendGetRequestAsync: (url, options) => send('GET', url, options),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}

interface TokenBody {
  token_type: string;
  expires_in: number;
  ext_expires_in: number;
  access_token: string;
}
interface AadError {
  error: string;
  error_description: string;
  error_codes: number[];
}

function msalApp(endpoint: SimulatorEndpoint, secret: string, log: string[]): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: {
      clientId: endpoint.env['MDE_CLIENT_ID'] ?? '',
      clientSecret: secret,
      authority: `${endpoint.authorityHost}/${endpoint.env['MDE_TENANT_ID']}`,
      knownAuthorities: [new URL(endpoint.authorityHost).host],
    },
    system: { networkClient: trustingNetworkClient(endpoint.caCertPem, log) },
  });
}

describe('simulator: identity and TLS', () => {
  const pool = simulatorPool();
  afterEach(() => pool.stopAll());

  it('real msal-node gets a token with the CA trusted, serves the second call from its cache, and fails on a wrong secret', async () => {
    const { sim, endpoint } = await pool.start({ generate: { devices: 3, days: 1 } });
    const before = sim.stats.tokenRequests; // the pool fetched one token itself
    const log: string[] = [];
    const app = msalApp(endpoint, endpoint.env['SECRET_MDE_CLIENT_SECRET'] ?? '', log);
    const scopes = ['https://api.securitycenter.microsoft.com/.default'];
    const first = await app.acquireTokenByClientCredential({ scopes });
    assert.ok(first);
    assert.equal(first.fromCache, false);
    assert.equal(first.tokenType, 'Bearer');
    const second = await app.acquireTokenByClientCredential({ scopes });
    assert.equal(second?.fromCache, true);
    assert.equal(sim.stats.tokenRequests - before, 1, 'msal asked the token endpoint once');
    assert.deepEqual(log, [
      `GET /${endpoint.env['MDE_TENANT_ID']}/v2.0/.well-known/openid-configuration`,
      `POST /${endpoint.env['MDE_TENANT_ID']}/oauth2/v2.0/token`,
    ]);
    const claims = jwtPayload(first.accessToken);
    assert.equal(claims['aud'], 'https://api.securitycenter.microsoft.com');
    assert.deepEqual(claims['roles'], ['Machine.Read.All']);
    // The msal token works on the API.
    const list = await getJson(endpoint, '/api/machineactions?$top=1', first.accessToken);
    assert.equal(list.status, 200);

    const bad = msalApp(endpoint, 'not-the-secret', []);
    await assert.rejects(bad.acquireTokenByClientCredential({ scopes }), (err: unknown) => {
      const e = err as { errorCode?: string; errorMessage?: string };
      return e.errorCode === 'invalid_client' && /AADSTS7000215/.test(e.errorMessage ?? '');
    });
  });

  it('Node https trusts the self-signed certificate through `ca` (127.0.0.1 and localhost), and rejects it without', async () => {
    const sim = createSimulator({ clock: new FakeClock(T0), generate: { devices: 1, days: 1 } });
    try {
      const endpoint = await sim.start();
      assert.match(endpoint.baseUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
      const port = new URL(endpoint.baseUrl).port;
      for (const host of ['127.0.0.1', 'localhost']) {
        const status = await new Promise<number>((resolve, reject) => {
          https
            .get({ host, port, path: '/api/machineactions', ca: endpoint.caCertPem, agent: false }, (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            })
            .on('error', reject);
        });
        assert.equal(status, 401, `${host}: TLS handshake succeeded, the API asked for a token`);
      }
      await assert.rejects(
        new Promise((resolve, reject) => {
          https.get({ host: '127.0.0.1', port, path: '/', agent: false }, resolve).on('error', reject);
        }),
        /self[- ]signed certificate/,
      );
    } finally {
      await sim.stop();
    }
  });

  it('writes the CA file (0644) and the client environment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-ca-'));
    const sim = createSimulator({ clock: new FakeClock(T0), generate: { devices: 1, days: 1 }, tls: await suiteTls() });
    try {
      const file = join(dir, 'ca.pem');
      const endpoint = await sim.start({ caCertFile: file });
      assert.equal(readFileSync(file, 'utf8'), endpoint.caCertPem);
      assert.equal(statSync(file).mode & 0o777, 0o644);
      assert.deepEqual(Object.keys(endpoint.env).sort(), [
        'MDE_API_BASE_URL',
        'MDE_AUTHORITY_HOST',
        'MDE_CA_CERT_FILE',
        'MDE_CLIENT_ID',
        'MDE_TENANT_ID',
        'SECRET_MDE_CLIENT_SECRET',
      ]);
      assert.equal(endpoint.env['MDE_API_BASE_URL'], endpoint.baseUrl);
      assert.equal(endpoint.env['MDE_AUTHORITY_HOST'], endpoint.authorityHost);
      assert.equal(endpoint.env['MDE_TENANT_ID'], '00000000-0000-0000-0000-000000000001');
      assert.equal(endpoint.env['MDE_CLIENT_ID'], '11111111-1111-1111-1111-111111111111');
      assert.match(endpoint.env['SECRET_MDE_CLIENT_SECRET'] ?? '', /^[A-Za-z0-9]{3}8Q~[A-Za-z0-9_.~-]{34}$/);
    } finally {
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('token endpoint: success shape, scopes, and AADSTS errors', async () => {
    const { endpoint, clock } = await pool.start({ tokenLifetimeSeconds: 600 });
    const ok = await requestToken(endpoint);
    assert.equal(ok.status, 200);
    const body = JSON.parse(ok.text) as TokenBody;
    assert.deepEqual(Object.keys(body), ['token_type', 'expires_in', 'ext_expires_in', 'access_token']);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 600);
    assert.match(body.access_token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const claims = jwtPayload(body.access_token);
    const now = Math.floor(clock.now() / 1000);
    assert.equal(claims['iat'], now);
    assert.equal(claims['nbf'], now);
    assert.equal(claims['exp'], now + 600);
    assert.equal(claims['tid'], endpoint.env['MDE_TENANT_ID']);
    assert.equal(claims['appid'], endpoint.env['MDE_CLIENT_ID']);
    assert.equal(claims['iss'], `https://sts.windows.net/${endpoint.env['MDE_TENANT_ID']}/`);

    const alt = await requestToken(endpoint, {
      scope: 'https://securitycenter.onmicrosoft.com/windowsatpservice/.default',
    });
    assert.equal(alt.status, 200);

    const cases: [Record<string, string>, string | undefined, number, string, number][] = [
      [{ client_secret: 'wrong' }, undefined, 401, 'invalid_client', 7000215],
      [{ client_secret: '' }, undefined, 401, 'invalid_client', 7000218],
      [{}, '99999999-0000-0000-0000-000000000000', 400, 'invalid_request', 90002],
      [{ grant_type: 'password' }, undefined, 400, 'unsupported_grant_type', 70003],
      [{ client_id: '22222222-2222-2222-2222-222222222222' }, undefined, 400, 'unauthorized_client', 700016],
      [
        { scope: 'https://api.securitycenter.microsoft.com/Machine.Read.All' },
        undefined,
        400,
        'invalid_scope',
        1002012,
      ],
      [{ scope: 'https://graph.microsoft.com/.default' }, undefined, 400, 'invalid_resource', 500011],
    ];
    for (const [overrides, tenant, status, error, code] of cases) {
      const r = await requestToken(endpoint, overrides, tenant);
      assert.equal(r.status, status, JSON.stringify(overrides));
      const e = JSON.parse(r.text) as AadError;
      assert.equal(e.error, error);
      assert.deepEqual(e.error_codes, [code]);
      assert.match(e.error_description, new RegExp(`^AADSTS${code}: `));
      assert.match(
        e.error_description,
        /Trace ID: .* Correlation ID: .* Timestamp: \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/,
      );
    }
  });

  it('API auth: 401 without, with a foreign or an expired token; 403 without a read role', async () => {
    const { endpoint, clock, token } = await pool.start({ tokenLifetimeSeconds: 60 });
    const noToken = await request(endpoint, '/api/machineactions');
    assert.equal(noToken.status, 401);
    const body = parse(noToken.text);
    assert.deepEqual(Object.keys(body.error), ['code', 'message', 'target']);
    assert.equal(body.error.code, 'Unauthorized');
    assert.match(body.error.target, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    const [h, p] = token.split('.');
    const forged = await request(endpoint, '/api/machineactions', { token: `${h}.${p}.AAAA` });
    assert.equal(forged.status, 401);

    assert.equal((await request(endpoint, '/api/machineactions?$top=1', { token })).status, 200);
    await clock.advance(60_000);
    assert.equal(
      (await request(endpoint, '/api/machineactions?$top=1', { token })).status,
      401,
      'expired by the simulator clock',
    );

    const other = await pool.start({ roles: ['Machine.Isolate'] });
    const forbidden = await getJson(other.endpoint, '/api/machineactions', other.token);
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body.error.code, 'Forbidden');
    assert.match(forbidden.body.error.message, /Machine\.Read\.All/);
    // A token from one simulator is not valid on another with a different seed.
    const third = await pool.start({ seed: 99 });
    assert.equal((await request(third.endpoint, '/api/machineactions', { token })).status, 401);
  });

  it('serves OpenID discovery and instance discovery pointing at itself', async () => {
    const { endpoint } = await pool.start();
    const tenant = endpoint.env['MDE_TENANT_ID'];
    const oidc = JSON.parse((await request(endpoint, `/${tenant}/v2.0/.well-known/openid-configuration`)).text);
    assert.equal(oidc.token_endpoint, `${endpoint.baseUrl}/${tenant}/oauth2/v2.0/token`);
    assert.equal(oidc.issuer, `${endpoint.baseUrl}/${tenant}/v2.0`);
    for (const key of ['authorization_endpoint', 'jwks_uri', 'end_session_endpoint'])
      assert.ok(String(oidc[key]).startsWith(`${endpoint.baseUrl}/`), key);
    const inst = JSON.parse(
      (await request(endpoint, `/common/discovery/instance?api-version=1.1&authorization_endpoint=x`)).text,
    );
    assert.equal(inst.tenant_discovery_endpoint, `${endpoint.baseUrl}/${tenant}/v2.0/.well-known/openid-configuration`);
    assert.equal((await request(endpoint, '/nope/v2.0/.well-known/openid-configuration')).status, 400);
  });
});
