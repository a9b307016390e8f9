import assert from 'node:assert/strict';
import { createAlertPipeline, ALERTS_CONSUMER, type AlertPipelineDeps } from '../../src/alerts/pipeline.js';
import type { AlertPolicy } from '../../src/alerts/policy.js';
import type { SendOp, SendResult, Sender } from '../../src/core/send.js';
import type { AlertCardModel, StormCardModel } from '../../src/core/alerts.js';
import type { MachineAction } from '../../src/core/types.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { AuditStore } from '../../src/store/types.js';
import { MemoryAuditStore } from '../fakes/memory-store.js';
import type { ConvRef } from '../../src/core/conversation.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { createCaptureLogger } from '../fakes/capture-logger.js';
import { makeAction, guid } from '../fakes/actions.js';

const NOW = Date.parse('2026-11-24T10:00:00.000Z');

/** A Sender that records what it was asked to do and answers from a script. */
class RecordingSender implements Sender {
  readonly sent: { conversationId: string; op: SendOp; status: string }[] = [];
  script: SendResult[] = [];
  private n = 0;
  send(ref: ConvRef, op: SendOp): Promise<SendResult> {
    const status = (op.card as { status?: string }).status ?? '';
    this.sent.push({ conversationId: ref.conversationId, op, status });
    const scripted = this.script.shift();
    if (scripted) return Promise.resolve(scripted);
    this.n++;
    return Promise.resolve({
      ok: true,
      compact: false,
      attempts: 1,
      posted: op.kind === 'post' ? { conversationId: ref.conversationId, activityId: `act-${this.n}` } : null,
    });
  }
}

const policy: AlertPolicy = {
  types: new Set(['Isolate', 'Unisolate', 'RunAntiVirusScan']),
  massAction: { count: 3, windowMinutes: 10 },
  knownRequestors: null,
  businessHours: null,
};

/** The same tests on the SQLite store and on the memory fake: both implement the store's interfaces alike. */
const STORES: [string, () => AuditStore][] = [
  ['SQLite', () => openSqliteStore({ path: ':memory:' })],
  ['memory fake', () => new MemoryAuditStore()],
];

function setup(open: () => AuditStore, extra: Partial<AlertPipelineDeps> = {}) {
  const store = open();
  const clock = new FakeClock(NOW);
  const sender = new RecordingSender();
  const pipeline = createAlertPipeline({
    store,
    sender,
    clock,
    logger: createCaptureLogger(),
    policy,
    // The "card" is the model's essentials, so tests can read what would be shown.
    renderAlert: (m: AlertCardModel) => ({
      status: m.action.status,
      flags: m.flags.map((f) => f.kind),
      compact: m.compact === true,
      done: m.timeToCompleteMs,
    }),
    kqlForAction: (id) => `MDEMachineActions_CL | where ActionId == '${id}'`,
    ...extra,
  });
  const ref = (id: string): ConvRef => ({
    channelId: 'msteams',
    serviceUrl: 'http://127.0.0.1:9/',
    conversationId: id,
    conversationType: 'channel',
    tenantId: 't',
    botId: '28:b',
  });
  store.saveConversation({
    conversationId: 'chan-a',
    kind: 'channel',
    name: 'A',
    ref: ref('chan-a'),
    at: '2026-11-24T09:00:00.000Z',
  });
  store.setSubscription('chan-a', { alerts: true, digest: false }, 'admin', '2026-11-24T09:00:00.000Z');
  store.saveConversation({
    conversationId: 'chan-b',
    kind: 'channel',
    name: 'B',
    ref: ref('chan-b'),
    at: '2026-11-24T09:00:00.000Z',
  });
  let run = 0;
  const ingest = (items: MachineAction[], backfill = false): void => {
    store.applyPage({
      runId: ++run,
      items,
      quarantined: [],
      observedAt: new Date(clock.now()).toISOString(),
      backfill,
      cursor: null,
    });
  };
  return { store, clock, sender, pipeline, ingest };
}

async function cycle(p: ReturnType<typeof setup>): Promise<void> {
  p.pipeline.collect();
  await p.pipeline.deliver();
}

