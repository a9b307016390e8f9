import { StoreError } from '../../src/core/errors.js';
import type { ConvRef } from '../../src/core/conversation.js';
import type { MachineAction } from '../../src/core/types.js';
import { normalizeTimestamp } from '../../src/core/timestamps.js';
import type {
  AuditStore,
  ChangeRecord,
  ConversationRecord,
  DeliveryRecord,
  ForwardItem,
  IngestState,
  PostedCard,
  PageOutcome,
  PageWrite,
  QuarantineRecord,
  RunRecord,
  StatusChange,
} from '../../src/store/types.js';

/**
 * An in-memory AuditStore with the SQLite store's semantics (newer lastUpdate wins, history on status
 * change, forward-only cursor, page-atomic writes; the change feed, conversations, the delivery and
 * forwarding outboxes and the bot state), implementing the same narrow interfaces, plus failure injection: `failApplyPageAt` makes
 * the n-th applyPage call (0-based) throw like a full disk, leaving nothing of that page behind.
 */
export class MemoryAuditStore implements AuditStore {
  private actions = new Map<string, MachineAction>();
  private history = new Map<string, StatusChange[]>();
  private runs: RunRecord[] = [];
  private quarantine = new Map<string, QuarantineRecord>();
  private state: IngestState = {
    cursor: null,
    mode: 'lastUpdate',
    modeReason: null,
    backfillCompletedAt: null,
    lastRunStartedAt: null,
    lastSuccessAt: null,
    lastErrorAt: null,
    lastError: null,
    runsTotal: 0,
    runsFailed: 0,
  };
  private applyCalls = 0;
  private changeLog: Omit<ChangeRecord, 'action'>[] = [];
  private changeActions: string[] = [];
  private offsets = new Map<string, number>();
  private convs = new Map<string, ConversationRecord>();
  private deliveries: (DeliveryRecord & {
    state: 'pending' | 'sent' | 'failed';
    notBefore: string | null;
    lastError: string | null;
  })[] = [];
  private posted = new Map<string, PostedCard>();
  /** Ids of actions first stored by a backfill page (the SQLite store's first_run_id in a backfill run). */
  private backfilled = new Set<string>();
  private forwarding = false;
  private forwardSeq = 0;
  private outbox: ForwardItem[] = [];
  failApplyPageAt: number | undefined;

  beginRun(startedAt: string, backfill: boolean): number {
    this.state = { ...this.state, lastRunStartedAt: startedAt, runsTotal: this.state.runsTotal + 1 };
    const id = this.runs.length + 1;
    this.runs.push({
      id,
      startedAt,
      finishedAt: null,
      ok: null,
      backfill,
      error: null,
      stats: { pages: 0, calls: 0, new: 0, statusChanged: 0, updated: 0, unchanged: 0, quarantined: 0 },
    });
    return id;
  }

  applyPage(page: PageWrite): PageOutcome {
    if (this.applyCalls++ === this.failApplyPageAt)
      throw new StoreError('Store applyPage failed: database or disk is full');
    const out: PageOutcome = { changes: [], unchanged: 0, quarantined: page.quarantined.length };
    for (const a of page.items) {
      const lu = normalizeTimestamp(a.lastUpdateDateTimeUtc) as string;
      const old = this.actions.get(a.id);
      if (old && lu <= (normalizeTimestamp(old.lastUpdateDateTimeUtc) as string)) {
        out.unchanged++;
        continue;
      }
      this.actions.set(a.id, structuredClone(a));
      if (!old && page.backfill) this.backfilled.add(a.id);
      if (this.forwarding) this.outbox.push({ seq: ++this.forwardSeq, action: structuredClone(a) });
      const kind = !old ? 'new' : old.status !== a.status ? 'statusChanged' : 'updated';
      if (kind !== 'updated') {
        const h = this.history.get(a.id) ?? [];
        h.push({ status: a.status, changedAt: lu, observedAt: page.observedAt, runId: page.runId });
        this.history.set(a.id, h);
        if (!page.backfill) {
          this.changeLog.push({
            seq: this.changeLog.length + 1,
            kind,
            status: a.status,
            previousStatus: old?.status ?? null,
            runId: page.runId,
            recordedAt: page.observedAt,
          });
          this.changeActions.push(a.id);
        }
      }
      out.changes.push({
        kind,
        action: a,
        previousStatus: old?.status ?? null,
        backfill: page.backfill,
        runId: page.runId,
      });
    }
    for (const q of page.quarantined) {
      const prev = this.quarantine.get(q.raw);
      this.quarantine.set(q.raw, {
        ...q,
        firstSeenAt: prev?.firstSeenAt ?? page.observedAt,
        lastSeenAt: page.observedAt,
        seenCount: (prev?.seenCount ?? 0) + 1,
      });
    }
    if (page.cursor !== null && (this.state.cursor === null || page.cursor > this.state.cursor))
      this.state = { ...this.state, cursor: page.cursor };
    return out;
  }

