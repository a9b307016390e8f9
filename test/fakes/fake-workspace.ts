import type { TokenCredential } from '@azure/core-auth';
import { gunzipSync } from 'node:zlib';
import {
  createHttpHeaders,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
  type RequestBodyType,
} from '@azure/core-rest-pipeline';
import { DCR_COLUMNS } from '../../src/queries/schema.js';
import {
  dateToKqlDatetime,
  KqlError,
  kqlDatetimeText,
  kqlValue,
  parseKqlDatetime,
  runKql,
  shiftKqlDatetime,
  type KqlTable,
  type KqlType,
  type KqlValue,
} from './kql-engine.js';

/**
 * An offline Log Analytics workspace behind the real Azure SDK clients: inject `httpClient` into
 * `new LogsIngestionClient('https://dce.example.invalid', credential, { httpClient })`
 * (@azure/monitor-ingestion) and `new LogsQueryClient(credential, { endpoint:
 * 'https://la.example.invalid/v1', httpClient })` (@azure/monitor-query-logs). No socket is opened;
 * the https URLs keep the SDKs' bearer-token policy satisfied.
 *
 * - Logs Ingestion API: `POST …/dataCollectionRules/{dcr}/streams/{stream}?api-version=…` with a
 *   JSON array (gzip or plain) of at most 1,000,000 bytes as sent; every key must be a column of
 *   the declared stream (DCR_COLUMNS); rows land in the stream's table (`Custom-X` → `X`),
 *   converted to the column types; 204 on success.
 * - Query API: `POST …/workspaces/{id}/query` with `{query, timespan?}`; the KQL runs on the test
 *   KQL engine (kql-engine.ts) over the tables restricted to the timespan; the answer uses Log
 *   Analytics' JSON wire format.
 * - Every request needs `Authorization: Bearer …` (else 401); failures can be scripted.
 */

export type FakeApi = 'ingest' | 'query';

export interface FakeWorkspaceOptions {
  /** The clock for `now()`/`ago()`, relative timespans and rows sent without TimeGenerated. */
  now: () => Date;
  workspaceId?: string;
  dcrImmutableId?: string;
  /** The DCR's declared stream; its table is the name without `Custom-`. */
  streamName?: string;
  /** Tables the workspace starts with (copied); the stream's table is created empty when absent. */
  tables?: Record<string, KqlTable>;
}

export interface ScriptedFailure {
  api: FakeApi;
  status: number;
  /** Sent as the `Retry-After` header (the SDKs' retry policies honour it for 429 and 503). */
  retryAfterSeconds?: number;
  /** Response body (JSON); default: a realistic `{error: {code, message}}` for the status. */
  body?: unknown;
  /** How many consecutive requests of that API fail this way (default 1). */
  times?: number;
}

export interface RecordedRequest {
  api: FakeApi;
  method: string;
  url: string;
  status: number;
  /** The parsed JSON body (ingestion: the rows after gunzip; query: `{query, timespan}`), when it parsed. */
  body?: unknown;
}

export interface RecordedUpload {
  rows: Record<string, unknown>[];
  /** Size of the body as sent (compressed when gzip). */
  bytes: number;
  gzip: boolean;
}

export interface FakeWorkspace {
  readonly httpClient: HttpClient;
  readonly workspaceId: string;
  readonly dcrImmutableId: string;
  readonly streamName: string;
  /** Every accepted upload (204), in order. */
  readonly uploads: RecordedUpload[];
  /** Every request, in order, with the status it got. */
  readonly requests: RecordedRequest[];
  failNext(failure: ScriptedFailure): void;
  /** The next query answers 200 with its tables and an `error` member (the SDK reports PartialFailure). */
  partialNext(error: { code: string; message: string }): void;
  /** A copy of a table (throws for an unknown table). */
  table(name: string): KqlTable;
  /** Replaces or creates a table (cells are converted to the column types). */
  setTable(name: string, table: KqlTable): void;
  /** Appends rows given as objects keyed by column name (values converted as ingestion does; unknown keys throw). */
  addRows(name: string, rows: Record<string, unknown>[]): void;
}

/** Logs Ingestion API: the most a call's body may have, compressed or not. */
export const MAX_INGEST_BODY_BYTES = 1_000_000;

const DEFAULT_WORKSPACE_ID = '7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2910';
const DEFAULT_DCR_ID = 'dcr-00000000000000000000000000000001';
const DEFAULT_STREAM = 'Custom-MDEMachineActions_CL';

