import type { AlertCardModel, AuditFlag, BackfillCardModel, StormCardModel } from '../core/alerts.js';
import type { CountRow } from '../core/query.js';
import type { Clock } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ActionRow } from '../core/query.js';
import { normalizeTimestamp, subtractMillis, timestampToMillis } from '../core/timestamps.js';
import type { MachineAction } from '../core/types.js';
import { FINAL_STATUSES } from '../core/types.js';
import type { Sender } from '../core/send.js';
import type {
  ActionReader,
  BotState,
  ChangeFeed,
  ConversationRecord,
  Conversations,
  DeliveryOutbox,
  DeliveryRecord,
  IngestLedger,
} from '../store/types.js';
import { alertsFor, auditFlags, type AlertPolicy } from './policy.js';

/**
 * What the pipeline reads and writes: the change feed and the delivery outbox, the subscribed
 * conversations, a few action reads, the bot state (backfill announcements) and whether the
 * history backfill is complete.
 */
export type AlertStore = ChangeFeed &
  DeliveryOutbox &
  Pick<Conversations, 'conversations' | 'setConversationActive'> &
  Pick<ActionReader, 'getAction' | 'countByRequestorBetween' | 'backfillSummary'> &
  BotState &
  Pick<IngestLedger, 'ingestState'>;

/**
 * Conversations delivered to at the same time. Each has its own lane in the sender (at most about
 * 3 calls a second), so 8 stay well under Teams' 50 requests per second per app and tenant.
 */
const CONVERSATIONS_AT_ONCE = 8;

/** Runs `work` over `items`, at most `limit` at a time; resolves when all are done (rejects on the first error). */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The consumer name of the alert pipeline in the store's change log. */
export const ALERTS_CONSUMER = 'alerts';

export interface AlertPipelineDeps {
  store: AlertStore;
  /** The process's one sender (shared with the digest), so that pacing holds across both. */
  sender: Sender;
  clock: Clock;
  logger: Logger;
  policy: AlertPolicy;
  /** Renders the alert card (the cards module with the loaded templates and display settings). */
  renderAlert: (model: AlertCardModel) => object;
  /** Renders the one-off summary of the history backfill. */
  renderBackfill?: (model: BackfillCardModel) => object;
  /** Renders the summary card of an alert storm. */
  renderStorm?: (model: StormCardModel) => object;
  /** More than this many alerts waiting for one conversation become one storm card. Default 10. */
  stormThreshold?: number;
  /** Days the first run read (MDE_BACKFILL_DAYS), for the backfill summary. */
  backfillDays?: number;
  /** KQL that shows one action (for the card's "Show query"). */
  kqlForAction: (actionId: string) => string;
  /** Changes read per batch. */
  batchSize?: number;
}

export interface AlertPipeline {
  /** Turns logged changes into deliveries (durably, with the offset); returns how many changes it read. */
  collect(): number;
  /** Sends the deliveries that are due; returns what happened. */
  deliver(signal?: AbortSignal): Promise<{ sent: number; failed: number; retrying: number }>;
}

interface AlertPayload {
  flags: AuditFlag[];
  /** Set on the posted-card record of actions shown on a storm card: every action of that card. */
  storm?: string[];
}

function countBy(values: readonly string[]): CountRow[] {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1));
}

/**
 * The period of a storm card's "Show all": since the UTC day of its oldest action (`oldest`, a
 * normalised timestamp), at most today. A fixed `24h` would leave out the actions that waited out
 * a longer outage, and the button stays on a card that is updated in place for days.
 */
function showAllPeriod(oldest: string | undefined, nowMs: number): string {
  const today = new Date(nowMs).toISOString().slice(0, 10);
  const day = oldest?.slice(0, 10);
  return `since ${day !== undefined && day < today ? day : today}`;
}

export function toActionRow(a: MachineAction): ActionRow {
  return {
    id: a.id,
    type: a.type,
    title: a.title,
    scope: a.scope,
    status: a.status,
    machineId: a.machineId,
    computerDnsName: a.computerDnsName,
    requestor: a.requestor,
    requestorComment: a.requestorComment,
    requestSource: a.requestSource,
    creationDateTimeUtc: a.creationDateTimeUtc,
    lastUpdateDateTimeUtc: a.lastUpdateDateTimeUtc,
    cancellationRequestor: a.cancellationRequestor,
    cancellationComment: a.cancellationComment,
    cancellationDateTimeUtc: a.cancellationDateTimeUtc,
    errorHResult: a.errorHResult,
    externalId: a.externalId,
  };
}

