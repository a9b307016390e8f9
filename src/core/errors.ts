/**
 * The few error classes of the application. Each carries a stable string `code` so that entry
 * points (CLI, scheduler tick, HTTP turn) can map known failures to one actionable line.
 */

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'USAGE'
  | 'MDE_AUTH_FAILED'
  | 'MDE_FORBIDDEN'
  | 'MDE_BAD_REQUEST'
  | 'MDE_NOT_FOUND'
  | 'MDE_THROTTLED'
  | 'MDE_UNAVAILABLE'
  | 'MDE_BAD_RESPONSE'
  | 'MDE_TIMEOUT'
  | 'MDE_NETWORK'
  | 'STORE_FAILED'
  | 'STORE_CORRUPT'
  | 'LOG_ANALYTICS_AUTH'
  | 'LOG_ANALYTICS_FORBIDDEN'
  | 'LOG_ANALYTICS_BAD_REQUEST'
  | 'LOG_ANALYTICS_NOT_FOUND'
  | 'LOG_ANALYTICS_THROTTLED'
  | 'LOG_ANALYTICS_UNAVAILABLE'
  | 'LOG_ANALYTICS_PARTIAL'
  | 'TEAMS_SEND_FAILED'
  | 'INTERNAL';

export class AppError extends Error {
  readonly code: ErrorCode;
  /** A sentence telling the operator what to do; shown after the message. */
  readonly fix: string | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; fix?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.fix = options.fix;
  }
}

/** One or more configuration problems; the CLI exits with code 2. */
export class ConfigError extends AppError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('CONFIG_INVALID', `Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/** Bad command-line usage; the CLI exits with code 2. */
export class UsageError extends AppError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** A failed call to the Defender API, after retries where they apply. */
export class DefenderApiError extends AppError {
  /** HTTP status, or undefined for network-level failures. */
  readonly status: number | undefined;
  /** `error.code` from the API error body, when there was one. */
  readonly apiCode: string | undefined;
  /** Whether another attempt later (next tick) may succeed. */
  readonly retryable: boolean;

  constructor(
    code: ErrorCode,
    message: string,
    options: { status?: number; apiCode?: string; retryable?: boolean; cause?: unknown; fix?: string } = {},
  ) {
    super(code, message, options);
    this.status = options.status;
    this.apiCode = options.apiCode;
    this.retryable = options.retryable ?? false;
  }
}

/**
 * What kind of store failure an error is, when SQLite says so: `corrupt` (the file is damaged),
 * `full` (no space left), `locked` (another process holds the lock), `readonly` (no write access).
 */
export type StoreFault = 'corrupt' | 'full' | 'locked' | 'readonly';

/** A failed store operation (SQLite). Code STORE_CORRUPT when the file is damaged, else STORE_FAILED. */
export class StoreError extends AppError {
  readonly fault: StoreFault | undefined;

  constructor(message: string, options: { cause?: unknown; fix?: string; fault?: StoreFault } = {}) {
    super(options.fault === 'corrupt' ? 'STORE_CORRUPT' : 'STORE_FAILED', message, options);
    this.fault = options.fault;
  }
}

/** A failed call to Azure Monitor (Logs Ingestion or Log Analytics query), after the SDK's retries. */
export class LogAnalyticsError extends AppError {
  /** HTTP status, or undefined for authentication and network failures. */
  readonly status: number | undefined;

  constructor(code: ErrorCode, message: string, options: { status?: number; cause?: unknown; fix?: string } = {}) {
    super(code, message, options);
    this.status = options.status;
  }
}

/**
 * A failed call to Teams (the Bot Connector), as the Teams layer read the answer: what the retry
 * policy of the sender (src/delivery/) needs, without knowing any SDK's error shapes.
 */
export class SendError extends AppError {
  /** HTTP status; undefined when no response came (refused, reset, DNS, timeout). */
  readonly status: number | undefined;
  /** The response's Retry-After, ms; undefined when absent or unreadable. */
  readonly retryAfterMs: number | undefined;
  /** Sending the same again cannot succeed (401, 403, 404, most 4xx, a card too large). */
  readonly permanent: boolean;
  /** Teams refuses every message in this conversation (bot blocked or removed): stop posting there. */
  readonly deactivate: boolean;
  /** 413: the card is too large (a smaller card may go through). */
  readonly tooLarge: boolean;
  /** The transport already retried this call itself with its own backoff (5xx, 408, some network errors). */
  readonly transportRetried: boolean;
  /** What the connector answered, for logs and reasons: `HTTP 429 Throttled`, `network error ECONNRESET`. */
  readonly detail: string;
  /** The response's error code (`Forbidden`, `ConversationBlockedByUser`) or the network error code. */
  readonly apiCode: string | undefined;
  /** Teams sub-code, e.g. `MessageWritesBlocked`. */
  readonly subCode: string | undefined;

  constructor(
    message: string,
    facts: {
      status?: number;
      retryAfterMs?: number;
      permanent: boolean;
      deactivate?: boolean;
      tooLarge?: boolean;
      transportRetried?: boolean;
      detail: string;
      apiCode?: string;
      subCode?: string;
    },
    options: { cause?: unknown; fix?: string } = {},
  ) {
    super('TEAMS_SEND_FAILED', message, options);
    this.status = facts.status;
    this.retryAfterMs = facts.retryAfterMs;
    this.permanent = facts.permanent;
    this.deactivate = facts.deactivate ?? false;
    this.tooLarge = facts.tooLarge ?? false;
    this.transportRetried = facts.transportRetried ?? false;
    this.detail = facts.detail;
    this.apiCode = facts.apiCode;
    this.subCode = facts.subCode;
  }
}

/** Wraps anything thrown into an AppError, keeping AppErrors as they are. */
export function asAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof Error) return new AppError('INTERNAL', err.message, { cause: err });
  return new AppError('INTERNAL', String(err));
}

/** One line for an operator: message plus the fix when there is one. */
export function describeError(err: unknown): string {
  const e = asAppError(err);
  return e.fix ? `${e.message} Fix: ${e.fix}` : e.message;
}
