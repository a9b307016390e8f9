/**
 * Reads botbuilder's connector failures (its RestError, possibly the `cause` of another error) and
 * turns them into our coded SendError (core/errors.ts): the only place that knows their shape and
 * what botbuilder 4.23 already retried inside (shared/reference/teams.md section 9, measured
 * against the fake connector): 5xx (except 501, 505), 408 and the network errors ETIMEDOUT,
 * ESOCKETTIMEDOUT, ECONNREFUSED, ECONNRESET, ENOENT, ENOTFOUND three times with its own backoff, and
 * a 429 three times only when it carries Retry-After.
 */
import { SendError } from '../core/errors.js';

/**
 * What is known about a failed call to the Bot Connector, read from botbuilder's RestError (possibly
 * wrapped as the `cause` of another error). toSendError builds on this.
 */
export interface SendFailure {
  /** HTTP status; undefined for network-level failures (refused, reset, DNS). */
  statusCode?: number;
  /** Retry-After from the response, seconds (fractions allowed); undefined when absent or unreadable. */
  retryAfterSeconds?: number;
  /** Teams sub-code, e.g. `MessageWritesBlocked` (the bot was blocked or uninstalled). */
  subCode?: string;
  /** `error.code` from the response body (e.g. `Forbidden`, `ConversationBlockedByUser`), or the network error code. */
  code?: string;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A RestError as thrown by botbuilder's connector client (structural: the class is not exported). */
function isRestError(v: unknown): v is Error & Json {
  return v instanceof Error && (v.name === 'RestError' || typeof (v as unknown as Json)['statusCode'] === 'number');
}

/**
 * Reads a connector failure out of `err` or its `cause` chain; undefined when `err` is not one.
 * `nowMs` (epoch milliseconds) is needed only to turn an HTTP-date Retry-After into seconds.
 *
 * Where Teams puts the sub-code varies: the documented 403 body is
 * `{"errorCode":209,"message":"{\"subCode\":\"MessageWritesBlocked\",…}"}` (the sub-code inside a
 * JSON string); others carry `subCode` at the top level or inside `error`. All are read here.
 */
export function sendFailureOf(err: unknown, nowMs?: number): SendFailure | undefined {
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (e !== undefined && e !== null && !seen.has(e)) {
    seen.add(e);
    if (isRestError(e)) return readRestError(e, nowMs);
    e = e instanceof Error ? e.cause : undefined;
  }
  return undefined;
}

function readRestError(e: Error & Json, nowMs: number | undefined): SendFailure {
  const out: SendFailure = {};
  const response = isObject(e['response']) ? e['response'] : undefined;
  const status =
    typeof e['statusCode'] === 'number'
      ? e['statusCode']
      : typeof response?.['status'] === 'number'
        ? response['status']
        : undefined;
  if (status !== undefined) out.statusCode = status;
  const body = isObject(response?.['parsedBody'])
    ? response['parsedBody']
    : isObject(e['details'])
      ? e['details']
      : undefined;
  const error = isObject(body?.['error']) ? body['error'] : undefined;
  const code = str(error?.['code']) ?? str(e['code']);
  if (code !== undefined) out.code = code;
  const subCode =
    str(body?.['subCode']) ??
    str(error?.['subCode']) ??
    (isObject(error?.['innerError']) ? str(error['innerError']['subCode']) : undefined) ??
    subCodeInText(body?.['message']) ??
    subCodeInText(error?.['message']) ??
    subCodeInText(response?.['bodyAsText']);
  if (subCode !== undefined) out.subCode = subCode;
  const retryAfter = retryAfterSeconds(response?.['headers'], nowMs);
  if (retryAfter !== undefined) out.retryAfterSeconds = retryAfter;
  return out;
}

/** `subCode` inside a text that is (or contains) JSON, as in Teams' documented 403 body. */
function subCodeInText(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /"subCode"\s*:\s*"([^"]+)"/.exec(text);
  return m?.[1];
}

function header(headers: unknown, name: string): string | undefined {
  if (isObject(headers) && typeof headers['get'] === 'function') {
    const v: unknown = (headers['get'] as (n: string) => unknown).call(headers, name);
    return typeof v === 'string' ? v : undefined;
  }
  if (isObject(headers)) {
    const v = headers[name];
    return typeof v === 'string' ? v : undefined;
  }
  return undefined;
}

