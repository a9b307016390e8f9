/**
 * Test helpers for the simulator suite: an HTTPS client that trusts the simulator's certificate
 * through `ca` (never by disabling verification), token acquisition, and a shared certificate so
 * that each test does not generate its own.
 */
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import {
  createSelfSignedCertificate,
  createSimulator,
  type Simulator,
  type SimulatorEndpoint,
  type SimulatorOptions,
} from '../../src/simulator/index.js';
import type { MachineAction } from '../../src/core/types.js';
import { FakeClock } from '../fakes/fake-clock.js';

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface RequestOptions {
  method?: string;
  body?: string;
  token?: string;
  headers?: Record<string, string>;
  /** Abort after this many real milliseconds (for slow-response tests). */
  timeoutMs?: number;
}

/** One HTTPS request to the simulator; `path` may contain spaces (encoded here as %20). */
export function request(endpoint: SimulatorEndpoint, path: string, options: RequestOptions = {}): Promise<HttpResult> {
  const url = new URL(endpoint.baseUrl + path.replace(/ /g, '%20'));
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers['Authorization'] = `Bearer ${options.token}`;
  if (options.body !== undefined && !headers['Content-Type']) headers['Content-Type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
        ca: endpoint.caCertPem,
        headers,
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        res.on('error', reject);
      },
    );
    if (options.timeoutMs !== undefined)
      req.setTimeout(options.timeoutMs, () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * A response body typed loosely enough for assertions on any simulator response: the error shape,
 * the list envelope, a single entity (MachineAction plus @odata.context), and anything else.
 */
export type Body = {
  error: { code: string; message: string; target: string; details?: unknown[] };
  value: MachineAction[];
  '@odata.context': string;
  '@odata.nextLink'?: string;
} & MachineAction & { [key: string]: unknown };

export function parse(text: string): Body {
  return JSON.parse(text) as Body;
}

export async function getJson(
  endpoint: SimulatorEndpoint,
  path: string,
  token: string,
): Promise<{ status: number; body: Body; headers: IncomingHttpHeaders }> {
  const r = await request(endpoint, path, { token });
  return { status: r.status, body: parse(r.text), headers: r.headers };
}

export async function postJson(
  endpoint: SimulatorEndpoint,
  path: string,
  body: unknown,
  token: string,
): Promise<{ status: number; body: Body; headers: IncomingHttpHeaders }> {
  const r = await request(endpoint, path, { token, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.status, body: parse(r.text), headers: r.headers };
}

export function tokenForm(endpoint: SimulatorEndpoint, overrides: Record<string, string> = {}): string {
  return new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: endpoint.env['MDE_CLIENT_ID'] ?? '',
    client_secret: endpoint.env['SECRET_MDE_CLIENT_SECRET'] ?? '',
    scope: 'https://api.securitycenter.microsoft.com/.default',
    ...overrides,
  }).toString();
}

export async function requestToken(
  endpoint: SimulatorEndpoint,
  overrides: Record<string, string> = {},
  tenant?: string,
): Promise<HttpResult> {
  return request(endpoint, `/${tenant ?? endpoint.env['MDE_TENANT_ID']}/oauth2/v2.0/token`, {
    method: 'POST',
    body: tokenForm(endpoint, overrides),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  });
}

export async function getToken(endpoint: SimulatorEndpoint): Promise<string> {
  const r = await requestToken(endpoint);
  if (r.status !== 200) throw new Error(`token request failed: ${r.status} ${r.text}`);
  return (JSON.parse(r.text) as { access_token: string }).access_token;
}

/** Decodes a JWT payload (no verification). */
export function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

let sharedTls: Promise<{ cert: string; key: string }> | undefined;
/** One self-signed certificate for the whole suite (generation is cheap, but not free). */
export function suiteTls(): Promise<{ cert: string; key: string }> {
  sharedTls ??= createSelfSignedCertificate();
  return sharedTls;
}

/** The fixed start of virtual time in this suite: 2026-11-29T12:00:00Z. */
export const T0 = Date.parse('2026-11-29T12:00:00.000Z');

export interface Started {
  sim: Simulator;
  endpoint: SimulatorEndpoint;
  clock: FakeClock;
  token: string;
}

/**
 * Starts a simulator on a fake clock (virtual time starts at T0) with a small generated tenant
 * unless the options say otherwise, and fetches a token. Register `stopAll` in an `afterEach`.
 */
export function simulatorPool(): {
  start(options?: SimulatorOptions & { clock?: FakeClock }): Promise<Started>;
  stopAll(): Promise<void>;
} {
  const running: Simulator[] = [];
  return {
    async start(options = {}) {
      const clock = options.clock ?? new FakeClock(T0);
      const sim = createSimulator({
        generate: { devices: 12, days: 5, actionsPerDay: 30 },
        tls: await suiteTls(),
        ...options,
        clock,
      });
      running.push(sim);
      const endpoint = await sim.start();
      const token = await getToken(endpoint);
      return { sim, endpoint, clock, token };
    },
    async stopAll() {
      while (running.length > 0) await running.pop()?.stop();
    },
  };
}
