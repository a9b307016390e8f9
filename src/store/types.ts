import type { ConvRef } from '../core/conversation.js';
import type { InvalidItem, MachineAction } from '../core/types.js';

/**
 * The audit store: actions with their full status history, the ingest cursor and counters, items
 * that failed validation, the change feed, conversations, the delivery and forwarding outboxes and
 * small bot facts. Each consumer takes the narrow interface it needs (IngestLedger, ActionReader,
 * ChangeFeed, Conversations, DeliveryOutbox, ForwardingOutbox, BotState); one SQLite class
 * (`openSqliteStore`) implements them all, and so does the memory fake in test/fakes. Methods are
 * synchronous because better-sqlite3 is; each write method is one transaction.
 */

/** How the ingest reads the API: by `lastUpdateDateTimeUtc` (normal) or by a creation-time window (fallback). */
export type IngestMode = 'lastUpdate' | 'creation';

/** An API item that failed validation, kept raw so that nothing is lost. */
export type QuarantinedItem = InvalidItem;

export type ChangeKind = 'new' | 'statusChanged' | 'updated';

/** One stored change: a new action, a status transition, or another field change. */
export interface ActionChange {
  kind: ChangeKind;
  action: MachineAction;
  /** Status before this change; null for a new action. */
  previousStatus: string | null;
  /** True while the first run's history backfill is not complete: alerts skip these. */
  backfill: boolean;
  runId: number;
}

export interface PageWrite {
  runId: number;
  items: readonly MachineAction[];
  quarantined: readonly QuarantinedItem[];
  /** When we saw the page (ISO 8601 UTC, milliseconds). */
  observedAt: string;
  backfill: boolean;
  /**
   * The cursor to store with this page (normalised 7-digit timestamp); it only ever moves forward.
   * Written in the same transaction as the page, so a crash never leaves it ahead of the data.
   */
  cursor: string | null;
}

export interface PageOutcome {
  changes: ActionChange[];
  /** Items whose `lastUpdateDateTimeUtc` was not newer than the stored one (replays, overlap). */
  unchanged: number;
  quarantined: number;
}

export interface StatusChange {
  status: string;
  /** The action's `lastUpdateDateTimeUtc` of the version that carried this status (normalised). */
  changedAt: string;
  /** When the ingest observed it (ISO 8601 UTC). */
  observedAt: string;
  runId: number;
}

export interface RunStats {
  pages: number;
  calls: number;
  new: number;
  statusChanged: number;
  updated: number;
  unchanged: number;
  quarantined: number;
}

export interface IngestState {
  /** Largest `lastUpdateDateTimeUtc` stored (normalised), or null before the first page. */
  cursor: string | null;
  mode: IngestMode;
  /** Why the mode is what it is (set when falling back). */
  modeReason: string | null;
  backfillCompletedAt: string | null;
  lastRunStartedAt: string | null;
  lastSuccessAt: string | null;
  lastErrorAt: string | null;
  lastError: string | null;
  runsTotal: number;
  runsFailed: number;
}

export interface RunRecord {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  ok: boolean | null;
  backfill: boolean;
  error: string | null;
  stats: RunStats;
}

export interface QuarantineRecord extends QuarantinedItem {
  firstSeenAt: string;
  lastSeenAt: string;
  seenCount: number;
}

/** A logged change, read by a consumer (the alert pipeline) after its durable offset. */
export interface ChangeRecord {
  seq: number;
  kind: 'new' | 'statusChanged';
  /** The action as stored now (it may have moved on since this change). */
  action: MachineAction;
  /** The status this change brought. */
  status: string;
  previousStatus: string | null;
  runId: number;
  recordedAt: string;
}

export interface ConversationRecord {
  conversationId: string;
  /** 'channel', 'groupChat' or 'personal'. */
  kind: string;
  name: string | null;
  /** Where to reach the conversation (stored as JSON). */
  ref: ConvRef;
  installedAt: string;
  alerts: boolean;
  digest: boolean;
  subscribedAt: string | null;
  subscribedBy: string | null;
  /** False once Teams refused writes (e.g. 403 MessageWritesBlocked); posting stops. */
  active: boolean;
  inactiveReason: string | null;
}

/** A pending post or update of an alert card. `payload` is JSON owned by the alert pipeline. */
export interface DeliveryRecord {
  id: number;
  conversationId: string;
  kind: 'alert' | 'update';
  actionId: string;
  payload: string;
  createdAt: string;
  attempts: number;
}

export interface PostedCard {
  messageConversationId: string;
  activityId: string;
  payload: string;
}

/** One version of an action waiting to be forwarded to Log Analytics. */
export interface ForwardItem {
  /** Position in the outbox; acknowledging a seq removes it and everything before it. */
  seq: number;
  action: MachineAction;
}

