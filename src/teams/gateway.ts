/**
 * Outbound Teams calls (proactive): post a card, start a channel thread, update a card in place,
 * reply in a thread. The SDK ConversationReference is rebuilt here from our ConvRef.
 *
 * Failures: botbuilder itself retries 429 only when Retry-After is present and 5xx three times
 * (shared/reference/teams.md section 9); what is left arrives here as its RestError and is thrown as
 * our coded SendError (send-errors.ts), whose `cause` is that RestError; retry policy belongs to
 * the sender (src/delivery/).
 *
 * Proactive turns run through the adapter's middleware, whose onTurnError would swallow errors
 * thrown inside them; every callback here therefore catches its own error and rethrows it outside.
 */
import {
  CardFactory,
  MessageFactory,
  TeamsInfo,
  type Activity,
  type ConversationReference,
  type TurnContext,
} from 'botbuilder';
import {
  conversationKey,
  threadConversationId,
  threadRootId,
  type ConvRef,
  type PostedMessage,
  type TeamsGateway,
} from '../core/conversation.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { BotAdapter } from './adapter.js';
import { toSendError } from './send-errors.js';

export interface TeamsGatewayOptions {
  /** The adapter from createBotAdapter; its app id ('' when authentication is off) is used for proactive calls. */
  adapter: BotAdapter;
  logger: Logger;
}

/**
 * App id for creating a channel thread when authentication is off. botbuilder 4.23.3's
 * TeamsInfo/createConversationAsync path needs a non-empty id; with authentication disabled the
 * credentials are empty whatever the id (reference section 5).
 */
const UNAUTHENTICATED_APP_ID = 'unauthenticated-bot';

export function createTeamsGateway(options: TeamsGatewayOptions): TeamsGateway {
  const adapter = options.adapter.cloudAdapter;
  const appId = options.adapter.appId;
  const logger = options.logger.child({ component: 'teams-gateway' });

  /** Runs `logic` in a proactive turn for `ref`, returning its result and rethrowing its error. */
  async function inConversation<T>(
    ref: ConvRef,
    conversationId: string,
    logic: (ctx: TurnContext) => Promise<T>,
  ): Promise<T> {
    let result: { value: T } | undefined;
    let failure: { error: unknown } | undefined;
    await adapter.continueConversationAsync(appId, toSdkReference(ref, conversationId), async (ctx) => {
      try {
        result = { value: await logic(ctx) };
      } catch (error) {
        failure = { error };
      }
    });
    if (failure) throw failure.error;
    if (!result)
      throw new AppError('INTERNAL', `Teams: the proactive turn for conversation ${conversationId} did not run.`);
    return result.value;
  }

  async function send(op: string, ref: ConvRef, conversationId: string, card: object): Promise<PostedMessage> {
    try {
      const id = await inConversation(
        ref,
        conversationId,
        async (ctx) => (await ctx.sendActivity(cardActivity(card)))?.id,
      );
      if (!id)
        logger.warn('Teams returned no activity id; the message cannot be updated later', { op, conversationId });
      logger.debug('posted', { op, conversationId, activityId: id });
      return { conversationId, activityId: id ?? '' };
    } catch (err) {
      throw toSendError(op, conversationId, err);
    }
  }

  return {
    async postCard(ref, card) {
      return await send('postCard', ref, ref.conversationId, card);
    },

    async startThread(ref, card) {
      const channelId = channelOf(ref, 'startThread');
      let created: string | undefined;
      try {
        // POST /v3/conversations {isGroup, channelData: {channel: {id}}, activity}. On CloudAdapter the
        // returned reference's conversation id is '<channelId>;messageid=<rootActivityId>'.
        const [threadRef] = await inConversation(ref, ref.conversationId, (ctx) =>
          TeamsInfo.sendMessageToTeamsChannel(
            ctx,
            cardActivity(card) as Activity,
            channelId,
            appId || UNAUTHENTICATED_APP_ID,
          ),
        );
        created = threadRef.conversation?.id;
      } catch (err) {
        throw toSendError('startThread', channelId, err);
      }
      if (!created)
        throw toSendError(
          'startThread',
          channelId,
          new AppError('INTERNAL', `Teams: creating a thread in channel ${channelId} returned no conversation id.`),
        );
      const rootId = threadRootId(created);
      if (!rootId)
        logger.warn('Teams returned a thread id without a message id; the root post cannot be updated later', {
          conversationId: created,
        });
      logger.debug('posted', { op: 'startThread', conversationId: created, activityId: rootId });
      return { conversationId: created, activityId: rootId };
    },

    async updateCard(msg, ref, card) {
      if (!msg.activityId) {
        throw toSendError(
          'updateCard',
          msg.conversationId,
          new AppError(
            'INTERNAL',
            `Teams: cannot update a message without an activity id (conversation ${msg.conversationId}).`,
          ),
        );
      }
      try {
        await inConversation(ref, msg.conversationId, async (ctx) => {
          const update = cardActivity(card);
          update.id = msg.activityId;
          await ctx.updateActivity(update);
        });
        logger.debug('updated', { conversationId: msg.conversationId, activityId: msg.activityId });
      } catch (err) {
        throw toSendError('updateCard', msg.conversationId, err);
      }
    },

    async replyInThread(ref, rootActivityId, card) {
      const channelId = channelOf(ref, 'replyInThread');
      return await send('replyInThread', ref, threadConversationId(channelId, rootActivityId), card);
    },
  };
}

/** The SDK reference for `conversationId`, addressed like `ref` (service URL, tenant, bot). */
export function toSdkReference(
  ref: ConvRef,
  conversationId: string = ref.conversationId,
): Partial<ConversationReference> {
  return {
    channelId: 'msteams',
    serviceUrl: ref.serviceUrl,
    conversation: {
      id: conversationId,
      isGroup: ref.conversationType !== 'personal',
      conversationType: ref.conversationType,
      tenantId: ref.tenantId,
      name: '',
    },
    bot: { id: ref.botId, name: '' },
  };
}

function cardActivity(card: object): Partial<Activity> {
  return MessageFactory.attachment(CardFactory.adaptiveCard(card));
}

/** The channel id of a channel ConvRef (threads exist only in channels). */
function channelOf(ref: ConvRef, op: string): string {
  if (ref.conversationType !== 'channel') {
    throw toSendError(
      op,
      ref.conversationId,
      new AppError(
        'INTERNAL',
        `Teams: ${op} needs a channel conversation, not a ${ref.conversationType} one (conversation ${ref.conversationId}).`,
      ),
    );
  }
  return ref.teamsChannelId ?? conversationKey(ref.conversationId);
}