const STREAM_COLUMNS: readonly { name: string; type: KqlType }[] = DCR_COLUMNS.map((c) => ({
  name: c.name,
  type: c.type,
}));

type JsonError = { error: { code: string; message: string; [key: string]: unknown } };

function errorBody(code: string, message: string, extra: Record<string, unknown> = {}): JsonError {
  return { error: { code, message, ...extra } };
}

/** The default body of a scripted failure, as each API words it. */
function scriptedBody(api: FakeApi, status: number, dcr: string): JsonError {
  if (status === 401)
    return errorBody(
      api === 'ingest' ? 'InvalidToken' : 'AuthenticationFailed',
      'Authentication failed: the token is missing, expired or invalid.',
    );
  if (status === 403) {
    return api === 'ingest'
      ? errorBody(
          'OperationFailed',
          `The authentication token provided does not have access to ingest data for the data collection rule with immutable Id '${dcr}'.`,
        )
      : errorBody(
          'InsufficientAccessError',
          'The provided credentials have insufficient access to perform the requested operation',
        );
  }
  if (status === 429)
    return errorBody('TooManyRequests', 'Too many requests; retry after the time given in the Retry-After header.');
  if (status === 500) return errorBody('InternalServerError', 'An internal error occurred.');
  if (status === 503) return errorBody('ServiceUnavailable', 'The service is temporarily unavailable.');
  if (status === 504) return errorBody('GatewayTimeout', 'The query did not complete in time.');
  return errorBody(`Http${status}`, `Scripted failure ${status}.`);
}

/** The request body as bytes: strings, buffers and views, blobs, and (functions returning) Node or web streams. */
async function readBody(body: RequestBodyType | undefined): Promise<Buffer | null> {
  if (body === undefined || body === null) return null;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (typeof body === 'function') return readBody(body());
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof Blob) return Buffer.from(await body.arrayBuffer());
  if (body instanceof FormData) throw new TypeError('form-data bodies are not supported');
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<unknown>) {
    if (typeof chunk === 'string') chunks.push(Buffer.from(chunk, 'utf8'));
    else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
    else throw new TypeError('unexpected stream chunk');
  }
  return Buffer.concat(chunks);
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

const TICKS_PER_SECOND = 10_000_000n;

/** A decimal number of some unit as ticks, exactly. */
function decimalTicks(text: string, unit: bigint): bigint {
  const [whole = '0', fraction = ''] = text.split('.');
  return (BigInt(whole + fraction) * unit) / 10n ** BigInt(fraction.length);
}

/** An ISO 8601 duration (`PT24H`, `P1D`, `P7D`, `P1DT2H30M`, `PT0.5S`, `P2W`) in ticks; null for other forms (years and months are ambiguous). */
function parseDuration(text: string): bigint | null {
  const m =
    /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(
      text.trim(),
    );
  if (!m || text.trim().toUpperCase() === 'P' || text.trim().toUpperCase().endsWith('T')) return null;
  const [, w, d, h, mi, s] = m;
  const units: [string | undefined, bigint][] = [
    [w, 7n * 86_400n * TICKS_PER_SECOND],
    [d, 86_400n * TICKS_PER_SECOND],
    [h, 3_600n * TICKS_PER_SECOND],
    [mi, 60n * TICKS_PER_SECOND],
    [s, TICKS_PER_SECOND],
  ];
  if (units.every(([v]) => v === undefined)) return null;
  return units.reduce((sum, [v, unit]) => (v === undefined ? sum : sum + decimalTicks(v, unit)), 0n);
}

/**
 * A query timespan as the SDK sends it: `start/end`, `start/duration`, `duration/end`, or a
 * duration ending now. Returns the inclusive bounds (normalised datetimes), or null when invalid.
 */
export function parseQueryTimespan(text: string, now: Date): { from: string; to: string } | null {
  const parts = text.split('/');
  const nowText = dateToKqlDatetime(now);
  const at = (part: string) => (/^P/i.test(part.trim()) ? null : parseKqlDatetime(part));
  if (parts.length === 1) {
    const span = parseDuration(parts[0]!);
    const from = span === null ? null : shiftKqlDatetime(nowText, -span);
    return from === null ? null : { from, to: nowText };
  }
  if (parts.length !== 2) return null;
  const [a = '', b = ''] = parts;
  const start = at(a);
  const end = at(b);
  if (start !== null && end !== null) return start <= end ? { from: start, to: end } : null;
  if (start !== null) {
    const span = parseDuration(b);
    const to = span === null ? null : shiftKqlDatetime(start, span);
    return to === null ? null : { from: start, to };
  }
  if (end !== null) {
    const span = parseDuration(a);
    const from = span === null ? null : shiftKqlDatetime(end, -span);
    return from === null ? null : { from, to: end };
  }
  return null;
}