  finishRun(
    runId: number,
    result: { finishedAt: string; ok: boolean; error?: string; stats: RunRecord['stats'] },
  ): void {
    const run = this.runs[runId - 1];
    if (run)
      Object.assign(run, {
        finishedAt: result.finishedAt,
        ok: result.ok,
        error: result.error ?? null,
        stats: result.stats,
      });
    this.state = result.ok
      ? { ...this.state, lastSuccessAt: result.finishedAt }
      : {
          ...this.state,
          lastErrorAt: result.finishedAt,
          lastError: result.error ?? 'unknown error',
          runsFailed: this.state.runsFailed + 1,
        };
  }

  setMode(mode: IngestState['mode'], reason: string | null): void {
    this.state = { ...this.state, mode, modeReason: reason };
  }

  markBackfillComplete(at: string): void {
    if (this.state.backfillCompletedAt === null) this.state = { ...this.state, backfillCompletedAt: at };
  }

  ingestState(): IngestState {
    return { ...this.state };
  }

  lastRun(): RunRecord | undefined {
    return this.runs.at(-1);
  }

  getAction(id: string): MachineAction | undefined {
    const a = this.actions.get(id);
    return a && structuredClone(a);
  }

  statusHistory(id: string): StatusChange[] {
    return [...(this.history.get(id) ?? [])];
  }

  countActions(): number {
    return this.actions.size;
  }

