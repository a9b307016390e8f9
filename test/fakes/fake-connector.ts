/**
 * A fake Bot Connector (the Teams service a bot calls back into), on node:http bound to 127.0.0.1,
 * port 0. It implements the wire paths of shared/reference/teams.md section 15.2:
 *
 * - `POST /v3/conversations/{id}/activities` and `.../activities/{replyToId}`: 201 `{id}`
 * - `PUT /v3/conversations/{id}/activities/{activityId}`: 200 `{id}`
 * - `DELETE /v3/conversations/{id}/activities/{activityId}`: 200
 * - `POST /v3/conversations`: a new channel thread, `{id: '<channel>;messageid=<n>', activityId: '<n>'}`
 *
 * Anything before `/v3/` in the path is ignored, so a serviceUrl with a base path works too.
 * Activity ids are decimal strings from one counter, increasing across all conversations.
 * Every call is recorded, failed ones included; `failNext` scripts error answers.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ConnectorCall {
  method: string;
  /** The URL path as received (still URL-encoded), without the query string. */
  path: string;
  /** URL-decoded conversation id from the path; for `POST /v3/conversations`, the created id. */
  conversationId: string | undefined;
  /** URL-decoded activity id from the path (the reply-to id on a POST, the target on PUT/DELETE). */
  activityId: string | undefined;
  /** The Authorization header, or undefined when absent (authentication off). */
  authorization: string | undefined;
  /** The parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  body: unknown;
  /** The status the fake answered with. */
  status: number;
  /** The id the fake assigned (new activity, or the root activity of a new thread). */
  assignedId: string | undefined;
  /** When the request body had been read, epoch ms (Date.now()). */
  receivedAtMs: number;
}

export interface InjectedFailure {
  status: number;
  /** Value of the Retry-After header in seconds (or any string); absent when undefined. */
  retryAfter?: number | string;
  /** Body: an object is sent as JSON, a string as text; defaults to `{error: {code, message}}` built from the status. */
  body?: unknown;
  /** How many consecutive calls get this answer (default 1). */
  times?: number;
}

export interface PostedCard {
  conversationId: string;
  /** The id the fake assigned to the posted activity. */
  activityId: string;
  card: unknown;
}

export interface FakeConnector {
  /** Base URL to use as `serviceUrl`, with a trailing slash: `http://127.0.0.1:<port>/`. */
  readonly url: string;
  readonly port: number;
  /** Every call received, in arrival order. */
  readonly calls: ConnectorCall[];
  /** Adaptive Card contents of successful POSTs (sends and new threads), in order. */
  cardsPosted(): PostedCard[];
  /** Text of successful POSTed message activities, in order. */
  textsPosted(): string[];
  /** Resolves with all calls once at least `n` have arrived (at once when they already have). */
  waitForCalls(n: number): Promise<ConnectorCall[]>;
  /** Queues an error answer for the next call(s); queued failures are used in order. */
  failNext(failure: InjectedFailure): void;
  /** Forgets recorded calls and queued failures (the id counter keeps increasing). */
  reset(): void;
  close(): Promise<void>;
}

const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  412: 'PreconditionFailed',
  413: 'MessageSizeTooBig',
  429: 'Throttled',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

interface Waiter {
  n: number;
  resolve: (calls: ConnectorCall[]) => void;
}