/** A result cell in the query API's JSON: datetimes trimmed (`…:00Z`, `….5Z`), dynamic as JSON text, non-finite reals as text. */
function wireCell(type: KqlType, value: KqlValue): unknown {
  if (value === null) return null;
  switch (type) {
    case 'datetime':
      return kqlDatetimeText(value as string);
    case 'dynamic':
      return JSON.stringify(value);
    case 'real':
      return typeof value === 'number' && !Number.isFinite(value)
        ? Number.isNaN(value)
          ? 'NaN'
          : value > 0
            ? 'Infinity'
            : '-Infinity'
        : value;
    default:
      return value;
  }
}

function wireTable(table: KqlTable): { name: string; columns: { name: string; type: KqlType }[]; rows: unknown[][] } {
  return {
    name: 'PrimaryResult',
    columns: table.columns.map((c) => ({ name: c.name, type: c.type })),
    rows: table.rows.map((r) => table.columns.map((c, i) => wireCell(c.type, r[i] ?? null))),
  };
}

function convertRows(
  name: string,
  table: KqlTable,
  rows: readonly Record<string, unknown>[],
  nowText: string,
): KqlValue[][] {
  const known = new Set(table.columns.map((c) => c.name));
  return rows.map((row) => {
    for (const key of Object.keys(row)) if (!known.has(key)) throw new Error(`table ${name} has no column ${key}`);
    return table.columns.map((c) => {
      const value = kqlValue(c.type, row[c.name]);
      // A row without TimeGenerated gets the ingestion time, as Log Analytics does.
      return c.name === 'TimeGenerated' && value === null ? nowText : value;
    });
  });
}

function copyTable(table: KqlTable): KqlTable {
  return { columns: table.columns.map((c) => ({ ...c })), rows: table.rows.map((r) => [...r]) };
}

function normalizedTable(table: KqlTable): KqlTable {
  return {
    columns: table.columns.map((c) => ({ ...c })),
    rows: table.rows.map((r) => table.columns.map((c, i) => kqlValue(c.type, r[i] ?? null))),
  };
}