for (const [storeName, open] of STORES)
  describe(`alerts/pipeline (${storeName})`, () => {
    let s: ReturnType<typeof setup>;
    let store: AuditStore;
    beforeEach(() => {
      s = setup(open);
      store = s.store;
    });
    afterEach(() => store.close());

    it('in one conversation new alerts go out before card updates, and other conversations do not wait', async () => {
      s.store.setSubscription('chan-b', { alerts: true, digest: false }, 'admin', '2026-11-24T09:00:00.000Z');
      const first = makeAction({
        id: guid(1),
        type: 'Isolate',
        status: 'Pending',
        creationDateTimeUtc: '2026-11-24T09:50:00Z',
        lastUpdateDateTimeUtc: '2026-11-24T09:50:00Z',
      });
      s.ingest([first]);
      await cycle(s);
      s.sender.sent.length = 0;
      // The completion is logged before the new action, so its update is the older delivery.
      s.ingest([{ ...first, status: 'Succeeded', lastUpdateDateTimeUtc: '2026-11-24T09:58:00Z' }]);
      s.ingest([
        makeAction({
          id: guid(2),
          type: 'Isolate',
          status: 'Pending',
          creationDateTimeUtc: '2026-11-24T09:59:00Z',
          lastUpdateDateTimeUtc: '2026-11-24T09:59:00Z',
        }),
      ]);
      await cycle(s);
      const inA = s.sender.sent.filter((x) => x.conversationId === 'chan-a').map((x) => [x.op.kind, x.status]);
      assert.deepEqual(inA, [
        ['post', 'Pending'],
        ['update', 'Succeeded'],
      ]);
      // Both conversations' first sends started before either conversation finished (delivered side by side).
      assert.deepEqual(
        s.sender.sent
          .slice(0, 2)
          .map((x) => x.conversationId)
          .sort(),
        ['chan-a', 'chan-b'],
      );
    });

    it('a new Isolate gives one card in each subscribed channel; its status changes update that card, never a second one', async () => {
      const a = makeAction({
        id: guid(1),
        type: 'Isolate',
        status: 'Pending',
        creationDateTimeUtc: '2026-11-24T09:59:00Z',
        lastUpdateDateTimeUtc: '2026-11-24T09:59:00Z',
      });
      s.ingest([a]);
      await cycle(s);
      assert.deepEqual(
        s.sender.sent.map((x) => [x.conversationId, x.op.kind, x.status]),
        [['chan-a', 'post', 'Pending']],
      );
      s.ingest([{ ...a, status: 'InProgress', lastUpdateDateTimeUtc: '2026-11-24T09:59:10Z' }]);
      await cycle(s);
      s.ingest([{ ...a, status: 'Succeeded', lastUpdateDateTimeUtc: '2026-11-24T10:03:12Z' }]);
      await cycle(s);
      await cycle(s);
      assert.deepEqual(
        s.sender.sent.map((x) => [x.op.kind, x.status]),
        [
          ['post', 'Pending'],
          ['update', 'InProgress'],
          ['update', 'Succeeded'],
        ],
      );
      const last = s.sender.sent.at(-1)!.op;
      assert.ok(last.kind === 'update' && last.message.activityId === 'act-1');
      assert.equal((last.card as { done: number }).done, 252_000, 'time to complete, ms');
    });

    it('types outside the policy post nothing; backfill posts nothing', async () => {
      s.ingest([makeAction({ id: guid(1), type: 'CollectInvestigationPackage' })]);
      s.ingest([makeAction({ id: guid(2), type: 'Isolate' })], true);
      await cycle(s);
      assert.deepEqual(s.sender.sent, []);
      assert.equal(store.consumerOffset(ALERTS_CONSUMER), 1, 'the offset moved past what it read');
    });

    it('flags a mass action and offboarding', async () => {
      const by = (n: number, minute: number, type = 'RunAntiVirusScan'): MachineAction =>
        makeAction({
          id: guid(n),
          type,
          requestor: 'Bulk@contoso.com',
          creationDateTimeUtc: `2026-11-24T09:5${minute}:00Z`,
          lastUpdateDateTimeUtc: `2026-11-24T09:5${minute}:00Z`,
        });
      s.ingest([by(1, 0), by(2, 1), by(3, 2), by(4, 3, 'Offboard')]);
      await cycle(s);
      assert.deepEqual(
        s.sender.sent.map((x) => (x.op.card as { flags: string[] }).flags),
        [[], [], ['massAction'], ['massAction', 'offboard']],
      );
    });

    it('a failed send is retried later and posted once; 403 MessageWritesBlocked deactivates the subscription', async () => {
      s.sender.script.push({ ok: false, permanent: false, deactivate: false, reason: 'HTTP 503', attempts: 2 });
      s.ingest([makeAction({ id: guid(1) })]);
      await cycle(s);
      await cycle(s);
      assert.equal(s.sender.sent.length, 1, 'not retried before its time');
      await s.clock.advance(61_000);
      await cycle(s);
      assert.equal(s.sender.sent.length, 2);
      assert.ok(store.postedCard('chan-a', guid(1)));

      s.sender.script.push({
        ok: false,
        permanent: true,
        deactivate: true,
        reason: 'MessageWritesBlocked',
        attempts: 1,
      });
      s.ingest([
        makeAction({
          id: guid(2),
          creationDateTimeUtc: '2026-11-24T10:00:30Z',
          lastUpdateDateTimeUtc: '2026-11-24T10:00:30Z',
        }),
      ]);
      await cycle(s);
      const conv = store.conversations().find((c) => c.conversationId === 'chan-a')!;
      assert.deepEqual([conv.active, conv.inactiveReason], [false, 'MessageWritesBlocked']);
      s.ingest([
        makeAction({
          id: guid(3),
          creationDateTimeUtc: '2026-11-24T10:00:40Z',
          lastUpdateDateTimeUtc: '2026-11-24T10:00:40Z',
        }),
      ]);
      await cycle(s);
      assert.equal(s.sender.sent.length, 3, 'nothing more is posted to an inactive subscription');
    });

    it('after a long outage more than the threshold waiting give one storm card that accounts for each action, updated as any of them completes', async () => {
      store.close();
      // The "card" is the storm model itself: what the renderer would count, list and offer.
      s = setup(open, { renderStorm: (m: StormCardModel) => ({ storm: m }), stormThreshold: 3 });
      store = s.store;
      // Five Isolates created over the three days the bot was down (NOW is 2026-11-24T10:00Z).
      const ids = [1, 2, 3, 4, 5].map(guid);
      const at = (day: number): string => `2026-11-${day}T09:00:00.0000000Z`;
      s.ingest(
        ids.map((id, i) =>
          makeAction({
            id,
            creationDateTimeUtc: at(21 + Math.floor(i / 2)),
            lastUpdateDateTimeUtc: at(21 + Math.floor(i / 2)),
          }),
        ),
      );
      await cycle(s);
      assert.deepEqual(
        s.sender.sent.map((x) => x.op.kind),
        ['post'],
        'one card, not five',
      );
      const posted = s.sender.sent[0]!.op.card as { storm: StormCardModel };
      assert.deepEqual(posted.storm.byStatus, [{ key: 'Pending', count: 5 }]);
      assert.equal(
        posted.storm.actions.length,
        5,
        'the model has every action; the renderer lists the newest that fit',
      );
      // "Show all" reaches back to the oldest action's day, not only the last 24 hours.
      assert.equal(posted.storm.showAllCommand, 'actions by Alex.Wilber@contoso.com since 2026-11-21');
      for (const id of ids) {
        const record = store.postedCard('chan-a', id);
        assert.equal(record?.activityId, 'act-1', `${id} is recorded on the storm card`);
        assert.deepEqual((JSON.parse(record.payload) as { storm: string[] }).storm, ids);
      }
      // The oldest action (the last a cut list would show) completes: the storm card is updated.
      s.ingest([
        makeAction({
          id: guid(1),
          status: 'Succeeded',
          creationDateTimeUtc: at(21),
          lastUpdateDateTimeUtc: '2026-11-24T10:00:05.0000000Z',
        }),
      ]);
      await cycle(s);
      const update = s.sender.sent.at(-1)!.op;
      assert.ok(update.kind === 'update' && update.message.activityId === 'act-1');
      assert.deepEqual((update.card as { storm: StormCardModel }).storm.byStatus, [
        { key: 'Pending', count: 4 },
        { key: 'Succeeded', count: 1 },
      ]);
      assert.equal(s.sender.sent.length, 2, 'no card of its own');
    });

    it('a crash after collecting loses nothing: a new pipeline on the same store delivers what was queued', async () => {
      s.ingest([makeAction({ id: guid(1) }), makeAction({ id: guid(2), type: 'Unisolate' })]);
      s.pipeline.collect(); // ... and the process dies before deliver()
      const again = createAlertPipeline({
        store,
        sender: s.sender,
        clock: s.clock,
        logger: createCaptureLogger(),
        policy,
        renderAlert: (m) => ({ status: m.action.status }),
        kqlForAction: () => '',
      });
      again.collect();
      await again.deliver();
      assert.deepEqual(
        s.sender.sent.map((x) => x.op.kind),
        ['post', 'post'],
      );
    });
  });
