import assert from 'node:assert/strict';
import { buildListUrl, createDefenderClient, isODataRejection, parseRetryAfter } from '../../src/defender/client.js';
import { createCallBudget } from '../../src/defender/budget.js';
import type { HttpRequestOptions, HttpResponse, HttpTransport } from '../../src/defender/http.js';
import type { TokenProvider } from '../../src/defender/token.js';
import { DefenderApiError } from '../../src/core/errors.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { createCaptureLogger } from '../fakes/capture-logger.js';
import { makeAction, guid } from '../fakes/actions.js';

type Reply = HttpResponse | Error;

/** An HttpTransport that answers from a script and records each request. */
function scriptedTransport(
  replies: Reply[],
): HttpTransport & { requests: { url: string; options: HttpRequestOptions }[] } {
  const requests: { url: string; options: HttpRequestOptions }[] = [];
  return {
    requests,
    send(url, options) {
      requests.push({ url, options });
      const r = replies.shift();
      if (r === undefined) return Promise.reject(new Error('script exhausted'));
      return r instanceof Error ? Promise.reject(r) : Promise.resolve(r);
    },
    close() {},
  };
}

const ok = (value: unknown[]): HttpResponse => ({
  status: 200,
  headers: {},
  body: JSON.stringify({ '@odata.context': 'x', value }),
});
const err = (status: number, code: string, message: string, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers,
  body: JSON.stringify({ error: { code, message, target: '43f4cb08-8fac-4b65-9db1-745c2ae65f3a' } }),
});

function setup(replies: Reply[], maxRetries = 5) {
  const clock = new FakeClock(Date.parse('2026-11-29T12:00:00Z'), { autoAdvance: true });
  const http = scriptedTransport(replies);
  const tokenCalls: boolean[] = [];
  const tokens: TokenProvider = {
    getToken: (o) => {
      tokenCalls.push(o?.forceRefresh === true);
      return Promise.resolve(`token-${tokenCalls.length}`);
    },
  };
  const logger = createCaptureLogger();
  const client = createDefenderClient({
    apiBaseUrl: 'https://api.security.microsoft.com',
    tokens,
    http,
    budget: createCallBudget({ perMinute: 100, perHour: 1500, clock }),
    clock,
    logger,
    random: () => 0.5, // jitter factor exactly 1.0
    requestTimeoutMs: 1000,
    maxRetries,
  });
  return { client, clock, http, tokenCalls, logger };
}

const query = {
  filter: 'lastUpdateDateTimeUtc ge 2026-11-29T00:00:00.0000000Z',
  orderBy: 'lastUpdateDateTimeUtc asc',
  top: 1000,
};

