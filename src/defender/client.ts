import { abortReason, type Clock } from '../core/clock.js';
import { DefenderApiError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { InvalidItem, MachineAction } from '../core/types.js';
import type { CallBudget } from './budget.js';
import type { HttpResponse, HttpTransport } from './http.js';
import type { TokenProvider } from './token.js';
import { validateAction } from './validate.js';

/** One `GET /api/machineactions` call. `filter` and `orderBy` are OData text built by trusted code. */
export interface ListQuery {
  filter?: string;
  orderBy?: string;
  /** Page size, 1..10,000. */
  top: number;
  skip?: number;
}

/** A validated page: good actions, and the items that failed validation. */
export interface ActionPage {
  actions: MachineAction[];
  invalid: InvalidItem[];
  /** Number of items the API returned (valid + invalid). */
  received: number;
}

export interface ClientStats {
  /** HTTP calls made to the API (each retry counts). */
  calls: number;
  retries: number;
  throttled: number;
  budget: { minute: number; hour: number };
}

/** The Defender for Endpoint API as the ingest needs it. A fake lives in test/fakes. */
export interface DefenderClient {
  listMachineActions(query: ListQuery, signal?: AbortSignal): Promise<ActionPage>;
  stats(): ClientStats;
  close(): void;
}

export interface DefenderClientOptions {
  apiBaseUrl: string;
  tokens: TokenProvider;
  http: HttpTransport;
  budget: CallBudget;
  clock: Clock;
  logger: Logger;
  /** Random number in [0, 1) for backoff jitter. */
  random?: () => number;
  requestTimeoutMs: number;
  /** Attempts after the first for 429, 5xx, timeouts, resets and malformed bodies. */
  maxRetries: number;
  /** First backoff step, milliseconds (doubles each attempt). */
  backoffBaseMs?: number;
  /** Longest single backoff, milliseconds. */
  backoffMaxMs?: number;
  /** Longest Retry-After we wait for inside one run; longer ones fail the run (retryable next tick). */
  maxRetryAfterMs?: number;
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

interface ApiErrorBody {
  code: string | undefined;
  message: string | undefined;
}

function parseApiError(body: string): ApiErrorBody {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    const e = parsed.error;
    return {
      code: typeof e?.code === 'string' ? e.code : undefined,
      message: typeof e?.message === 'string' ? e.message : undefined,
    };
  } catch {
    return { code: undefined, message: undefined };
  }
}

/** Retry-After in milliseconds: delta seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Encodes OData query options with %20 for spaces (not '+', which OData servers may read literally). */
export function buildListUrl(apiBaseUrl: string, q: ListQuery): string {
  const parts: string[] = [];
  if (q.filter !== undefined) parts.push(`$filter=${encodeURIComponent(q.filter)}`);
  if (q.orderBy !== undefined) parts.push(`$orderby=${encodeURIComponent(q.orderBy)}`);
  parts.push(`$top=${q.top}`);
  if (q.skip !== undefined && q.skip > 0) parts.push(`$skip=${q.skip}`);
  return `${apiBaseUrl}/api/machineactions?${parts.join('&')}`;
}

export function createDefenderClient(options: DefenderClientOptions): DefenderClient {
  const { http, budget, clock, logger, tokens } = options;
  const random = options.random ?? Math.random;
  const backoffBase = options.backoffBaseMs ?? 1000;
  const backoffMax = options.backoffMaxMs ?? 60_000;
  const maxRetryAfter = options.maxRetryAfterMs ?? 10 * 60_000;
  let calls = 0;
  let retries = 0;
  let throttled = 0;

  /** Exponential backoff with ±25 % jitter: base·2^attempt, capped. */
  const backoff = (attempt: number): number => {
    const raw = Math.min(backoffMax, backoffBase * 2 ** attempt);
    return Math.round(raw * (0.75 + random() * 0.5));
  };

  async function getJson(url: string, signal?: AbortSignal): Promise<unknown> {
    let refreshedAfter401 = false;
    let forceRefresh = false;
    let lastProblem = '';
    for (let attempt = 0; ; attempt++) {
      const canRetry = attempt < options.maxRetries;
      await budget.acquire(signal);
      const token = await tokens.getToken({ forceRefresh });
      forceRefresh = false;
      calls++;
      let res: HttpResponse;
      try {
        res = await http.send(url, {
          method: 'GET',
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
          timeoutMs: options.requestTimeoutMs,
          ...(signal !== undefined ? { signal } : {}),
        });
      } catch (err) {
        if (signal?.aborted) throw abortReason(signal);
        const code = (err as { code?: string }).code ?? '';
        const timeout = err instanceof DefenderApiError && err.code === 'MDE_TIMEOUT';
        if (!timeout && !NETWORK_CODES.has(code)) throw err;
        lastProblem = timeout ? 'timeout' : code;
        if (!canRetry) {
          throw new DefenderApiError(
            timeout ? 'MDE_TIMEOUT' : 'MDE_NETWORK',
            `Defender API unreachable after ${attempt + 1} attempts (${lastProblem}).`,
            {
              retryable: true,
              cause: err,
              fix: 'Check MDE_API_BASE_URL and the network path to it; the next run retries.',
            },
          );
        }
        const wait = backoff(attempt);
        retries++;
        logger.warn('Defender API call failed; retrying', { problem: lastProblem, attempt: attempt + 1, waitMs: wait });
        await clock.sleep(wait, signal);
        continue;
      }

      if (res.status >= 200 && res.status < 300) {
        try {
          return JSON.parse(res.body) as unknown;
        } catch {
          lastProblem = 'malformed JSON';
          if (!canRetry) {
            throw new DefenderApiError(
              'MDE_BAD_RESPONSE',
              `Defender API returned malformed JSON ${attempt + 1} times in a row.`,
              { status: res.status, retryable: true },
            );
          }
          const wait = backoff(attempt);
          retries++;
          logger.warn('Defender API returned malformed JSON; retrying', {
            attempt: attempt + 1,
            waitMs: wait,
            bytes: res.body.length,
          });
          await clock.sleep(wait, signal);
          continue;
        }
      }

      const apiError = parseApiError(res.body);
      const detail = apiError.message ?? (res.body.slice(0, 200) || `HTTP ${res.status}`);
      if (res.status === 401) {
        if (!refreshedAfter401) {
          // A token can be revoked or rotated before its expiry: get a fresh one, once.
          refreshedAfter401 = true;
          forceRefresh = true;
          attempt--;
          logger.warn('Defender API answered 401; refreshing the token once');
          continue;
        }
        throw new DefenderApiError('MDE_AUTH_FAILED', `Defender API refused the token (401): ${detail}`, {
          status: 401,
          apiCode: apiError.code,
          fix: "Check that the app registration belongs to the tenant in MDE_TENANT_ID and that MDE_API_BASE_URL is your cloud's API host.",
        });
      }
      if (res.status === 403) {
        throw new DefenderApiError(
          'MDE_FORBIDDEN',
          `Defender API denied access (403 ${apiError.code ?? 'Forbidden'}): ${detail}`,
          {
            status: 403,
            apiCode: apiError.code,
            fix: 'Grant the app registration the WindowsDefenderATP application permission Machine.Read.All (API permissions → APIs my organization uses → WindowsDefenderATP), then have an admin grant consent.',
          },
        );
      }
      if (res.status === 429 || res.status >= 500) {
        const retryAfter = parseRetryAfter(res.headers['retry-after'], clock.now());
        if (res.status === 429) throttled++;
        lastProblem = `HTTP ${res.status}`;
        if (retryAfter !== undefined && retryAfter > maxRetryAfter) {
          throw new DefenderApiError(
            'MDE_THROTTLED',
            `Defender API asked to wait ${Math.round(retryAfter / 1000)} s (HTTP ${res.status}); giving up for this run.`,
            {
              status: res.status,
              apiCode: apiError.code,
              retryable: true,
            },
          );
        }
        if (!canRetry) {
          throw new DefenderApiError(
            res.status === 429 ? 'MDE_THROTTLED' : 'MDE_UNAVAILABLE',
            `Defender API still answered HTTP ${res.status} after ${attempt + 1} attempts: ${detail}`,
            {
              status: res.status,
              apiCode: apiError.code,
              retryable: true,
            },
          );
        }
        const wait = retryAfter ?? backoff(attempt);
        retries++;
        logger.warn('Defender API asked to retry', {
          status: res.status,
          attempt: attempt + 1,
          waitMs: wait,
          retryAfter: res.headers['retry-after'] ?? null,
        });
        await clock.sleep(wait, signal);
        continue;
      }
      if (res.status === 404) {
        throw new DefenderApiError('MDE_NOT_FOUND', `Defender API: not found (404): ${detail}`, {
          status: 404,
          apiCode: apiError.code,
        });
      }
      throw new DefenderApiError(
        'MDE_BAD_REQUEST',
        `Defender API rejected the request (HTTP ${res.status} ${apiError.code || 'error'}): ${detail}`,
        {
          status: res.status,
          apiCode: apiError.code,
        },
      );
    }
  }

  return {
    async listMachineActions(query, signal) {
      if (!Number.isInteger(query.top) || query.top < 1 || query.top > 10_000) {
        throw new RangeError(`page size must be 1..10000, got ${query.top}`);
      }
      const body = await getJson(buildListUrl(options.apiBaseUrl, query), signal);
      const value = (body as { value?: unknown } | null)?.value;
      if (!Array.isArray(value)) {
        throw new DefenderApiError('MDE_BAD_RESPONSE', 'Defender API list response has no "value" array.', {
          retryable: true,
        });
      }
      const page: ActionPage = { actions: [], invalid: [], received: value.length };
      for (const item of value) {
        const r = validateAction(item);
        if (r.ok) page.actions.push(r.action);
        else page.invalid.push(r.invalid);
      }
      return page;
    },
    stats() {
      return { calls, retries, throttled, budget: budget.remaining() };
    },
    close() {
      http.close();
    },
  };
}

/** Whether an error is the API rejecting our OData query (the tenant does not support the filter). */
export function isODataRejection(err: unknown): boolean {
  if (!(err instanceof DefenderApiError) || err.status !== 400) return false;
  return (
    err.apiCode === 'ODataError' || err.apiCode === '' || /query specified in the URI is not valid/i.test(err.message)
  );
}