/**
 * The alert pipeline: new actions of the alerting types become one card per subscribed
 * conversation; their later status changes update that same card in place. Both steps go through
 * the store (change log → deliveries → posted cards), so a crash at any point loses no alert; a
 * crash between Teams accepting a post and our commit can post a card twice (the only duplicate).
 */
export function createAlertPipeline(deps: AlertPipelineDeps): AlertPipeline {
  const { store, clock, logger, policy } = deps;
  const batch = deps.batchSize ?? 500;
  const alertTypes = [...new Set([...policy.types, 'Offboard'])];

  const model = (action: MachineAction, payload: AlertPayload, compact: boolean): AlertCardModel => {
    const final = FINAL_STATUSES.has(action.status);
    const name = action.computerDnsName ?? action.machineId;
    return {
      action: toActionRow(action),
      flags: payload.flags,
      timeToCompleteMs: final
        ? Math.max(0, timestampToMillis(action.lastUpdateDateTimeUtc) - timestampToMillis(action.creationDateTimeUtc))
        : null,
      deviceCommand: `actions for device ${name.split('.')[0] ?? name}`,
      kql: deps.kqlForAction(action.id),
      ...(compact ? { compact: true } : {}),
    };
  };

  return {
    collect() {
      let read = 0;
      for (;;) {
        const changes = store.changesAfter(ALERTS_CONSUMER, batch);
        if (changes.length === 0) return read;
        read += changes.length;
        const subscribed = store.conversations().filter((c) => c.alerts && c.active);
        const deliveries: { conversationId: string; kind: 'alert' | 'update'; actionId: string; payload: string }[] =
          [];
        const queuedAlerts = new Set<string>();
        for (const ch of changes) {
          const a = ch.action;
          if (ch.kind === 'new') {
            if (!alertsFor(a, policy)) continue;
            const created = normalizeTimestamp(a.creationDateTimeUtc) ?? a.creationDateTimeUtc;
            const recent = store.countByRequestorBetween(
              a.requestor,
              alertTypes,
              subtractMillis(created, policy.massAction.windowMinutes * 60_000),
              created,
            );
            const payload = JSON.stringify({ flags: auditFlags(a, policy, recent) } satisfies AlertPayload);
            for (const c of subscribed) {
              deliveries.push({ conversationId: c.conversationId, kind: 'alert', actionId: a.id, payload });
              queuedAlerts.add(`${c.conversationId}\n${a.id}`);
            }
          } else {
            for (const c of subscribed) {
              // A post still waiting renders the action as it is then: no separate update needed.
              if (queuedAlerts.has(`${c.conversationId}\n${a.id}`) || store.hasPendingAlert(c.conversationId, a.id))
                continue;
              if (store.postedCard(c.conversationId, a.id))
                deliveries.push({ conversationId: c.conversationId, kind: 'update', actionId: a.id, payload: '{}' });
            }
          }
        }
        store.enqueueDeliveries(
          ALERTS_CONSUMER,
          changes.at(-1)?.seq ?? 0,
          deliveries,
          new Date(clock.now()).toISOString(),
        );
        if (deliveries.length > 0)
          logger.info('alerts queued', { deliveries: deliveries.length, changes: changes.length });
      }
    },

    async deliver(signal) {
      const result = { sent: 0, failed: 0, retrying: 0 };
      await announceBackfill(signal);
      const conversations = new Map<string, ConversationRecord>(
        store.conversations().map((c) => [c.conversationId, c]),
      );
      const pending = store.pendingDeliveries(new Date(clock.now()).toISOString(), 1000);
      const stormed = new Set<number>();
      const threshold = deps.stormThreshold ?? 10;
      if (deps.renderStorm) {
        const alertsByConversation = new Map<string, DeliveryRecord[]>();
        for (const d of pending)
          if (d.kind === 'alert')
            alertsByConversation.set(d.conversationId, [...(alertsByConversation.get(d.conversationId) ?? []), d]);
        for (const [conversationId, waiting] of alertsByConversation) {
          if (waiting.length <= threshold || signal?.aborted) continue;
          const outcome = await deliverStorm(waiting, conversations.get(conversationId), signal);
          for (const d of waiting) stormed.add(d.id);
          result[outcome] += waiting.length;
        }
      }
      const updatedStorms = new Set<string>();
      // Per conversation, in order, new alerts before card updates (an update never waits behind
      // news); conversations at the same time, each in its own lane of the sender.
      const byConversation = new Map<string, DeliveryRecord[]>();
      for (const d of pending) {
        if (stormed.has(d.id)) continue;
        byConversation.set(d.conversationId, [...(byConversation.get(d.conversationId) ?? []), d]);
      }
      const queues = [...byConversation.values()].map((ds) => [
        ...ds.filter((d) => d.kind === 'alert'),
        ...ds.filter((d) => d.kind !== 'alert'),
      ]);
      await inParallel(queues, CONVERSATIONS_AT_ONCE, async (queue) => {
        for (const d of queue) {
          if (signal?.aborted) return;
          const outcome = await deliverOne(d, conversations.get(d.conversationId), signal, updatedStorms);
          result[outcome]++;
        }
      });
      return result;
    },
  };

  /**
   * Once the first run's backfill is complete, each conversation subscribed to alerts gets one card
   * saying what history was read (instead of one alert per old action), including a conversation
   * that subscribes later. Recorded per conversation in the bot state, after Teams accepted it.
   */
  async function announceBackfill(signal?: AbortSignal): Promise<void> {
    if (!deps.renderBackfill || store.ingestState().backfillCompletedAt === null) return;
    const due = store
      .conversations()
      .filter((c) => c.alerts && c.active && store.getState(`backfill.announced.${c.conversationId}`) === null);
    if (due.length === 0) return;
    const s = store.backfillSummary();
    const card = deps.renderBackfill({
      total: s.total,
      byType: s.byType,
      from: s.from,
      to: s.to,
      days: deps.backfillDays ?? 180,
    });
    for (const c of due) {
      const res = await deps.sender.send(c.ref, { kind: 'post', card }, signal);
      if (res.ok)
        store.setState(
          `backfill.announced.${c.conversationId}`,
          new Date(clock.now()).toISOString(),
          new Date(clock.now()).toISOString(),
        );
      else
        logger.warn('backfill summary not posted; retrying later', {
          conversationId: c.conversationId,
          reason: res.reason,
        });
    }
  }

  function stormModel(actionIds: readonly string[]): StormCardModel {
    const actions = actionIds.map((id) => store.getAction(id)).filter((a): a is MachineAction => a !== undefined);
    actions.sort((a, b) => (a.creationDateTimeUtc < b.creationDateTimeUtc ? 1 : -1));
    const requestors = countBy(actions.map((a) => a.requestor));
    const created = actions.map((a) => normalizeTimestamp(a.creationDateTimeUtc) ?? a.creationDateTimeUtc).sort();
    const top = requestors[0];
    return {
      actions: actions.map(toActionRow),
      byType: countBy(actions.map((a) => a.type)),
      byRequestor: requestors,
      byStatus: countBy(actions.map((a) => a.status)),
      from: created[0] ?? new Date(clock.now()).toISOString(),
      to: created.at(-1) ?? new Date(clock.now()).toISOString(),
      showAllCommand: `${requestors.length === 1 && top ? `actions by ${top.key}` : 'summary'} ${showAllPeriod(created[0], clock.now())}`,
    };
  }

  /**
   * Many alerts waiting for one conversation: one storm card instead of one card each. Every action
   * on it records the storm card as its posted card, so its later status changes update that card.
   */
  async function deliverStorm(
    waiting: readonly DeliveryRecord[],
    conv: ConversationRecord | undefined,
    signal?: AbortSignal,
  ): Promise<'sent' | 'failed' | 'retrying'> {
    const now = (): string => new Date(clock.now()).toISOString();
    const log = logger.child({ conversationId: waiting[0]?.conversationId, storm: waiting.length });
    const failAll = (why: string, retryAt: string | null): void => {
      for (const d of waiting) store.failDelivery(d.id, why, retryAt, now());
    };
    if (!conv || !conv.alerts || !conv.active || !deps.renderStorm) {
      failAll('the conversation is no longer subscribed or active', null);
      return 'failed';
    }
    const ids = waiting.map((d) => d.actionId);
    const res = await deps.sender.send(conv.ref, { kind: 'post', card: deps.renderStorm(stormModel(ids)) }, signal);
    if (res.ok) {
      const payload = JSON.stringify({ flags: [], storm: ids } satisfies AlertPayload);
      for (const d of waiting) {
        store.completeDelivery(
          d.id,
          now(),
          res.posted && res.posted.activityId !== ''
            ? {
                conversationId: d.conversationId,
                actionId: d.actionId,
                messageConversationId: res.posted.conversationId,
                activityId: res.posted.activityId,
                payload,
              }
            : undefined,
        );
      }
      log.info('storm card posted');
      return 'sent';
    }
    if (res.deactivate) store.setConversationActive(conv.conversationId, false, res.reason);
    failAll(
      res.reason,
      res.permanent ? null : new Date(Math.max(res.retryAtMs ?? 0, clock.now() + 60_000)).toISOString(),
    );
    log.warn('storm card not posted', { reason: res.reason });
    return res.permanent ? 'failed' : 'retrying';
  }

  async function deliverOne(
    d: DeliveryRecord,
    conv: ConversationRecord | undefined,
    signal?: AbortSignal,
    updatedStorms: Set<string> = new Set(),
  ): Promise<'sent' | 'failed' | 'retrying'> {
    const now = (): string => new Date(clock.now()).toISOString();
    const log = logger.child({
      deliveryId: d.id,
      conversationId: d.conversationId,
      actionId: d.actionId,
      kind: d.kind,
    });
    const giveUp = (why: string): 'failed' => {
      store.failDelivery(d.id, why, null, now());
      log.warn('alert not delivered', { reason: why });
      return 'failed';
    };
    if (!conv || !conv.alerts) return giveUp('the conversation is no longer subscribed');
    if (!conv.active) return giveUp(`the conversation is inactive (${conv.inactiveReason ?? 'unknown'})`);
    const action = store.getAction(d.actionId);
    if (!action) return giveUp('the action is not in the store');
    const ref = conv.ref;
    let payload: AlertPayload = { flags: [] };
    const posted = d.kind === 'update' ? store.postedCard(d.conversationId, d.actionId) : undefined;
    try {
      payload = JSON.parse(d.kind === 'update' ? (posted?.payload ?? '{}') : d.payload) as AlertPayload;
      payload.flags ??= [];
    } catch (err) {
      log.warn('unreadable alert payload; sending without flags', { error: describeError(err) });
    }
    if (d.kind === 'update' && posted && payload.storm && deps.renderStorm) {
      // One update of the storm card covers every action on it changed in this pass.
      const key = `${posted.messageConversationId}\n${posted.activityId}`;
      if (updatedStorms.has(key)) {
        store.completeDelivery(d.id, now());
        return 'sent';
      }
      const res = await deps.sender.send(
        ref,
        {
          kind: 'update',
          message: { conversationId: posted.messageConversationId, activityId: posted.activityId },
          card: deps.renderStorm(stormModel(payload.storm)),
        },
        signal,
      );
      if (res.ok) {
        updatedStorms.add(key);
        store.completeDelivery(d.id, now());
        return 'sent';
      }
      if (res.permanent) return giveUp(res.reason);
      store.failDelivery(
        d.id,
        res.reason,
        new Date(Math.max(res.retryAtMs ?? 0, clock.now() + 60_000)).toISOString(),
        now(),
      );
      return 'retrying';
    }
    const card = deps.renderAlert(model(action, payload, false));
    const compactCard = deps.renderAlert(model(action, payload, true));
    let res;
    try {
      if (d.kind === 'alert') {
        res = await deps.sender.send(ref, { kind: 'post', card, compactCard }, signal);
      } else {
        if (!posted) return giveUp('no posted card to update');
        res = await deps.sender.send(
          ref,
          {
            kind: 'update',
            message: { conversationId: posted.messageConversationId, activityId: posted.activityId },
            card,
            compactCard,
          },
          signal,
        );
      }
    } catch (err) {
      if (signal?.aborted) throw err;
      res = { ok: false as const, permanent: false, deactivate: false, reason: describeError(err), attempts: 1 };
    }
    if (res.ok) {
      const where = res.posted;
      store.completeDelivery(
        d.id,
        now(),
        d.kind === 'alert' && where && where.activityId !== ''
          ? {
              conversationId: d.conversationId,
              actionId: d.actionId,
              messageConversationId: where.conversationId,
              activityId: where.activityId,
              payload: d.payload,
            }
          : undefined,
      );
      log.info(d.kind === 'alert' ? 'alert posted' : 'alert card updated', {
        status: action.status,
        compact: res.compact,
      });
      return 'sent';
    }
    if (res.deactivate) {
      store.setConversationActive(d.conversationId, false, res.reason);
      log.warn('Teams refuses messages here; the subscription is now inactive', { reason: res.reason });
    }
    if (res.permanent) return giveUp(res.reason);
    // Not permanent: try again later, at least a minute from now.
    const retryAt = new Date(Math.max(res.retryAtMs ?? 0, clock.now() + 60_000)).toISOString();
    store.failDelivery(d.id, res.reason, retryAt, now());
    log.warn('alert delivery will be retried', { reason: res.reason, retryAt });
    return 'retrying';
  }
}
