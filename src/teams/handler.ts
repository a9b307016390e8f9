/**
 * Inbound Teams traffic: maps botbuilder activities to our InboundHandlers and sends their replies.
 *
 * Every activity first passes the tenant gate: an activity whose tenant is not allowed (or that does
 * not come from the msteams channel) is dropped with one warn line and gets no reply at all.
 */
import { CardFactory, MessageFactory, TeamsActivityHandler, TurnContext, type Activity } from 'botbuilder';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { conversationKey, type ConvRef, type ConversationType } from '../core/conversation.js';
import type { CommandReply, InboundHandlers, InboundUser, InstallInfo } from './types.js';

export interface ActivityHandlerOptions {
  handlers: InboundHandlers;
  /** Entra ID tenant ids whose traffic is served (compared case-insensitively), or 'any' (local testing). */
  allowedTenantIds: ReadonlySet<string> | 'any';
  logger: Logger;
}

/** The tenant of an activity: `channelData.tenant.id`, else `conversation.tenantId`. */
export function tenantOf(activity: Partial<Activity>): string | undefined {
  const fromChannelData = objectAt(activity.channelData, 'tenant')?.['id'];
  if (typeof fromChannelData === 'string' && fromChannelData !== '') return fromChannelData;
  const fromConversation = activity.conversation?.tenantId;
  return typeof fromConversation === 'string' && fromConversation !== '' ? fromConversation : undefined;
}

/**
 * Our ConvRef for the conversation of an inbound activity. Throws an AppError when the activity
 * lacks the addressing fields every Bot Framework activity carries (serviceUrl, conversation, recipient).
 */
export function toConvRef(activity: Partial<Activity>): ConvRef {
  const serviceUrl = activity.serviceUrl;
  const conversationId = activity.conversation?.id;
  const botId = activity.recipient?.id;
  if (!serviceUrl || !conversationId || !botId) {
    throw new AppError(
      'INTERNAL',
      'Inbound activity lacks serviceUrl, conversation.id or recipient.id; cannot address its conversation.',
    );
  }
  const conversationType = conversationTypeOf(activity);
  const team = objectAt(activity.channelData, 'team');
  const channel = objectAt(activity.channelData, 'channel');
  const ref: ConvRef = {
    channelId: 'msteams',
    serviceUrl,
    conversationId,
    conversationType,
    tenantId: tenantOf(activity) ?? '',
    botId,
  };
  const teamId = stringAt(team, 'id');
  if (teamId !== undefined) ref.teamId = teamId;
  const teamName = stringAt(team, 'name');
  if (teamName !== undefined) ref.teamName = teamName;
  // A team install names no channel: its conversation is the General channel, whose id is the conversation id.
  const channelId =
    stringAt(channel, 'id') ?? (conversationType === 'channel' ? conversationKey(conversationId) : undefined);
  if (channelId !== undefined) ref.teamsChannelId = channelId;
  const channelName = stringAt(channel, 'name');
  if (channelName !== undefined) ref.channelName = channelName;
  return ref;
}

/** The command text of a message: `value.command` of an Action.Submit, else the text without the bot @mention, trimmed. */
export function commandTextOf(activity: Partial<Activity>): string {
  const value: unknown = activity.value;
  const command =
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>)['command'] : undefined;
  if (typeof command === 'string') return command.trim();
  if (typeof activity.text !== 'string') return '';
  if (!activity.recipient?.id) return activity.text.trim();
  // removeRecipientMention rewrites `text` of what it is given: hand it a copy.
  return (TurnContext.removeRecipientMention({ ...activity }) ?? '').trim();
}

/** The sender of an activity, as our InboundUser. */
export function userOf(activity: Partial<Activity>): InboundUser {
  const from = activity.from;
  const user: InboundUser = { id: from?.id ?? '' };
  if (from?.aadObjectId) user.aadObjectId = from.aadObjectId;
  if (from?.name) user.name = from.name;
  return user;
}

export function createActivityHandler(options: ActivityHandlerOptions): TeamsActivityHandler {
  return new AuditActivityHandler(options);
}

class AuditActivityHandler extends TeamsActivityHandler {
  private readonly inbound: InboundHandlers;
  private readonly allowed: ReadonlySet<string> | 'any';
  private readonly logger: Logger;

