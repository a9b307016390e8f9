import assert from 'node:assert/strict';
import { createAlertPipeline } from '../../src/alerts/pipeline.js';
import type { ConvRef } from '../../src/core/conversation.js';
import type { Sender } from '../../src/core/send.js';
import { createSender } from '../../src/delivery/sender.js';
import { postDigest } from '../../src/digest/fan-out.js';
import { makeAction, guid } from '../fakes/actions.js';
import { createCaptureLogger } from '../fakes/capture-logger.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { MemoryAuditStore } from '../fakes/memory-store.js';
import { RecordingGateway } from '../fakes/recording-gateway.js';

const NOW = Date.parse('2026-11-24T08:00:00.000Z');
const CHANNEL = '19:secops@thread.tacv2';
const ref: ConvRef = {
  channelId: 'msteams',
  serviceUrl: 'https://smba.example/emea/',
  conversationId: CHANNEL,
  conversationType: 'channel',
  tenantId: 't',
  botId: '28:b',
  teamsChannelId: CHANNEL,
};

/** One conversation subscribed to alerts and the digest, one new Isolate waiting to be alerted. */
function scene(clock: FakeClock) {
  const store = new MemoryAuditStore();
  store.saveConversation({
    conversationId: CHANNEL,
    kind: 'channel',
    name: 'SecOps',
    ref,
    at: '2026-11-24T07:00:00.000Z',
  });
  store.setSubscription(CHANNEL, { alerts: true, digest: true }, 'admin', '2026-11-24T07:00:00.000Z');
  const isolate = makeAction({
    id: guid(1),
    type: 'Isolate',
    status: 'Pending',
    creationDateTimeUtc: '2026-11-24T07:59:00Z',
    lastUpdateDateTimeUtc: '2026-11-24T07:59:00Z',
  });
  store.applyPage({
    runId: 1,
    items: [isolate],
    quarantined: [],
    observedAt: new Date(clock.now()).toISOString(),
    backfill: false,
    cursor: null,
  });
  return store;
}

/** An alert delivery and the digest, both started at the same instant, through the senders given. */
async function alertAndDigestAtOnce(
  clock: FakeClock,
  store: MemoryAuditStore,
  alertSender: Sender,
  digestSender: Sender,
): Promise<void> {
  const logger = createCaptureLogger();
  const pipeline = createAlertPipeline({
    store,
    sender: alertSender,
    clock,
    logger,
    policy: {
      types: new Set(['Isolate']),
      massAction: { count: 5, windowMinutes: 10 },
      knownRequestors: null,
      businessHours: null,
    },
    renderAlert: (m) => ({ alert: m.action.id }),
    kqlForAction: (id) => id,
  });
  pipeline.collect();
  const digest = { digest: '2026-11-24' };
  await Promise.all([
    pipeline.deliver(),
    postDigest(digest, '2026-11-24', { conversations: store, state: store, sender: digestSender, clock, logger }),
  ]);
}

describe('delivery: one sender per process', () => {
  it('an alert and the digest for one conversation at the same instant start minIntervalMs apart', async () => {
    const clock = new FakeClock(NOW, { autoAdvance: true });
    const gateway = new RecordingGateway(clock);
    const sender = createSender({ gateway, clock, logger: createCaptureLogger(), minIntervalMs: 1000 });
    await alertAndDigestAtOnce(clock, scene(clock), sender, sender);
    assert.equal(gateway.calls.length, 2, 'the alert and the digest were posted');
    assert.deepEqual(gateway.calls.map((c) => Object.keys(c.card)[0]).sort(), ['alert', 'digest']);
    const [first, second] = gateway.calls;
    assert.ok(
      second!.atMs - first!.atMs >= 1000,
      `the second call started ${second!.atMs - first!.atMs} ms after the first`,
    );
  });

  it('two senders (the wiring before one sender per process) would start both at once', async () => {
    const clock = new FakeClock(NOW, { autoAdvance: true });
    const gateway = new RecordingGateway(clock);
    const logger = createCaptureLogger();
    const a = createSender({ gateway, clock, logger, minIntervalMs: 1000 });
    const b = createSender({ gateway, clock, logger, minIntervalMs: 1000 });
    await alertAndDigestAtOnce(clock, scene(clock), a, b);
    assert.equal(gateway.calls.length, 2);
    assert.equal(gateway.calls[1]!.atMs - gateway.calls[0]!.atMs, 0, 'nothing paces across separate senders');
  });
});
