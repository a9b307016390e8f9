/**
 * The Teams boundary as the rest of the application sees it. No SDK imports here: botbuilder stays
 * inside the other files of src/teams/, so that a move to the Microsoft 365 Agents SDK replaces
 * those files and nothing else. Cards are plain Adaptive Card JSON objects built in src/cards.
 */

import type { ConvRef } from '../core/conversation.js';

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
