import { AppError, LogAnalyticsError } from '../core/errors.js';

/**
 * Turns what the Azure SDK clients throw into a LogAnalyticsError with the fix an operator needs.
 * The SDKs throw `RestError` (`statusCode`, `code`, `details`) for HTTP failures after their own
 * retries (429 with Retry-After, 5xx), `AggregateLogsUploadError` (`errors[].cause`) from
 * `LogsIngestionClient.upload`, and `CredentialUnavailableError` / `AuthenticationError` from
 * `@azure/identity` when no token can be had. Matched by shape (name and fields), not by class,
 * so this module does not load the SDKs.
 */

export type AzureApi = 'ingest' | 'query';

export interface AzureContext {
  /** Ingestion: the DCR immutable id and stream. */
  dcrImmutableId?: string;
  streamName?: string;
  /** Query: the workspace (customer) id. */
  workspaceId?: string;
}

interface ErrorShape {
  name?: unknown;
  message?: unknown;
  statusCode?: unknown;
  code?: unknown;
  details?: unknown;
  errors?: unknown;
  cause?: unknown;
}

function shape(err: unknown): ErrorShape {
  return typeof err === 'object' && err !== null ? err : {};
}

/** The first failure inside an AggregateLogsUploadError, or the error itself. */
function innermost(err: unknown): unknown {
  const s = shape(err);
  if (s.name === 'AggregateLogsUploadError' && Array.isArray(s.errors) && s.errors.length > 0) {
    const first = shape(s.errors[0]);
    return first.cause ?? s.errors[0];
  }
  return err;
}

/** `error.code` and `error.message` of an Azure error body (`{error: {code, message}}`), when present. */
function serviceError(details: unknown): { code?: string; message?: string } {
  const d = shape(details) as { error?: unknown };
  const e = shape(d.error) as { code?: unknown; message?: unknown };
  return {
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.message === 'string' ? { message: e.message } : {}),
  };
}

function text(err: unknown): string {
  const m = shape(err).message;
  return typeof m === 'string' ? m : String(err);
}

const AUTH_NAMES = new Set([
  'CredentialUnavailableError',
  'AuthenticationError',
  'AggregateAuthenticationError',
  'AuthenticationRequiredError',
]);

export function toLogAnalyticsError(err: unknown, api: AzureApi, context: AzureContext): AppError {
  if (err instanceof AppError) return err;
  const inner = innermost(err);
  const s = shape(inner);
  const what = api === 'ingest' ? 'The Logs Ingestion API' : 'The Log Analytics query API';
  if (typeof s.name === 'string' && AUTH_NAMES.has(s.name)) {
    return new LogAnalyticsError(
      'LOG_ANALYTICS_AUTH',
      `No Azure token for ${api === 'ingest' ? 'Logs Ingestion' : 'Log Analytics'}: ${text(inner)}`,
      {
        cause: err,
        fix: 'In Azure, give the bot a managed identity (AZURE_CLIENT_ID names a user-assigned one); elsewhere set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for an app registration.',
      },
    );
  }
  if (s.name === 'AbortError')
    return new LogAnalyticsError('LOG_ANALYTICS_UNAVAILABLE', `${what} call was cancelled.`, { cause: err });
  const status = typeof s.statusCode === 'number' ? s.statusCode : undefined;
  const body = serviceError(s.details);
  const detail = body.message ?? text(inner);
  const code = body.code === undefined ? '' : ` ${body.code}`;
  const at =
    api === 'ingest'
      ? `data collection rule ${context.dcrImmutableId ?? '?'}, stream ${context.streamName ?? '?'}`
      : `workspace ${context.workspaceId ?? '?'}`;
  const opts = { cause: err, ...(status === undefined ? {} : { status }) };
  if (status === 401 || status === 403) {
    return new LogAnalyticsError(
      'LOG_ANALYTICS_FORBIDDEN',
      `${what} refused access (${status}${code}) to ${at}: ${detail}`,
      {
        ...opts,
        fix:
          api === 'ingest'
            ? `Assign the bot's identity the "Monitoring Metrics Publisher" role on the data collection rule ${context.dcrImmutableId ?? ''} (infra/loganalytics.bicep does this); new role assignments can take up to 30 minutes to apply.`
            : `Assign the bot's identity the "Log Analytics Reader" role on the workspace ${context.workspaceId ?? ''} (infra/loganalytics.bicep does this).`,
      },
    );
  }
  if (status === 404) {
    return new LogAnalyticsError('LOG_ANALYTICS_NOT_FOUND', `${what} does not know ${at} (404${code}): ${detail}`, {
      ...opts,
      fix:
        api === 'ingest'
          ? 'Check LOGS_INGESTION_ENDPOINT, LOGS_DCR_IMMUTABLE_ID and LOGS_STREAM_NAME against the outputs of infra/loganalytics.bicep.'
          : 'Check LOG_ANALYTICS_WORKSPACE_ID: it is the workspace ID (a GUID) shown on the workspace overview, not its resource id.',
    });
  }
  if (status === 429) {
    return new LogAnalyticsError(
      'LOG_ANALYTICS_THROTTLED',
      `${what} is throttling requests to ${at} (429${code}), even after retries.`,
      {
        ...opts,
        fix:
          api === 'ingest'
            ? 'Nothing is lost; the next run tries again. If it persists, check other clients sharing the limits.'
            : 'Try again in a minute; the workspace allows 5 concurrent queries per identity.',
      },
    );
  }
  if (status !== undefined && status >= 400 && status < 500) {
    return new LogAnalyticsError(
      'LOG_ANALYTICS_BAD_REQUEST',
      `${what} rejected the request to ${at} (${status}${code}): ${detail}`,
      {
        ...opts,
        fix:
          api === 'ingest'
            ? 'Check that the table and the data collection rule were deployed from this version of infra/ (npm run infra:columns).'
            : 'Check the query.',
      },
    );
  }
  return new LogAnalyticsError(
    'LOG_ANALYTICS_UNAVAILABLE',
    `${what} failed for ${at}${status === undefined ? '' : ` (${status}${code})`}: ${detail}`,
    { ...opts, fix: api === 'ingest' ? 'Nothing is lost; the next run tries again.' : 'Try again in a minute.' },
  );
}
