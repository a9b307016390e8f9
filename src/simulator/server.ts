/**
 * HTTP routing of the simulator: the identity endpoints (token, discovery) and the MDE API under
 * `/api` and `/api/v1.0`. Order of checks for an API request: fault injection (it stands for the
 * network and gateway), authentication (401), routing (404/405), permission (403), throttling (429),
 * then the handler. Response shapes follow shared/reference/mde-api.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { isFinalStatus, type MachineAction, type RelatedFileInfo } from '../core/types.js';
import {
  handleTokenRequest,
  instanceDiscovery,
  openIdConfiguration,
  verifyBearer,
  type AuthConfig,
  type TokenClaims,
} from './auth.js';
import type { FaultAction, FaultInjector } from './faults.js';
import { describeMachine } from './generator.js';
import { MAX_TOP, ODATA_ERROR_PREFIX, ODataQueryError, parseQuery } from './odata.js';
import type { Random } from './prng.js';
import type { Tenant } from './state.js';
import type { Throttle } from './throttle.js';
import type { SimulatorStats } from './types.js';

const ODATA_JSON = 'application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8';
const PLAIN_JSON = 'application/json; charset=utf-8';
/** Largest request body accepted, bytes. */
const MAX_BODY_BYTES = 1_048_576;

const READ_ROLES = ['Machine.Read.All', 'Machine.ReadWrite.All'];
const CANCEL_ROLES = [
  'Machine.CollectForensics',
  'Machine.Isolate',
  'Machine.RestrictExecution',
  'Machine.Scan',
  'Machine.Offboard',
  'Machine.StopAndQuarantine',
  'Machine.LiveResponse',
];

interface ActionRoute {
  type: string;
  roles: string[];
  /** Required body keys, case-sensitive, in the order they are checked. */
  required: string[];
  /** Allowed values for enum-like keys. */
  enums?: Record<string, string[]>;
  /** Body key whose value becomes `scope`. */
  scopeKey?: string;
  /** Error code when the device already has this action Pending/InProgress. */
  duplicateCode?: string;
}

/** Machine action endpoints, keyed by the lower-cased route segment (routing is case-insensitive). */
const ACTION_ROUTES: Record<string, ActionRoute> = {
  isolate: {
    type: 'Isolate',
    roles: ['Machine.Isolate'],
    required: ['Comment', 'IsolationType'],
    enums: { IsolationType: ['Full', 'Selective', 'UnManagedDevice'] },
    scopeKey: 'IsolationType',
  },
  unisolate: { type: 'Unisolate', roles: ['Machine.Isolate'], required: ['Comment'] },
  runantivirusscan: {
    type: 'RunAntiVirusScan',
    roles: ['Machine.Scan'],
    required: ['Comment', 'ScanType'],
    enums: { ScanType: ['Quick', 'Full'] },
    scopeKey: 'ScanType',
  },
  restrictcodeexecution: { type: 'RestrictCodeExecution', roles: ['Machine.RestrictExecution'], required: ['Comment'] },
  unrestrictcodeexecution: {
    type: 'UnrestrictCodeExecution',
    roles: ['Machine.RestrictExecution'],
    required: ['Comment'],
  },
  collectinvestigationpackage: {
    type: 'CollectInvestigationPackage',
    roles: ['Machine.CollectForensics'],
    required: ['Comment'],
  },
  stopandquarantinefile: {
    type: 'StopAndQuarantineFile',
    roles: ['Machine.StopAndQuarantine'],
    required: ['Comment', 'Sha1'],
  },
  offboard: { type: 'Offboard', roles: ['Machine.Offboard'], required: ['Comment'] },
  runliveresponse: {
    type: 'LiveResponse',
    roles: ['Machine.LiveResponse'],
    required: ['Comment', 'Commands'],
    duplicateCode: 'ActiveRequestAlreadyExists',
  },
};

export interface ServerContext {
  tenant: Tenant;
  clock: Clock;
  logger: Logger;
  /** Correlation ids and token claims. */
  random: Random;
  seed: number;
  auth: AuthConfig;
  throttle: Throttle | undefined;
  /** Live response has its own, lower budget (10 calls per minute). */
  liveResponseThrottle: Throttle | undefined;
  faults: FaultInjector;
  stats: SimulatorStats;
  hooks: { beforeList?: (query: URLSearchParams, callIndex: number) => void };
  rejectLastUpdateFilter: boolean;
  /** `https://127.0.0.1:<port>`, known once listening. */
  origin(): string;
  /** Sends after `ms` real milliseconds unless the simulator stops first. */
  delay(ms: number, fn: () => void): void;
}

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string>;
}