export function createFakeWorkspace(options: FakeWorkspaceOptions): FakeWorkspace {
  const workspaceId = options.workspaceId ?? DEFAULT_WORKSPACE_ID;
  const dcrImmutableId = options.dcrImmutableId ?? DEFAULT_DCR_ID;
  const streamName = options.streamName ?? DEFAULT_STREAM;
  const streamTable = streamName.replace(/^Custom-/, '');
  const tables = new Map<string, KqlTable>();
  for (const [name, t] of Object.entries(options.tables ?? {})) tables.set(name, normalizedTable(t));
  if (!tables.has(streamTable)) tables.set(streamTable, { columns: STREAM_COLUMNS.map((c) => ({ ...c })), rows: [] });

  const uploads: RecordedUpload[] = [];
  const requests: RecordedRequest[] = [];
  const failures: { failure: ScriptedFailure; remaining: number }[] = [];
  let partial: { code: string; message: string } | null = null;
  let requestCounter = 0;

  const respond = (
    request: PipelineRequest,
    status: number,
    body?: unknown,
    headers: Record<string, string> = {},
  ): PipelineResponse => {
    requestCounter++;
    const clientRequestId = request.headers.get('x-ms-client-request-id');
    const all: Record<string, string> = {
      'x-ms-request-id': `fake-${requestCounter}`,
      ...(clientRequestId !== undefined ? { 'x-ms-client-request-id': clientRequestId } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    };
    return {
      request,
      status,
      headers: createHttpHeaders(all),
      bodyAsText: body === undefined ? undefined : JSON.stringify(body),
    };
  };

  /** The first scripted failure for this API, consumed. */
  const takeFailure = (api: FakeApi): ScriptedFailure | undefined => {
    const i = failures.findIndex((f) => f.failure.api === api);
    const entry = failures[i];
    if (entry === undefined) return undefined;
    entry.remaining--;
    if (entry.remaining <= 0) failures.splice(i, 1);
    return entry.failure;
  };

  const scriptedResponse = (
    f: ScriptedFailure,
    parsed: unknown,
  ): { status: number; body?: unknown; parsed?: unknown; headers?: Record<string, string> } => ({
    status: f.status,
    body: f.body ?? scriptedBody(f.api, f.status, dcrImmutableId),
    parsed,
    headers: f.retryAfterSeconds !== undefined ? { 'retry-after': String(f.retryAfterSeconds) } : {},
  });

  const ingest = (
    request: PipelineRequest,
    url: URL,
    dcr: string,
    stream: string,
    bytes: Buffer | null,
  ): { status: number; body?: unknown; parsed?: unknown; headers?: Record<string, string> } => {
    const gzip = (request.headers.get('content-encoding') ?? '').toLowerCase() === 'gzip';
    let text: string | null = null;
    let parsed: unknown;
    if (bytes !== null) {
      try {
        text = (gzip ? gunzipSync(bytes) : bytes).toString('utf8');
        const json = parseJson(text);
        if (json.ok) parsed = json.value;
      } catch {
        text = null;
      }
    }
    if (request.method !== 'POST')
      return {
        status: 405,
        body: errorBody('MethodNotAllowed', `${request.method} is not allowed; use POST.`),
        parsed,
      };
    if (dcr !== dcrImmutableId)
      return {
        status: 404,
        body: errorBody('NotFound', `Data collection rule with immutable Id '${dcr}' not found.`),
        parsed,
      };
    if (stream !== streamName)
      return {
        status: 404,
        body: errorBody('NotFound', `Stream '${stream}' is not declared in the data collection rule '${dcr}'.`),
        parsed,
      };
    if (!url.searchParams.get('api-version'))
      return {
        status: 400,
        body: errorBody(
          'MissingApiVersionParameter',
          'The api-version query parameter (?api-version=) is required for all requests.',
        ),
        parsed,
      };
    const scripted = takeFailure('ingest');
    if (scripted !== undefined) return scriptedResponse(scripted, parsed);
    const size = bytes?.length ?? 0;
    if (size > MAX_INGEST_BODY_BYTES) {
      return {
        status: 413,
        body: errorBody(
          'ContentLengthLimitExceeded',
          `The request body has ${size} bytes; the limit is ${MAX_INGEST_BODY_BYTES} bytes (1 MB), compressed or not.`,
        ),
        parsed,
      };
    }
    if (text === null)
      return {
        status: 400,
        body: errorBody(
          'InvalidContentEncoding',
          'The body could not be decoded (Content-Encoding: gzip expects a gzip stream).',
        ),
        parsed,
      };
    if (!Array.isArray(parsed) || !parsed.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r))) {
      return { status: 400, body: errorBody('InvalidStream', 'The body must be a JSON array of objects.'), parsed };
    }
    const rows = parsed as Record<string, unknown>[];
    const declared = new Set(STREAM_COLUMNS.map((c) => c.name));
    for (const [i, row] of rows.entries()) {
      const unknown = Object.keys(row).filter((k) => !declared.has(k));
      if (unknown.length > 0) {
        return {
          status: 400,
          body: errorBody(
            'InvalidStream',
            `Row ${i}: the stream '${streamName}' declares no column ${unknown.map((k) => `'${k}'`).join(', ')}.`,
          ),
          parsed,
        };
      }
    }
    const table = tables.get(streamTable)!;
    tables.set(streamTable, {
      columns: table.columns,
      rows: [...table.rows, ...convertRows(streamTable, table, rows, dateToKqlDatetime(options.now()))],
    });
    uploads.push({ rows, bytes: size, gzip });
    return { status: 204, parsed };
  };

  const query = (
    request: PipelineRequest,
    id: string,
    bytes: Buffer | null,
  ): { status: number; body?: unknown; parsed?: unknown; headers?: Record<string, string> } => {
    const json = bytes === null ? ({ ok: false } as const) : parseJson(bytes.toString('utf8'));
    const parsed = json.ok ? json.value : undefined;
    if (request.method !== 'POST')
      return {
        status: 405,
        body: errorBody('MethodNotAllowed', `${request.method} is not supported by this fake; use POST.`),
        parsed,
      };
    if (id !== workspaceId)
      return {
        status: 404,
        body: errorBody('PathNotFoundError', `The requested path does not exist: workspace '${id}' not found.`),
        parsed,
      };
    const scripted = takeFailure('query');
    if (scripted !== undefined) return scriptedResponse(scripted, parsed);
    const bad = (message: string, inner: 'SyntaxError' | 'SemanticError' | 'InvalidArgument') => ({
      status: 400,
      body: errorBody('BadArgumentError', `The request had some invalid properties: ${message}`, {
        innererror: { code: inner, message },
      }),
      parsed,
    });
    const body = parsed as { query?: unknown; timespan?: unknown } | undefined;
    if (typeof body !== 'object' || body === null || typeof body.query !== 'string')
      return bad('The body must be a JSON object with a string "query".', 'InvalidArgument');
    const now = options.now();
    let visible: Record<string, KqlTable> = Object.fromEntries(tables);
    if (body.timespan !== undefined && body.timespan !== null) {
      const span = typeof body.timespan === 'string' ? parseQueryTimespan(body.timespan, now) : null;
      if (span === null) return bad(`Invalid timespan ${JSON.stringify(body.timespan)}.`, 'InvalidArgument');
      visible = Object.fromEntries([...tables].map(([name, t]) => [name, withinTimespan(t, span)]));
    }
    let result: KqlTable;
    try {
      result = runKql(body.query, visible, { now });
    } catch (err) {
      if (err instanceof KqlError) return bad(err.message, err.kind === 'syntax' ? 'SyntaxError' : 'SemanticError');
      throw err;
    }
    const answer: Record<string, unknown> = { tables: [wireTable(result)] };
    if (partial !== null) {
      answer.error = {
        code: 'PartialError',
        message: 'There were some errors when processing your query.',
        details: [{ ...partial }],
      };
      partial = null;
    }
    return { status: 200, body: answer, parsed };
  };

  const httpClient: HttpClient = {
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      const url = new URL(request.url);
      const ingestPath = /\/dataCollectionRules\/([^/]+)\/streams\/([^/]+)$/.exec(url.pathname);
      const queryPath = /\/workspaces\/([^/]+)\/query$/.exec(url.pathname);
      const api: FakeApi = ingestPath !== null || url.pathname.includes('/dataCollectionRules/') ? 'ingest' : 'query';
      const bytes = await readBody(request.body);
      let outcome: { status: number; body?: unknown; parsed?: unknown; headers?: Record<string, string> };
      if (!/^Bearer\s+\S+/i.test(request.headers.get('authorization') ?? '')) {
        outcome = { status: 401, body: scriptedBody(api, 401, dcrImmutableId) };
      } else if (ingestPath !== null) {
        outcome = ingest(request, url, decodeURIComponent(ingestPath[1]!), decodeURIComponent(ingestPath[2]!), bytes);
      } else if (queryPath !== null) {
        outcome = query(request, decodeURIComponent(queryPath[1]!), bytes);
      } else {
        outcome = {
          status: 404,
          body: errorBody('PathNotFoundError', `The requested path does not exist: ${url.pathname}`),
        };
      }
      requests.push({
        api,
        method: request.method,
        url: request.url,
        status: outcome.status,
        ...(outcome.parsed !== undefined ? { body: outcome.parsed } : {}),
      });
      return respond(request, outcome.status, outcome.body, outcome.headers);
    },
  };

  return {
    httpClient,
    workspaceId,
    dcrImmutableId,
    streamName,
    uploads,
    requests,
    failNext(failure) {
      failures.push({ failure, remaining: failure.times ?? 1 });
    },
    partialNext(error) {
      partial = { code: error.code, message: error.message };
    },
    table(name) {
      const t = tables.get(name);
      if (t === undefined) throw new Error(`no table ${name}`);
      return copyTable(t);
    },
    setTable(name, table) {
      tables.set(name, normalizedTable(table));
    },
    addRows(name, rows) {
      const t = tables.get(name);
      if (t === undefined) throw new Error(`no table ${name}`);
      tables.set(name, {
        columns: t.columns,
        rows: [...t.rows, ...convertRows(name, t, rows, dateToKqlDatetime(options.now()))],
      });
    },
  };
}

/** The rows whose TimeGenerated lies in the timespan (bounds inclusive); tables without a datetime TimeGenerated are kept whole. */
function withinTimespan(table: KqlTable, span: { from: string; to: string }): KqlTable {
  const i = table.columns.findIndex((c) => c.name === 'TimeGenerated' && c.type === 'datetime');
  if (i === -1) return table;
  return {
    columns: table.columns,
    rows: table.rows.filter((r) => {
      const t = r[i];
      return typeof t === 'string' && t >= span.from && t <= span.to;
    }),
  };
}

/** A TokenCredential for the SDK clients in tests: a fixed token, valid for an hour. */
export const testCredential: TokenCredential = {
  getToken: () => Promise.resolve({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};