  constructor(options: ActivityHandlerOptions) {
    super();
    this.inbound = options.handlers;
    this.allowed =
      options.allowedTenantIds === 'any' ? 'any' : new Set([...options.allowedTenantIds].map((t) => t.toLowerCase()));
    this.logger = options.logger.child({ component: 'teams' });

    this.onMessage(async (ctx, next) => {
      const activity = ctx.activity;
      const ref = toConvRef(activity);
      const text = commandTextOf(activity);
      const user = userOf(activity);
      this.logger.debug('command', { conversationId: ref.conversationId, userId: user.id, activityId: activity.id });
      const reply = await this.inbound.onCommand(ref, text, user);
      if (reply !== undefined) await ctx.sendActivity(toReplyActivity(reply));
      await next();
    });

    this.onInstallationUpdateAdd(async (ctx, next) => {
      const info: InstallInfo = { source: 'installationUpdate' };
      const selected = selectedChannelOf(ctx.activity);
      if (selected !== undefined) info.selectedChannelId = selected;
      if (ctx.activity.from?.id) info.by = userOf(ctx.activity);
      await this.install(ctx.activity, info);
      await next();
    });

    this.onInstallationUpdateRemove(async (ctx, next) => {
      await this.uninstall(ctx.activity);
      await next();
    });

    this.onMembersAdded(async (ctx, next) => {
      const botId = ctx.activity.recipient?.id;
      if (ctx.activity.membersAdded?.some((m) => m.id === botId)) {
        const info: InstallInfo = { source: 'conversationUpdate' };
        const selected = selectedChannelOf(ctx.activity);
        if (selected !== undefined) info.selectedChannelId = selected;
        await this.install(ctx.activity, info);
      }
      await next();
    });

    this.onMembersRemoved(async (ctx, next) => {
      const botId = ctx.activity.recipient?.id;
      if (ctx.activity.membersRemoved?.some((m) => m.id === botId)) await this.uninstall(ctx.activity);
      await next();
    });
  }

  /** The tenant gate, ahead of every dispatch. */
  protected override async onTurnActivity(context: TurnContext): Promise<void> {
    const activity = context.activity;
    const tenantId = tenantOf(activity);
    const fields = {
      tenantId,
      activityType: activity.type,
      conversationId: activity.conversation?.id,
      channelId: activity.channelId,
    };
    if (activity.channelId !== 'msteams') {
      this.logger.warn('dropped an activity from a channel other than msteams', fields);
      return;
    }
    if (this.allowed !== 'any' && (tenantId === undefined || !this.allowed.has(tenantId.toLowerCase()))) {
      this.logger.warn('dropped an activity from a tenant that is not allowed', fields);
      return;
    }
    await super.onTurnActivity(context);
  }

  private async install(activity: Activity, info: InstallInfo): Promise<void> {
    const ref = toConvRef(activity);
    this.logger.info('installed', {
      conversationId: ref.conversationId,
      conversationType: ref.conversationType,
      teamId: ref.teamId,
      tenantId: ref.tenantId,
      source: info.source,
    });
    await this.inbound.onInstall(ref, info);
  }

  private async uninstall(activity: Activity): Promise<void> {
    const ref = toConvRef(activity);
    this.logger.info('uninstalled', {
      conversationId: ref.conversationId,
      conversationType: ref.conversationType,
      teamId: ref.teamId,
      tenantId: ref.tenantId,
    });
    await this.inbound.onUninstall(ref);
  }
}

/** A command reply as an outgoing activity: text, or one Adaptive Card attachment. */
export function toReplyActivity(reply: CommandReply): Partial<Activity> {
  return typeof reply === 'string'
    ? MessageFactory.text(reply)
    : MessageFactory.attachment(CardFactory.adaptiveCard(reply));
}

function conversationTypeOf(activity: Partial<Activity>): ConversationType {
  const t = activity.conversation?.conversationType;
  if (t === 'channel' || t === 'groupChat' || t === 'personal') return t;
  return activity.conversation?.isGroup ? 'groupChat' : 'personal';
}

function selectedChannelOf(activity: Partial<Activity>): string | undefined {
  return stringAt(objectAt(objectAt(activity.channelData, 'settings'), 'selectedChannel'), 'id');
}

function objectAt(v: unknown, key: string): Record<string, unknown> | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const inner = (v as Record<string, unknown>)[key];
  return typeof inner === 'object' && inner !== null && !Array.isArray(inner)
    ? (inner as Record<string, unknown>)
    : undefined;
}

function stringAt(o: Record<string, unknown> | undefined, key: string): string | undefined {
  const v = o?.[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}