describe('defender/client', () => {
  it('builds OData URLs with %20, not +', () => {
    assert.equal(
      buildListUrl('https://api.security.microsoft.com', { ...query, skip: 2000 }),
      'https://api.security.microsoft.com/api/machineactions?$filter=lastUpdateDateTimeUtc%20ge%202026-11-29T00%3A00%3A00.0000000Z&$orderby=lastUpdateDateTimeUtc%20asc&$top=1000&$skip=2000',
    );
  });

  it('sends the bearer token and returns validated actions', async () => {
    const { client, http } = setup([ok([makeAction({ id: guid(1) })])]);
    const page = await client.listMachineActions(query);
    assert.equal(page.actions.length, 1);
    assert.equal(http.requests[0]?.options.headers?.authorization, 'Bearer token-1');
  });

  it('honours Retry-After on 429, in seconds', async () => {
    const { client, clock } = setup([err(429, 'TooManyRequests', 'quota exceeded', { 'retry-after': '7' }), ok([])]);
    await client.listMachineActions(query);
    assert.deepEqual(clock.sleeps, [7000]);
    assert.equal(client.stats().throttled, 1);
  });

  it('retries 5xx with exponential backoff, then succeeds', async () => {
    const { client, clock } = setup([
      err(500, 'InternalServerError', 'boom'),
      err(503, 'ServiceUnavailable', 'x'),
      err(502, '', 'x'),
      ok([]),
    ]);
    await client.listMachineActions(query);
    assert.deepEqual(clock.sleeps, [1000, 2000, 4000]);
    assert.equal(client.stats().retries, 3);
    assert.equal(client.stats().calls, 4);
  });

  it('retries network resets, timeouts and malformed JSON', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const timeout = new DefenderApiError('MDE_TIMEOUT', 'no response', { retryable: true });
    const { client, clock } = setup([reset, timeout, { status: 200, headers: {}, body: '{"value":[{"id":' }, ok([])]);
    await client.listMachineActions(query);
    assert.equal(clock.sleeps.length, 3);
  });

  it('gives up after the bounded number of retries with a retryable error', async () => {
    const { client } = setup([err(503, 'x', 'a'), err(503, 'x', 'b'), err(503, 'x', 'c')], 2);
    await assert.rejects(
      client.listMachineActions(query),
      (e: unknown) => e instanceof DefenderApiError && e.code === 'MDE_UNAVAILABLE' && e.retryable && e.status === 503,
    );
  });

  it('does not sleep through an absurd Retry-After', async () => {
    const { client, clock } = setup([err(429, 'TooManyRequests', 'x', { 'retry-after': '86400' })]);
    await assert.rejects(
      client.listMachineActions(query),
      (e: unknown) => e instanceof DefenderApiError && e.code === 'MDE_THROTTLED' && e.retryable,
    );
    assert.deepEqual(clock.sleeps, []);
  });

  it('refreshes the token once on 401, then fails with a clear error', async () => {
    const a = setup([err(401, 'Unauthorized', 'expired'), ok([])]);
    await a.client.listMachineActions(query);
    assert.deepEqual(a.tokenCalls, [false, true]);

    const b = setup([err(401, 'Unauthorized', 'nope'), err(401, 'Unauthorized', 'nope')]);
    await assert.rejects(
      b.client.listMachineActions(query),
      (e: unknown) => e instanceof DefenderApiError && e.code === 'MDE_AUTH_FAILED',
    );
    assert.deepEqual(b.tokenCalls, [false, true]);
  });

  it('turns 403 into an actionable error naming Machine.Read.All and admin consent', async () => {
    const { client } = setup([err(403, 'Forbidden', 'Missing application roles')]);
    await assert.rejects(client.listMachineActions(query), (e: unknown) => {
      assert.ok(e instanceof DefenderApiError);
      assert.equal(e.code, 'MDE_FORBIDDEN');
      assert.match(e.fix ?? '', /Machine\.Read\.All/);
      assert.match(e.fix ?? '', /admin/);
      return true;
    });
  });

  it('recognises the OData rejection of a filter', async () => {
    const body = {
      status: 400,
      headers: {},
      body: JSON.stringify({
        error: {
          code: '',
          message:
            "The query specified in the URI is not valid. Could not find a property named 'lastUpdateDateTimeUtc'.",
          details: [],
        },
      }),
    };
    const { client } = setup([body]);
    const e = await client.listMachineActions(query).catch((x: unknown) => x);
    assert.ok(isODataRejection(e));
    assert.ok(
      !isODataRejection(new DefenderApiError('MDE_BAD_REQUEST', 'x', { status: 400, apiCode: 'InvalidInput' })),
    );
  });

  it('quarantines invalid items without failing the page', async () => {
    const bad1 = { ...makeAction({ id: guid(2) }), lastUpdateDateTimeUtc: 'yesterday' };
    const bad2 = { ...makeAction({ id: guid(3) }), errorHResult: 'E_ABORT' };
    const { client } = setup([ok([makeAction({ id: guid(1) }), bad1, bad2, 'not an object', null])]);
    const page = await client.listMachineActions(query);
    assert.equal(page.received, 5);
    assert.deepEqual(
      page.actions.map((a) => a.id),
      [guid(1)],
    );
    assert.deepEqual(
      page.invalid.map((i) => i.actionId),
      [guid(2), guid(3), null, null],
    );
    assert.match(page.invalid[0]!.reason, /lastUpdateDateTimeUtc/);
  });

  it('rejects a response without a value array', async () => {
    const { client } = setup([{ status: 200, headers: {}, body: '{"error":null}' }]);
    await assert.rejects(
      client.listMachineActions(query),
      (e: unknown) => e instanceof DefenderApiError && e.code === 'MDE_BAD_RESPONSE',
    );
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-11-29T12:00:00Z');
    assert.equal(parseRetryAfter('2', now), 2000);
    assert.equal(parseRetryAfter('Sun, 29 Nov 2026 12:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter(undefined, now), undefined);
    assert.equal(parseRetryAfter('soon', now), undefined);
  });
});
