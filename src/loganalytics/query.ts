import { LogAnalyticsError } from '../core/errors.js';
import type { KqlRows, KqlRunner } from '../core/query.js';
import { toLogAnalyticsError } from './errors.js';

/**
 * Runs KQL against a Log Analytics workspace through `LogsQueryClient` (`@azure/monitor-query-logs`).
 * The SDK retries 429 (honouring Retry-After) and 5xx itself, so this layer does not retry again.
 * A 200 answer with an `error` member (the SDK's PartialFailure) is an error here: an audit answer
 * built from part of the data would read as complete.
 */

/** `QueryTimeInterval` of the SDK, in the two forms used here. */
export type QueryTimespan = { startTime: Date; endTime: Date } | { duration: string };

interface SdkTable {
  name: string;
  columnDescriptors: { name?: string; type?: string }[];
  rows: unknown[][];
}

/** The part of `LogsQueryResult` read here. */
export type SdkQueryResult =
  | { status: 'Success'; tables: SdkTable[] }
  | {
      status: 'PartialFailure';
      partialTables: SdkTable[];
      partialError: { code?: string; message?: string; details?: { code?: string; message?: string }[] };
    }
  | { status: string; tables?: SdkTable[] };

/** The part of `LogsQueryClient` used here. */
export interface LogsQuerier {
  queryWorkspace(
    workspaceId: string,
    query: string,
    timespan: QueryTimespan,
    options?: { serverTimeoutInSeconds?: number },
  ): Promise<SdkQueryResult>;
}

export interface LogAnalyticsRunnerOptions {
  client: LogsQuerier;
  workspaceId: string;
  /** Epoch ms now (for the end of the timespan). */
  now: () => number;
  /** Server-side timeout of one query, seconds (the API's default is 180, maximum 600). */
  serverTimeoutSeconds?: number;
}

/**
 * The API's timespan filters TimeGenerated in addition to the query's own filters. Queries say
 * which TimeGenerated they need (`from`); without one, the earliest instant the API accepts keeps
 * the whole retention (at most 12 years). The end lies a day ahead to tolerate clock skew.
 */
function timespanFor(from: string | undefined, nowMs: number): QueryTimespan {
  const start = from === undefined ? new Date(Date.UTC(2000, 0, 1)) : new Date(from);
  return { startTime: start, endTime: new Date(nowMs + 86_400_000) };
}

function toRows(table: SdkTable): KqlRows {
  const columns = table.columnDescriptors.map((c, i) => ({
    name: c.name ?? `Column${i + 1}`,
    type: c.type ?? 'string',
  }));
  const rows = table.rows.map((cells) => {
    const row: Record<string, unknown> = {};
    columns.forEach((c, i) => (row[c.name] = cells[i]));
    return row;
  });
  return { columns, rows };
}

export function createLogAnalyticsRunner(options: LogAnalyticsRunnerOptions): KqlRunner {
  const { client, workspaceId } = options;
  const serverTimeoutInSeconds = options.serverTimeoutSeconds ?? 60;
  return {
    async run(query, opts = {}) {
      opts.signal?.throwIfAborted();
      let result: SdkQueryResult;
      try {
        result = await client.queryWorkspace(workspaceId, query, timespanFor(opts.from, options.now()), {
          serverTimeoutInSeconds,
        });
      } catch (err) {
        throw toLogAnalyticsError(err, 'query', { workspaceId });
      }
      if (result.status === 'PartialFailure' && 'partialError' in result) {
        const e = result.partialError;
        // The top-level message is generic ("There were some errors..."); the details say what failed.
        const details = (e.details ?? [])
          .map((d) => d.message ?? d.code)
          .filter((m): m is string => typeof m === 'string' && m !== '');
        throw new LogAnalyticsError(
          'LOG_ANALYTICS_PARTIAL',
          `Log Analytics returned only part of the result (${e.code ?? 'PartialError'}: ${[e.message ?? 'no message', ...details].join('; ')}), so no answer is shown.`,
          {
            status: 200,
            fix: 'Try again; if it persists, narrow the period (e.g. "last 30 days") or check the workspace health.',
          },
        );
      }
      const table = 'tables' in result ? result.tables?.[0] : undefined;
      if (result.status !== 'Success' || table === undefined) {
        throw new LogAnalyticsError(
          'LOG_ANALYTICS_UNAVAILABLE',
          `Log Analytics answered with status ${result.status} and no result table.`,
          { fix: 'Try again in a minute.' },
        );
      }
      return toRows(table);
    },
  };
}

/**
 * A pipeline policy for `LogsQueryClient` that keeps datetime cells as the API's text
 * (`2026-11-29T10:00:00.2968211Z`, 100 ns precision) instead of the SDK's `Date` (milliseconds):
 * it re-labels datetime columns as string in the response body before the SDK reads it. Rows are
 * unchanged; the mapper reads both forms. Pass it as `additionalPolicies: [{ policy, position: 'perCall' }]`.
 */
export const keepDatetimeTextPolicy = {
  name: 'defenderAuditBotKeepDatetimeText',
  async sendRequest<Req, Res extends { status: number; bodyAsText?: string | null }>(
    request: Req,
    next: (request: Req) => Promise<Res>,
  ): Promise<Res> {
    const response = await next(request);
    if (
      response.status !== 200 ||
      typeof response.bodyAsText !== 'string' ||
      !response.bodyAsText.includes('"datetime"')
    )
      return response;
    try {
      const body = JSON.parse(response.bodyAsText) as { tables?: { columns?: { type?: string }[] }[] };
      if (!Array.isArray(body.tables)) return response;
      for (const table of body.tables) {
        for (const column of table.columns ?? []) if (column.type === 'datetime') column.type = 'string';
      }
      response.bodyAsText = JSON.stringify(body);
    } catch {
      // Not JSON: the SDK reports the parse error itself.
    }
    return response;
  },
};