/** What the ingest writes and reads back: runs, pages, the cursor and its mode. */
export interface IngestLedger {
  /** Starts an ingest run; returns its id. */
  beginRun(startedAt: string, backfill: boolean): number;
  /** Upserts one page, records status transitions and quarantined items, and moves the cursor. */
  applyPage(page: PageWrite): PageOutcome;
  finishRun(runId: number, result: { finishedAt: string; ok: boolean; error?: string; stats: RunStats }): void;
  setMode(mode: IngestMode, reason: string | null): void;
  markBackfillComplete(at: string): void;
  ingestState(): IngestState;
  lastRun(): RunRecord | undefined;
}

/** Reads of single actions and small aggregates (queries over many actions go through src/queries). */
export interface ActionReader {
  getAction(id: string): MachineAction | undefined;
  statusHistory(id: string): StatusChange[];
  countActions(): number;
  /** Every stored action, ordered by id (exports and tests; use queries for anything large). */
  allActions(): MachineAction[];
  quarantined(): QuarantineRecord[];
  /** Actions of these types by this requestor (any case) created in [from, to] (normalised timestamps). */
  countByRequestorBetween(requestor: string, types: readonly string[], from: string, to: string): number;
  /** What the first run's history backfill stored: counts by type and the creation-time span. */
  backfillSummary(): {
    total: number;
    byType: { key: string; count: number }[];
    from: string | null;
    to: string | null;
  };
}

/** The durable log of changes, read by a consumer (the alert pipeline) after its offset. */
export interface ChangeFeed {
  /**
   * Changes logged after the consumer's offset, oldest first (at most `limit`). Only changes of
   * normal runs are logged: the first run's backfill is history, not news.
   */
  changesAfter(consumer: string, limit: number): ChangeRecord[];
  /** Moves the consumer's offset forward to `seq` (never back). */
  commitOffset(consumer: string, seq: number): void;
  consumerOffset(consumer: string): number;
}

/** Where the bot is installed, and what each conversation is subscribed to. */
export interface Conversations {
  /** Records an installation (idempotent: a second install keeps the subscription and reactivates). */
  saveConversation(input: {
    conversationId: string;
    kind: string;
    name: string | null;
    ref: ConvRef;
    at: string;
  }): void;
  removeConversation(conversationId: string): void;
  /** Sets what a conversation receives; false when the bot is not installed there. */
  setSubscription(conversationId: string, flags: { alerts: boolean; digest: boolean }, by: string, at: string): boolean;
  setConversationActive(conversationId: string, active: boolean, reason: string | null): void;
  conversations(): ConversationRecord[];
}

/** Alert cards waiting to be posted or updated, and where posted cards live. */
export interface DeliveryOutbox {
  /** Records deliveries and moves the consumer's offset to `seq`, in one transaction. */
  enqueueDeliveries(
    consumer: string,
    seq: number,
    deliveries: readonly { conversationId: string; kind: 'alert' | 'update'; actionId: string; payload: string }[],
    at: string,
  ): void;
  /** Pending deliveries due at `nowIso` (no retry time, or one that has passed), oldest first. */
  pendingDeliveries(nowIso: string, limit: number): DeliveryRecord[];
  /** Marks a delivery sent and, for a post, records where its card lives (one transaction). */
  completeDelivery(
    id: number,
    at: string,
    posted?: {
      conversationId: string;
      actionId: string;
      messageConversationId: string;
      activityId: string;
      payload: string;
    },
  ): void;
  /** A failed attempt: retried at `retryAt`, or given up (`retryAt` null). */
  failDelivery(id: number, error: string, retryAt: string | null, at: string): void;
  postedCard(conversationId: string, actionId: string): PostedCard | undefined;
  /** Whether a post of this action's alert is still waiting to be sent. */
  hasPendingAlert(conversationId: string, actionId: string): boolean;
}

/** Versions of actions waiting to be forwarded to Log Analytics. */
export interface ForwardingOutbox {
  /**
   * Turns on recording of every new or changed version in the forwarding outbox (durable, so every
   * process writing to this store records them). The first time, the outbox is seeded with the
   * current version of every stored action, so the workspace receives the whole history. Returns
   * how many versions were seeded (0 when forwarding was already on).
   */
  enableForwarding(at: string): number;
  /** Turns recording off and empties the outbox; returns how many unsent versions were dropped. */
  disableForwarding(): number;
  forwardingEnabled(): boolean;
  /** The oldest versions waiting, at most `limit`. */
  pendingForward(limit: number): ForwardItem[];
  /** The versions up to `seq` were accepted: delete them. */
  ackForward(seq: number): void;
  /** How many versions are waiting. */
  forwardBacklog(): number;
}

/** Small durable bot facts (e.g. the last digest date, which conversations got which digest). */
export interface BotState {
  getState(key: string): string | null;
  setState(key: string, value: string, at: string): void;
}

/** Every part of the store, and closing it. */
export interface AuditStore
  extends IngestLedger, ActionReader, ChangeFeed, Conversations, DeliveryOutbox, ForwardingOutbox, BotState {
  close(): void;
}