const json = (
  status: number,
  value: unknown,
  contentType = PLAIN_JSON,
  headers: Record<string, string> = {},
): Reply => ({
  status,
  body: JSON.stringify(value),
  headers: { 'Content-Type': contentType, ...headers },
});

export function createRequestHandler(ctx: ServerContext): (req: IncomingMessage, res: ServerResponse) => void {
  const apiError = (status: number, code: string, message: string, headers: Record<string, string> = {}): Reply =>
    json(status, { error: { code, message, target: ctx.random.uuid() } }, PLAIN_JSON, headers);

  const odataError = (message: string): Reply =>
    json(400, { error: { code: '', message: ODATA_ERROR_PREFIX + message, details: [] } });

  const entityContext = (): string => `${ctx.origin()}/api/$metadata#MachineActions/$entity`;
  const entity = (status: number, action: MachineAction): Reply => ({
    status,
    body: `{"@odata.context":${JSON.stringify(entityContext())},${JSON.stringify(action).slice(1)}`,
    headers: { 'Content-Type': ODATA_JSON, 'OData-Version': '4.0' },
  });

  const send = (res: ServerResponse, reply: Reply): void => {
    if (res.destroyed || res.headersSent) return;
    res.writeHead(reply.status, { ...reply.headers, 'Content-Length': String(Buffer.byteLength(reply.body)) });
    res.end(reply.body);
  };

  // ------------------------------------------------------------------------------------------
  // Identity endpoints

  const identity = (req: IncomingMessage, segments: string[], body: string): Reply | undefined => {
    const origin = ctx.origin();
    const [first = '', ...rest] = segments;
    const path = rest.join('/').toLowerCase();
    if (req.method === 'POST' && path === 'oauth2/v2.0/token') {
      ctx.stats.tokenRequests++;
      const result = handleTokenRequest(ctx.auth, first, new URLSearchParams(body), basicCredentials(req), {
        nowMs: ctx.clock.now(),
        random: ctx.random,
        origin,
        correlationId: headerValue(req, 'client-request-id'),
      });
      return json(result.status, result.body, PLAIN_JSON, {
        'Cache-Control': 'no-store, no-cache',
        Pragma: 'no-cache',
      });
    }
    if (req.method !== 'GET') return undefined;
    if (first.toLowerCase() === 'common' && path === 'discovery/instance') {
      return json(200, instanceDiscovery(origin, ctx.auth.tenantId));
    }
    if (path === 'v2.0/.well-known/openid-configuration' || path === '.well-known/openid-configuration') {
      if (first.toLowerCase() !== ctx.auth.tenantId.toLowerCase()) {
        return json(400, {
          error: 'invalid_tenant',
          error_description: `AADSTS90002: Tenant '${first}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
          error_codes: [90002],
        });
      }
      return json(200, openIdConfiguration(origin, ctx.auth.tenantId));
    }
    if (path === 'discovery/v2.0/keys' || path === 'discovery/keys') return json(200, { keys: [] });
    return undefined;
  };

  // ------------------------------------------------------------------------------------------
  // API

  const authorize = (claims: TokenClaims, roles: string[]): Reply | undefined => {
    if (claims.roles.some((r) => roles.includes(r))) return undefined;
    return apiError(
      403,
      'Forbidden',
      `The application does not have any of the required application permissions (${roles.join(', ')}) to access the resource.`,
    );
  };

  const throttled = (api: string, throttle: Throttle | undefined): Reply | undefined => {
    if (!throttle) return undefined;
    const decision = throttle.check(api, ctx.clock.now());
    if (decision.allowed) return undefined;
    ctx.stats.throttled++;
    return apiError(
      429,
      'TooManyRequests',
      `API calls quota exceeded for this API (limit per ${decision.limit}). Retry in ${decision.retryAfterSeconds} seconds.`,
      { 'Retry-After': String(decision.retryAfterSeconds) },
    );
  };

  const list = (url: URL): Reply => {
    const params = new URLSearchParams(url.search);
    ctx.hooks.beforeList?.(new URLSearchParams(params), ctx.stats.listCalls);
    ctx.stats.listCalls++;
    let parsed;
    try {
      parsed = parseQuery(params, { rejectLastUpdate: ctx.rejectLastUpdateFilter });
    } catch (err) {
      if (err instanceof ODataQueryError) return odataError(err.message);
      throw err;
    }
    const result = ctx.tenant.query(parsed);
    const parts: string[] = [];
    for (const a of result.rows) parts.push(JSON.stringify(a));
    const origin = ctx.origin();
    let body = `{"@odata.context":${JSON.stringify(`${origin}/api/$metadata#MachineActions`)},"value":[${parts.join(',')}]`;
    if (result.more) {
      // Server-driven paging: only without $top and only when more than 10,000 rows remain.
      const next: string[] = [];
      for (const [k, v] of params) if (k !== '$skip') next.push(`${k}=${encodeURIComponent(v)}`);
      next.push(`$skip=${parsed.skip + MAX_TOP}`);
      body += `,"@odata.nextLink":${JSON.stringify(`${origin}${url.pathname}?${next.join('&')}`)}`;
    }
    body += '}';
    return { status: 200, body, headers: { 'Content-Type': ODATA_JSON, 'OData-Version': '4.0' } };
  };

  const machineAction = (claims: TokenClaims, machineRef: string, route: ActionRoute, body: string): Reply => {
    const machine = ctx.tenant.findMachine(machineRef);
    if (!machine) return apiError(404, 'ResourceNotFound', `Machine ${machineRef} was not found`);
    const parsed = parseBody(body);
    if (!parsed.ok) return apiError(400, 'InvalidRequestBody', 'Request body is incorrect');
    const check = checkRequired(parsed.value, route.required);
    if (check) return apiError(400, check.code, check.message);
    for (const [key, allowed] of Object.entries(route.enums ?? {})) {
      const v = parsed.value[key];
      if (typeof v !== 'string' || !allowed.includes(v)) {
        return apiError(
          400,
          'InvalidRequestBody',
          `Request body is incorrect: ${key} must be one of ${allowed.join(', ')}`,
        );
      }
    }
    let relatedFileInfo: RelatedFileInfo | null = null;
    if (route.type === 'StopAndQuarantineFile') {
      const sha1 = parsed.value['Sha1'];
      if (typeof sha1 !== 'string' || !/^[0-9a-fA-F]{40}$/.test(sha1)) {
        return apiError(
          400,
          'InvalidRequestBody',
          'Request body is incorrect: Sha1 must be a SHA-1 hash (40 hexadecimal characters)',
        );
      }
      relatedFileInfo = { fileIdentifier: sha1.toLowerCase(), fileIdentifierType: 'Sha1' };
    }
    let commands: unknown[] = [];
    if (route.type === 'LiveResponse') {
      const requested = parsed.value['Commands'];
      if (!Array.isArray(requested) || requested.length === 0 || !requested.every(isLiveResponseCommand)) {
        return apiError(
          400,
          'InvalidRequestBody',
          'Request body is incorrect: Commands must be a non-empty array of {type, params}',
        );
      }
      commands = requested.map((c, index) => ({
        index,
        startTime: null,
        endTime: null,
        commandStatus: 'Created',
        errors: [],
        command: { type: c.type, params: c.params ?? [] },
      }));
    }
    if (ctx.tenant.hasActiveAction(machine.id, route.type)) {
      return route.duplicateCode
        ? apiError(400, route.duplicateCode, 'An active live response session already exists on this device')
        : apiError(400, 'BadRequest', 'Action is already in progress');
    }
    const scope = route.scopeKey ? (parsed.value[route.scopeKey] as string) : null;
    const created = ctx.tenant.create({
      machineId: machine.id,
      type: route.type,
      requestor: claims.appid,
      comment: parsed.value['Comment'] as string,
      scope,
      // App-created actions carry no device name until the device picks them up (XSOAR sample).
      computerDnsName: null,
      requestSource: 'PublicApi',
      relatedFileInfo,
      commands,
    });
    const stored = ctx.tenant.ref(created.id) ?? created;
    return entity(201, stored);
  };

  const cancel = (claims: TokenClaims, id: string, body: string): Reply => {
    const action = ctx.tenant.ref(id);
    if (!action) return apiError(404, 'ResourceNotFound', `Machine action ${id} was not found`);
    const parsed = parseBody(body);
    if (!parsed.ok) return apiError(400, 'InvalidRequestBody', 'Request body is incorrect');
    const check = checkRequired(parsed.value, ['Comment']);
    if (check) return apiError(400, check.code, check.message);
    if (isFinalStatus(action.status)) {
      // The real error for this case is unverified (reference 7.3); a 400 BadRequest is our choice.
      return apiError(
        400,
        'BadRequest',
        `Machine action ${action.id} is in a final state (${action.status}) and cannot be cancelled`,
      );
    }
    const cancelled = ctx.tenant.transition(action.id, 'Cancelled', {
      cancellationRequestor: claims.appid,
      cancellationComment: parsed.value['Comment'] as string,
    });
    return entity(200, ctx.tenant.ref(cancelled.id) ?? cancelled);
  };

  const machine = (ref: string): Reply => {
    const m = ctx.tenant.findMachine(ref);
    if (!m) return apiError(404, 'ResourceNotFound', `Machine ${ref} was not found`);
    const value = {
      '@odata.context': `${ctx.origin()}/api/$metadata#Machines/$entity`,
      ...describeMachine(m, ctx.seed, ctx.clock.now()),
    };
    return json(200, value, ODATA_JSON, { 'OData-Version': '4.0' });
  };

  /** Routes an authenticated API request; `segments` follow `/api` (and `/v1.0`). */
  const api = (req: IncomingMessage, url: URL, segments: string[], claims: TokenClaims, body: string): Reply => {
    const lower = segments.map((s) => s.toLowerCase());
    const method = req.method ?? 'GET';
    const methodNotAllowed = (): Reply =>
      apiError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`);
    if (lower[0] === 'machineactions') {
      if (segments.length === 1) {
        if (method !== 'GET') return methodNotAllowed();
        return authorize(claims, READ_ROLES) ?? throttled('machineactions.list', ctx.throttle) ?? list(url);
      }
      const id = segments[1] ?? '';
      if (segments.length === 2) {
        if (method !== 'GET') return methodNotAllowed();
        const denied = authorize(claims, READ_ROLES) ?? throttled('machineactions.get', ctx.throttle);
        if (denied) return denied;
        const a = ctx.tenant.ref(id);
        return a ? entity(200, a) : apiError(404, 'ResourceNotFound', `Machine action ${id} was not found`);
      }
      if (segments.length === 3 && lower[2] === 'cancel') {
        if (method !== 'POST') return methodNotAllowed();
        return (
          authorize(claims, CANCEL_ROLES) ??
          throttled('machineactions.cancel', ctx.throttle) ??
          cancel(claims, id, body)
        );
      }
    }
    if (lower[0] === 'machines' && segments.length >= 2) {
      const ref = segments[1] ?? '';
      if (segments.length === 2) {
        if (method !== 'GET') return methodNotAllowed();
        return authorize(claims, READ_ROLES) ?? throttled('machines.get', ctx.throttle) ?? machine(ref);
      }
      const route = segments.length === 3 ? ACTION_ROUTES[lower[2] ?? ''] : undefined;
      if (route) {
        if (method !== 'POST') return methodNotAllowed();
        const throttle = route.type === 'LiveResponse' ? ctx.liveResponseThrottle : ctx.throttle;
        return (
          authorize(claims, route.roles) ??
          throttled(`machines.${lower[2]}`, throttle) ??
          machineAction(claims, ref, route, body)
        );
      }
    }
    return apiError(404, 'NotFound', `No HTTP resource was found that matches the request URI '${url.pathname}'.`);
  };

  /** Applies a fault (or none) around the normal API reply. */
  const respondApi = (
    req: IncomingMessage,
    res: ServerResponse,
    fault: FaultAction | undefined,
    produce: () => Reply,
  ): void => {
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      send(res, faultReply(fault));
      return;
    }
    const reply = produce();
    if (fault?.kind === 'malformed') {
      // Any proper prefix of a JSON object is invalid JSON.
      const cut = reply.body.slice(0, Math.max(1, Math.floor(reply.body.length / 2)));
      send(res, { status: 200, body: cut, headers: { 'Content-Type': ODATA_JSON, 'OData-Version': '4.0' } });
      return;
    }
    if (fault?.kind === 'slow') {
      ctx.delay(fault.ms, () => send(res, reply));
      return;
    }
    send(res, reply);
  };

  const faultReply = (fault: Extract<FaultAction, { kind: 'status' }>): Reply => {
    const headers: Record<string, string> = {};
    if (fault.retryAfterSeconds !== undefined) headers['Retry-After'] = String(fault.retryAfterSeconds);
    if (fault.body !== undefined)
      return { status: fault.status, body: fault.body, headers: { 'Content-Type': PLAIN_JSON, ...headers } };
    const [code, message] = faultCode(fault.status);
    return apiError(fault.status, code, message, headers);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const started = ctx.clock.now();
    const url = new URL(req.url ?? '/', ctx.origin());
    let segments: string[];
    try {
      segments = url.pathname
        .split('/')
        .filter((s) => s !== '')
        .map((s) => decodeURIComponent(s));
    } catch {
      send(res, apiError(400, 'BadRequest', 'The request URI is not valid.'));
      return;
    }
    const log = (status: number | string): void =>
      ctx.logger.debug('simulator request', {
        method: req.method,
        path: url.pathname,
        status,
        ms: ctx.clock.now() - started,
      });

    if (segments[0]?.toLowerCase() !== 'api') {
      const reply =
        identity(req, segments, body) ??
        json(404, { error: { code: 'NotFound', message: `No resource at ${url.pathname}` } });
      send(res, reply);
      log(reply.status);
      return;
    }
    ctx.stats.apiCalls++;
    const fault = ctx.faults.next();
    if (fault) ctx.stats.faultsInjected++;
    const rest = segments[1]?.toLowerCase() === 'v1.0' ? segments.slice(2) : segments.slice(1);
    respondApi(req, res, fault, () => {
      const check = verifyBearer(ctx.auth, headerValue(req, 'authorization'), ctx.clock.now());
      let reply: Reply;
      if (!check.ok) {
        ctx.logger.debug('simulator rejected token', { reason: check.reason });
        reply = apiError(401, 'Unauthorized', 'Authorization has been denied for this request.', {
          'WWW-Authenticate': 'Bearer',
        });
      } else {
        try {
          reply = api(req, url, rest, check.claims, body);
        } catch (err) {
          ctx.logger.error('simulator handler failed', { error: err instanceof Error ? err.message : String(err) });
          reply = apiError(500, 'InternalServerError', 'An error has occurred.');
        }
      }
      log(fault ? `${reply.status} (fault ${fault.kind})` : reply.status);
      return reply;
    });
  };

  return (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) {
        send(res, apiError(413, 'RequestEntityTooLarge', `Request body larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      handle(req, res, Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', () => res.destroy());
  };
}

function faultCode(status: number): [string, string] {
  if (status === 429) return ['TooManyRequests', 'API calls quota exceeded. Retry later.'];
  if (status === 401) return ['Unauthorized', 'Authorization has been denied for this request.'];
  if (status === 403)
    return ['Forbidden', 'The application does not have the required permissions to access the resource.'];
  if (status === 404) return ['NotFound', 'The requested resource was not found.'];
  if (status >= 500) return ['InternalServerError', 'An error has occurred.'];
  return ['BadRequest', 'The request is invalid.'];
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function basicCredentials(req: IncomingMessage): { id: string; secret: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(headerValue(req, 'authorization') ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1] ?? '', 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  return { id: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)) };
}

function parseBody(body: string): { ok: true; value: Record<string, unknown> } | { ok: false } {
  try {
    const value: unknown = JSON.parse(body);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false };
    return { ok: true, value: value as Record<string, unknown> };
  } catch {
    return { ok: false };
  }
}

/**
 * Body keys are case-sensitive: a key present only in another case is an `InvalidRequestBody`; a
 * key absent (or null/empty) is `MissingRequiredParameter`.
 */
function checkRequired(
  body: Record<string, unknown>,
  required: string[],
): { code: string; message: string } | undefined {
  for (const key of required) {
    if (!(key in body)) {
      const wrongCase = Object.keys(body).find((k) => k.toLowerCase() === key.toLowerCase());
      if (wrongCase !== undefined) {
        return {
          code: 'InvalidRequestBody',
          message: `Request body is incorrect: unknown parameter '${wrongCase}' (did you mean '${key}'?)`,
        };
      }
      return { code: 'MissingRequiredParameter', message: `${key} is required` };
    }
    const v = body[key];
    if (v === null || v === '') return { code: 'MissingRequiredParameter', message: `${key} is required` };
    if (key === 'Commands' ? !Array.isArray(v) : typeof v !== 'string') {
      return { code: 'InvalidRequestBody', message: `Request body is incorrect: ${key} has the wrong type` };
    }
  }
  return undefined;
}

function isLiveResponseCommand(c: unknown): c is { type: string; params?: unknown[] } {
  if (c === null || typeof c !== 'object') return false;
  const o = c as Record<string, unknown>;
  return (
    typeof o['type'] === 'string' &&
    ['PutFile', 'RunScript', 'GetFile'].includes(o['type']) &&
    (o['params'] === undefined || Array.isArray(o['params']))
  );
}
