/**
 * The conversations the bot is in and what each is subscribed to: the conversation record of a
 * Teams reference, installs and uninstalls, and subscriptions with the admin rule. Over the store's
 * Conversations interface; no Teams SDK, no I/O of its own.
 */
import type { Clock } from '../core/clock.js';
import { conversationKeyOf, type ChatConversation, type ConvRef, type SubscriptionOps } from '../core/conversation.js';
import type { Logger } from '../core/logger.js';
import type { Conversations } from '../store/types.js';

/** Our conversation record for a Teams reference: a channel thread counts as its channel. */
export function chatConversation(ref: ConvRef): ChatConversation {
  const conversationId = conversationKeyOf(ref);
  const name =
    ref.conversationType === 'channel'
      ? [ref.teamName, ref.channelName].filter((x): x is string => typeof x === 'string' && x !== '').join(' › ') ||
        'Team channel'
      : ref.conversationType === 'personal'
        ? 'Personal chat'
        : 'Group chat';
  return { conversationId, kind: ref.conversationType, name, ref: { ...ref, conversationId } };
}

export interface SubscriptionDeps {
  store: Conversations;
  clock: Clock;
  /** ADMIN_AAD_OBJECT_IDS, lower case. Empty: everyone may change subscriptions, nobody runs ad hoc KQL. */
  adminIds: readonly string[];
}

/** Subscriptions kept in the store, and who may change them. */
export function createSubscriptions(deps: SubscriptionDeps): SubscriptionOps {
  const { store, clock } = deps;
  const admins = new Set(deps.adminIds.map((id) => id.toLowerCase()));
  const find = (id: string) => store.conversations().find((c) => c.conversationId === id);
  return {
    // An empty list lets everyone manage subscriptions (warned at start), never run ad hoc KQL.
    isAdmin: (aadObjectId, strict = false) =>
      admins.size === 0 ? !strict : aadObjectId !== undefined && admins.has(aadObjectId.toLowerCase()),
    set(conversation, flags, by) {
      const at = new Date(clock.now()).toISOString();
      if (!find(conversation.conversationId)) store.saveConversation({ ...conversation, at });
      store.setSubscription(conversation.conversationId, flags, by, at);
    },
    get(id) {
      const c = find(id);
      return { alerts: c?.alerts ?? false, digest: c?.digest ?? false };
    },
    list: () =>
      store
        .conversations()
        .filter((c) => c.alerts || c.digest)
        .map((c) => ({
          conversationId: c.conversationId,
          name: c.name ?? c.kind,
          alerts: c.alerts,
          digest: c.digest,
          active: c.active,
          inactiveReason: c.inactiveReason,
          since: c.subscribedAt ?? c.installedAt,
        })),
  };
}

export interface Installations {
  /** The bot was added to a conversation. Teams sends two events for one install: idempotent. */
  installed(ref: ConvRef, source: string): void;
  /** The bot was removed: a team uninstall removes every channel of that team; a chat uninstall the chat. */
  uninstalled(ref: ConvRef): void;
}

export function createInstallations(deps: { store: Conversations; clock: Clock; logger: Logger }): Installations {
  const { store, clock, logger } = deps;
  return {
    installed(ref, source) {
      const c = chatConversation(ref);
      store.saveConversation({ ...c, at: new Date(clock.now()).toISOString() });
      logger.info('installed', {
        conversationId: c.conversationId,
        conversationType: ref.conversationType,
        teamId: ref.teamId ?? null,
        source,
      });
    },
    uninstalled(ref) {
      const key = chatConversation(ref).conversationId;
      const gone = store
        .conversations()
        .filter((c) => c.conversationId === key || (ref.teamId !== undefined && c.ref.teamId === ref.teamId));
      for (const c of gone) store.removeConversation(c.conversationId);
      logger.info('uninstalled', { conversationId: ref.conversationId, removed: gone.length });
    },
  };
}
