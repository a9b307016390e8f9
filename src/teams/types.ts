/**
 * The Teams boundary as the rest of the application sees it. No SDK imports here: botbuilder stays
 * inside the other files of src/teams/, so that a move to the Microsoft 365 Agents SDK replaces
 * those files and nothing else. Cards are plain Adaptive Card JSON objects built in src/cards.
 */

/** The kinds of Teams conversation a bot can be in. */
export type ConversationType = 'channel' | 'groupChat' | 'personal';

/**
 * Our own record of where to reach a conversation (the SDK's ConversationReference differs between
 * SDKs: `bot` in botbuilder, `agent` in the Agents SDK). Stored by the app; the gateway rebuilds the
 * SDK reference from it.
 */
export interface ConvRef {
  channelId: 'msteams';
  /** Bot Connector base URL for this conversation, e.g. `https://smba.trafficmanager.net/emea/`. */
  serviceUrl: string;
  /** Chat id, channel id, or `<channelId>;messageid=<rootId>` for a channel thread. */
  conversationId: string;
  conversationType: ConversationType;
  /** Entra ID tenant of the conversation. */
  tenantId: string;
  /** The bot's id in this conversation (the activity recipient, e.g. `28:<app id>`). */
  botId: string;
  /** Team id (`channelData.team.id`); set in channel conversations. */
  teamId?: string;
  /** Channel id without any `;messageid=` suffix; set in channel conversations. */
  teamsChannelId?: string;
  teamName?: string;
  channelName?: string;
}

/** Where a posted message lives, kept to update it or reply to it later. */
export interface PostedMessage {
  /** The conversation the message was posted in (for a new thread: `<channelId>;messageid=<rootId>`). */
  conversationId: string;
  /**
   * The activity id Teams assigned. Empty when Teams returned none (reported for some channels);
   * such a message cannot be updated.
   */
  activityId: string;
}

/** Outbound calls to Teams. Implementations rebuild SDK references from ConvRef. */
export interface TeamsGateway {
  /** Posts a card into the conversation (or thread) of `ref`. */
  postCard(ref: ConvRef, card: object): Promise<PostedMessage>;
  /** Starts a new thread in the channel of `ref` (a channel conversation) with `card` as its root post. */
  startThread(ref: ConvRef, card: object): Promise<PostedMessage>;
  /** Replaces the card of a posted message in place. `ref` supplies serviceUrl, tenant and bot. */
  updateCard(msg: PostedMessage, ref: ConvRef, card: object): Promise<void>;
  /** Posts a card as a reply in the thread whose root post is `rootActivityId` (channels only). */
  replyInThread(ref: ConvRef, rootActivityId: string, card: object): Promise<PostedMessage>;
}

/** The sender of an inbound message. */
export interface InboundUser {
  /** Teams user id (`29:…`). */
  id: string;
  /** Entra ID object id, when Teams sent it. */
  aadObjectId?: string;
  name?: string;
}

/** What is known about an installation event. */
export interface InstallInfo {
  /**
   * `installationUpdate` (action add) or `conversationUpdate` (the bot in membersAdded). Teams and
   * the Agents Playground send both for one install, so onInstall must be idempotent.
   */
  source: 'installationUpdate' | 'conversationUpdate';
  /** The channel picked in the install dialog (`channelData.settings.selectedChannel.id`). */
  selectedChannelId?: string;
  /** Who installed, when the activity says. */
  by?: InboundUser;
}

/** Reply to a chat command: plain text, or an Adaptive Card JSON object. */
export type CommandReply = string | object;

/**
 * What the application does with inbound Teams traffic. Handlers return values; the Teams layer
 * sends them. Activities from tenants that are not allowed never reach these handlers.
 */
export interface InboundHandlers {
  onInstall(ref: ConvRef, info: InstallInfo): Promise<void>;
  onUninstall(ref: ConvRef): Promise<void>;
  /**
   * `text` has the bot @mention removed and is trimmed; for an Action.Submit it is `value.command`.
   * Undefined: send nothing (a repeated rate-limit refusal).
   */
  onCommand(ref: ConvRef, text: string, user: InboundUser): Promise<CommandReply | undefined>;
}

/**
 * What is known about a failed call to the Bot Connector, read from botbuilder's RestError (possibly
 * wrapped as the `cause` of an AppError thrown by the gateway). Retry policies build on this.
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
  const status = typeof e['statusCode'] === 'number' ? e['statusCode'] : typeof response?.['status'] === 'number' ? response['status'] : undefined;
  if (status !== undefined) out.statusCode = status;
  const body = isObject(response?.['parsedBody']) ? response['parsedBody'] : isObject(e['details']) ? e['details'] : undefined;
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