  allActions(): MachineAction[] {
    return [...this.actions.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map((a) => structuredClone(a));
  }

  quarantined(): QuarantineRecord[] {
    return [...this.quarantine.values()];
  }

  changesAfter(consumer: string, limit: number): ChangeRecord[] {
    const offset = this.consumerOffset(consumer);
    return this.changeLog
      .filter((c) => c.seq > offset)
      .slice(0, limit)
      .map((c) => ({
        ...c,
        action: structuredClone(this.actions.get(this.changeActions[c.seq - 1] as string) as MachineAction),
      }));
  }

  commitOffset(consumer: string, seq: number): void {
    this.offsets.set(consumer, Math.max(seq, this.consumerOffset(consumer)));
  }

  consumerOffset(consumer: string): number {
    return this.offsets.get(consumer) ?? 0;
  }

  saveConversation(input: {
    conversationId: string;
    kind: string;
    name: string | null;
    ref: ConvRef;
    at: string;
  }): void {
    const old = this.convs.get(input.conversationId);
    this.convs.set(input.conversationId, {
      conversationId: input.conversationId,
      kind: input.kind,
      name: input.name ?? old?.name ?? null,
      ref: input.ref,
      installedAt: old?.installedAt ?? input.at,
      alerts: old?.alerts ?? false,
      digest: old?.digest ?? false,
      subscribedAt: old?.subscribedAt ?? null,
      subscribedBy: old?.subscribedBy ?? null,
      active: true,
      inactiveReason: null,
    });
  }

  removeConversation(conversationId: string): void {
    this.convs.delete(conversationId);
  }

  setSubscription(
    conversationId: string,
    flags: { alerts: boolean; digest: boolean },
    by: string,
    at: string,
  ): boolean {
    const c = this.convs.get(conversationId);
    if (!c) return false;
    this.convs.set(conversationId, { ...c, ...flags, subscribedBy: by, subscribedAt: at });
    return true;
  }

  setConversationActive(conversationId: string, active: boolean, reason: string | null): void {
    const c = this.convs.get(conversationId);
    if (c) this.convs.set(conversationId, { ...c, active, inactiveReason: active ? null : reason });
  }

  conversations(): ConversationRecord[] {
    return [...this.convs.values()];
  }

  enqueueDeliveries(
    consumer: string,
    seq: number,
    deliveries: readonly { conversationId: string; kind: 'alert' | 'update'; actionId: string; payload: string }[],
    at: string,
  ): void {
    for (const d of deliveries)
      this.deliveries.push({
        ...d,
        id: this.deliveries.length + 1,
        createdAt: at,
        attempts: 0,
        state: 'pending',
        notBefore: null,
        lastError: null,
      });
    this.commitOffset(consumer, seq);
  }

  pendingDeliveries(nowIso: string, limit: number): DeliveryRecord[] {
    return this.deliveries
      .filter((d) => d.state === 'pending' && (d.notBefore === null || d.notBefore <= nowIso))
      .slice(0, limit)
      .map(({ id, conversationId, kind, actionId, payload, createdAt, attempts }) => ({
        id,
        conversationId,
        kind,
        actionId,
        payload,
        createdAt,
        attempts,
      }));
  }

  completeDelivery(
    id: number,
    _at: string,
    posted?: {
      conversationId: string;
      actionId: string;
      messageConversationId: string;
      activityId: string;
      payload: string;
    },
  ): void {
    const d = this.deliveries[id - 1];
    if (d) Object.assign(d, { state: 'sent', attempts: d.attempts + 1 });
    if (posted)
      this.posted.set(`${posted.conversationId}\n${posted.actionId}`, {
        messageConversationId: posted.messageConversationId,
        activityId: posted.activityId,
        payload: posted.payload,
      });
  }

  failDelivery(id: number, error: string, retryAt: string | null): void {
    const d = this.deliveries[id - 1];
    if (d)
      Object.assign(d, {
        attempts: d.attempts + 1,
        lastError: error,
        notBefore: retryAt,
        state: retryAt === null ? 'failed' : 'pending',
      });
  }

  postedCard(conversationId: string, actionId: string): PostedCard | undefined {
    return this.posted.get(`${conversationId}\n${actionId}`);
  }

  hasPendingAlert(conversationId: string, actionId: string): boolean {
    return this.deliveries.some(
      (d) =>
        d.state === 'pending' && d.kind === 'alert' && d.conversationId === conversationId && d.actionId === actionId,
    );
  }

  countByRequestorBetween(requestor: string, types: readonly string[], from: string, to: string): number {
    return [...this.actions.values()].filter((a) => {
      const c = normalizeTimestamp(a.creationDateTimeUtc) as string;
      return a.requestor.toLowerCase() === requestor.toLowerCase() && types.includes(a.type) && c >= from && c <= to;
    }).length;
  }

  private botState = new Map<string, string>();

  backfillSummary(): {
    total: number;
    byType: { key: string; count: number }[];
    from: string | null;
    to: string | null;
  } {
    const actions = [...this.backfilled]
      .map((id) => this.actions.get(id))
      .filter((a): a is MachineAction => a !== undefined);
    const counts = new Map<string, number>();
    for (const a of actions) counts.set(a.type, (counts.get(a.type) ?? 0) + 1);
    const byType = [...counts]
      .map(([key, count]) => ({ key, count }))
      .sort((x, y) => y.count - x.count || (x.key < y.key ? -1 : 1));
    const created = actions.map((a) => normalizeTimestamp(a.creationDateTimeUtc) as string).sort();
    return { total: actions.length, byType, from: created[0] ?? null, to: created.at(-1) ?? null };
  }

  enableForwarding(at: string): number {
    if (this.forwarding) return 0;
    this.forwarding = true;
    this.botState.set('forwarding.loganalytics.enabledAt', at);
    for (const a of this.allActions()) this.outbox.push({ seq: ++this.forwardSeq, action: structuredClone(a) });
    return this.outbox.length;
  }

  disableForwarding(): number {
    const dropped = this.outbox.length;
    this.forwarding = false;
    this.outbox = [];
    this.botState.delete('forwarding.loganalytics.enabledAt');
    return dropped;
  }

  forwardingEnabled(): boolean {
    return this.forwarding;
  }

  pendingForward(limit: number): ForwardItem[] {
    return this.outbox.slice(0, limit);
  }

  ackForward(seq: number): void {
    this.outbox = this.outbox.filter((item) => item.seq > seq);
  }

  forwardBacklog(): number {
    return this.outbox.length;
  }

  getState(key: string): string | null {
    return this.botState.get(key) ?? null;
  }

  setState(key: string, value: string): void {
    this.botState.set(key, value);
  }

  close(): void {}
}