/** Retry-After (delta-seconds or HTTP-date), or retry-after-ms / x-ms-retry-after-ms, in seconds. */
function retryAfterSeconds(headers: unknown, nowMs: number | undefined): number | undefined {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const raw = header(headers, name)?.trim();
    if (raw !== undefined && /^\d+(\.\d+)?$/.test(raw)) return Number(raw) / 1000;
  }
  const v = header(headers, 'retry-after')?.trim();
  if (v === undefined || v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const at = Date.parse(v);
  if (nowMs === undefined || Number.isNaN(at)) return undefined;
  return Math.max(0, (at - nowMs) / 1000);
}

/** Network error codes that botbuilder's pipeline already retried three times (exponentialRetryStrategy). */
const SDK_RETRIED_NETWORK_CODES = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOENT',
  'ENOTFOUND',
]);

/** `HTTP 429 Throttled`, `HTTP 403 MessageWritesBlocked`, `network error ECONNRESET`. */
function describeFailure(f: SendFailure): string {
  return [f.statusCode === undefined ? 'network error' : `HTTP ${f.statusCode}`, f.code, f.subCode]
    .filter(Boolean)
    .join(' ');
}

/** What a connector failure means for the sender: which retries are left, and whether posting here must stop. */
function classify(f: SendFailure): {
  permanent: boolean;
  deactivate: boolean;
  tooLarge: boolean;
  transportRetried: boolean;
} {
  const status = f.statusCode;
  if (f.subCode === 'MessageWritesBlocked' || f.code === 'ConversationBlockedByUser') {
    return { permanent: true, deactivate: true, tooLarge: false, transportRetried: false };
  }
  if (status === 413) return { permanent: true, deactivate: false, tooLarge: true, transportRetried: false };
  const transportRetried =
    status === undefined
      ? f.code !== undefined && SDK_RETRIED_NETWORK_CODES.has(f.code)
      : status === 408 || (status >= 500 && status !== 501 && status !== 505);
  // Worth another try: what botbuilder retried, no response at all, throttling and 412 (a conflict).
  const retryable = transportRetried || status === undefined || status === 429 || status === 412;
  return { permanent: !retryable, deactivate: false, tooLarge: false, transportRetried };
}

/**
 * The SendError for a failed Teams `op` in `conversationId`. An error that is no connector failure
 * (a bug, a turn that did not run) is permanent: retrying the same call would fail the same way.
 * `nowMs` (epoch ms) turns an HTTP-date Retry-After into a delay.
 */
export function toSendError(op: string, conversationId: string, err: unknown, nowMs: number = Date.now()): SendError {
  if (err instanceof SendError) return err;
  const f = sendFailureOf(err, nowMs);
  if (!f) {
    const message = err instanceof Error ? err.message : String(err);
    return new SendError(
      `Teams ${op} failed for conversation ${conversationId}: ${message}.`,
      { permanent: true, detail: `not a Teams connector failure: ${message}` },
      { cause: err },
    );
  }
  const detail = describeFailure(f);
  let fix: string | undefined;
  if (f.subCode === 'MessageWritesBlocked' || f.statusCode === 403)
    fix = 'The bot was removed from or blocked in this conversation; install it again there.';
  else if (f.statusCode === 401)
    fix = 'Check BOT_ID, SECRET_BOT_PASSWORD and BOT_TENANT_ID against the Azure Bot registration.';
  else if (f.statusCode === 404) fix = 'The conversation no longer exists; subscribe the channel again.';
  return new SendError(
    `Teams ${op} failed for conversation ${conversationId}: ${f.statusCode === undefined ? `no HTTP response ${f.code ?? ''}`.trim() : detail}.`,
    {
      ...classify(f),
      detail,
      ...(f.statusCode !== undefined ? { status: f.statusCode } : {}),
      ...(f.retryAfterSeconds !== undefined ? { retryAfterMs: Math.ceil(f.retryAfterSeconds * 1000) } : {}),
      ...(f.code !== undefined ? { apiCode: f.code } : {}),
      ...(f.subCode !== undefined ? { subCode: f.subCode } : {}),
    },
    { cause: err, ...(fix ? { fix } : {}) },
  );
}
