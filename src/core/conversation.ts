/**
 * Where the bot talks: our own record of a Teams conversation (SDK-neutral: botbuilder calls the
 * bot `bot`, the Agents SDK calls it `agent`; the Teams layer rebuilds the SDK reference from
 * this), the messages it posted there, and the outbound calls every module sends through.
 */

import type { SubscriptionRow } from './alerts.js';

/** The kinds of Teams conversation a bot can be in. */
export type ConversationType = 'channel' | 'groupChat' | 'personal';

/** Where to reach a conversation. Stored as it is (JSON) with the conversation's record. */
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

/**
 * Outbound calls to Teams. A failed call rejects with a SendError (core/send.ts) saying what the
 * connector answered; implementations rebuild SDK references from ConvRef.
 */
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

/** Teams marks a channel thread by appending this and the root post's id to the channel id. */
const THREAD_MARK = ';messageid=';

/**
 * The conversation a Teams conversation id belongs to: the id without any `;messageid=` suffix,
 * so that a channel and its threads are one conversation (one subscription, one pacing lane).
 * The one place that reads the suffix.
 */
export function conversationKey(conversationId: string): string {
  const i = conversationId.indexOf(THREAD_MARK);
  return i >= 0 ? conversationId.slice(0, i) : conversationId;
}

/** The root post's id of a thread conversation id, or '' when the id names no thread. */
export function threadRootId(conversationId: string): string {
  const i = conversationId.indexOf(THREAD_MARK);
  return i >= 0 ? conversationId.slice(i + THREAD_MARK.length) : '';
}

/** The conversation id of the thread under `rootActivityId` in channel `channelId`. */
export function threadConversationId(channelId: string, rootActivityId: string): string {
  return `${conversationKey(channelId)}${THREAD_MARK}${rootActivityId}`;
}

/** The key of the conversation `ref` addresses: its channel for a channel (or thread), else the chat. */
export function conversationKeyOf(ref: ConvRef): string {
  return ref.teamsChannelId ?? conversationKey(ref.conversationId);
}

/**
 * Reads a stored reference back (the store keeps it as JSON it does not interpret). Undefined when
 * the record lacks what addressing needs: such a conversation cannot be written to.
 */
export function readConvRef(value: unknown): ConvRef | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  const text = (k: string): boolean => typeof r[k] === 'string' && r[k] !== '';
  const kind = r['conversationType'];
  if (!text('serviceUrl') || !text('conversationId') || !text('botId') || typeof r['tenantId'] !== 'string')
    return undefined;
  if (kind !== 'channel' && kind !== 'groupChat' && kind !== 'personal') return undefined;
  return value as ConvRef;
}

/** The conversation a command came from. */
export interface ChatConversation {
  /** The channel or chat id (for a channel thread: the channel, not the thread). */
  conversationId: string;
  kind: string;
  name: string | null;
  /** Where to reach it, stored to post there later. */
  ref: ConvRef;
}

/** Subscription storage and the admin rule, injected so that commands stay free of I/O. */
export interface SubscriptionOps {
  /**
   * Whether the user (Entra ID object id; undefined when Teams sent none) is an admin. `strict`: only
   * a listed admin counts (for ad hoc KQL); otherwise an empty admin list lets everyone change
   * subscriptions. Never called with the channel user id: that id is not an Entra identity.
   */
  isAdmin(aadObjectId: string | undefined, strict?: boolean): boolean;
  /** Sets what the conversation receives, recording the conversation if needed. */
  set(conversation: ChatConversation, flags: { alerts: boolean; digest: boolean }, by: string): void;
  /** The current flags of a conversation (both false when unknown). */
  get(conversationId: string): { alerts: boolean; digest: boolean };
  list(): SubscriptionRow[];
}