export async function startFakeConnector(): Promise<FakeConnector> {
  const calls: ConnectorCall[] = [];
  const failures: InjectedFailure[] = [];
  let waiters: Waiter[] = [];
  let seq = 1000;
  const nextId = (): string => String(++seq);

  const record = (call: ConnectorCall): void => {
    calls.push(call);
    const ready = waiters.filter((w) => calls.length >= w.n);
    waiters = waiters.filter((w) => calls.length < w.n);
    for (const w of ready) w.resolve([...calls]);
  };

  const takeFailure = (): InjectedFailure | undefined => {
    const f = failures[0];
    if (!f) return undefined;
    const left = (f.times ?? 1) - 1;
    if (left <= 0) failures.shift();
    else failures[0] = { ...f, times: left };
    return f;
  };

  const handle = (req: IncomingMessage, res: ServerResponse, text: string): void => {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const auth = req.headers.authorization;
    let body: unknown;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const v3 = path.indexOf('/v3/');
    const segments = (v3 >= 0 ? path.slice(v3 + 1) : path.slice(1)).split('/');
    // segments: ['v3', 'conversations', id?, 'activities'?, activityId?]
    const isConversations = segments[0] === 'v3' && segments[1] === 'conversations';
    const conversationId = isConversations && segments[2] !== undefined ? decodeURIComponent(segments[2]) : undefined;
    const isActivities = isConversations && segments[3] === 'activities' && segments.length <= 5;
    const activityId = isActivities && segments[4] !== undefined ? decodeURIComponent(segments[4]) : undefined;
    const base = { method, path, authorization: auth, body, receivedAtMs: Date.now() };

    /** Objects go out as JSON, strings as they are (text/plain), undefined as an empty body. */
    const reply = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      const out = payload === undefined ? '' : typeof payload === 'string' ? payload : JSON.stringify(payload);
      const type =
        payload === undefined
          ? {}
          : {
              'Content-Type':
                typeof payload === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
            };
      res.writeHead(status, { ...type, ...headers });
      res.end(out);
    };

    const failure = takeFailure();
    if (failure) {
      record({ ...base, conversationId, activityId, status: failure.status, assignedId: undefined });
      const headers: Record<string, string> =
        failure.retryAfter === undefined ? {} : { 'Retry-After': String(failure.retryAfter) };
      const reason = REASONS[failure.status] ?? 'Error';
      reply(
        failure.status,
        failure.body ?? { error: { code: reason, message: `injected ${failure.status}` } },
        headers,
      );
      return;
    }

    if (method === 'POST' && isConversations && segments.length === 2) {
      const channelId = channelOf(body);
      const id = nextId();
      const created = channelId === undefined ? `a:conversation-${id}` : `${channelId};messageid=${id}`;
      record({ ...base, conversationId: created, activityId: undefined, status: 201, assignedId: id });
      reply(201, { id: created, activityId: id });
      return;
    }
    if (isActivities && conversationId !== undefined) {
      if (method === 'POST') {
        const id = nextId();
        record({ ...base, conversationId, activityId, status: 201, assignedId: id });
        reply(201, { id });
        return;
      }
      if (method === 'PUT' && activityId !== undefined) {
        record({ ...base, conversationId, activityId, status: 200, assignedId: undefined });
        reply(200, { id: activityId });
        return;
      }
      if (method === 'DELETE' && activityId !== undefined) {
        record({ ...base, conversationId, activityId, status: 200, assignedId: undefined });
        reply(200, undefined);
        return;
      }
    }
    record({ ...base, conversationId, activityId, status: 404, assignedId: undefined });
    reply(404, { error: { code: 'NotFound', message: `fake connector: no route for ${method} ${path}` } });
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const successfulPosts = (): ConnectorCall[] =>
    calls.filter((c) => c.method === 'POST' && c.status < 300 && c.assignedId !== undefined);

  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    calls,
    cardsPosted() {
      const out: PostedCard[] = [];
      for (const c of successfulPosts()) {
        for (const card of adaptiveCardsOf(activityOf(c))) {
          out.push({ conversationId: c.conversationId ?? '', activityId: c.assignedId ?? '', card });
        }
      }
      return out;
    },
    textsPosted() {
      const out: string[] = [];
      for (const c of successfulPosts()) {
        const a = activityOf(c);
        if (typeof a?.['text'] === 'string') out.push(a['text']);
      }
      return out;
    },
    waitForCalls(n) {
      if (calls.length >= n) return Promise.resolve([...calls]);
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    failNext(failure) {
      failures.push(failure);
    },
    reset() {
      calls.length = 0;
      failures.length = 0;
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `channelData.channel.id` of a create-conversation body. */
function channelOf(body: unknown): string | undefined {
  if (!isObject(body) || !isObject(body['channelData']) || !isObject(body['channelData']['channel'])) return undefined;
  const id = body['channelData']['channel']['id'];
  return typeof id === 'string' ? id : undefined;
}

/** The activity of a POST: the body itself, or `body.activity` for create-conversation. */
function activityOf(call: ConnectorCall): Json | undefined {
  if (!isObject(call.body)) return undefined;
  if (call.path.endsWith('/v3/conversations') && isObject(call.body['activity'])) return call.body['activity'];
  return call.body;
}

function adaptiveCardsOf(activity: Json | undefined): unknown[] {
  const attachments = activity?.['attachments'];
  if (!Array.isArray(attachments)) return [];
  return attachments
    .filter((a): a is Json => isObject(a) && a['contentType'] === ADAPTIVE_CARD)
    .map((a) => a['content']);
}
