import assert from 'node:assert/strict';
import {
  conversationKey,
  conversationKeyOf,
  threadConversationId,
  threadRootId,
  type ConvRef,
} from '../../src/core/conversation.js';
import { chatConversation, createInstallations, createSubscriptions } from '../../src/conversations/conversations.js';
import { serviceHealth } from '../../src/ingest/health.js';
import { createCaptureLogger } from '../fakes/capture-logger.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { MemoryAuditStore } from '../fakes/memory-store.js';

const CHANNEL = '19:alerts@thread.tacv2';
const ADMIN = 'aaaaaaaa-0000-0000-0000-00000000000a';
const channelRef = (conversationId: string, teamId = 'team-1'): ConvRef => ({
  channelId: 'msteams',
  serviceUrl: 'https://smba.example/emea/',
  conversationId,
  conversationType: 'channel',
  tenantId: 't',
  botId: '28:b',
  teamId,
  teamsChannelId: conversationKey(conversationId),
  teamName: 'SecOps',
  channelName: 'Alerts',
});

describe('core/conversation: the conversation key, the one place that reads the thread suffix', () => {
  it('a channel and its threads are one conversation', () => {
    assert.equal(conversationKey(`${CHANNEL};messageid=1700000000000`), CHANNEL);
    assert.equal(conversationKey(CHANNEL), CHANNEL);
    assert.equal(threadRootId(`${CHANNEL};messageid=17`), '17');
    assert.equal(threadRootId(CHANNEL), '');
    assert.equal(threadConversationId(`${CHANNEL};messageid=1`, '2'), `${CHANNEL};messageid=2`);
    const { teamsChannelId: _unused, ...withoutChannel } = channelRef(`${CHANNEL};messageid=5`);
    assert.equal(conversationKeyOf(withoutChannel), CHANNEL);
  });
});

describe('conversations: installs, subscriptions and the admin rule', () => {
  const clock = new FakeClock(Date.parse('2026-11-29T10:00:00Z'));

  it('a thread counts as its channel, named by team and channel', () => {
    const c = chatConversation(channelRef(`${CHANNEL};messageid=42`));
    assert.deepEqual(
      [c.conversationId, c.kind, c.name, c.ref.conversationId],
      [CHANNEL, 'channel', 'SecOps › Alerts', CHANNEL],
    );
  });

  it('installs are idempotent; a team uninstall removes every channel of the team, and only those', () => {
    const store = new MemoryAuditStore();
    const installs = createInstallations({ store, clock, logger: createCaptureLogger() });
    installs.installed(channelRef(CHANNEL), 'installationUpdate');
    installs.installed(channelRef(CHANNEL), 'conversationUpdate');
    installs.installed(channelRef('19:other@thread.tacv2'), 'conversationUpdate');
    installs.installed(channelRef('19:elsewhere@thread.tacv2', 'team-2'), 'conversationUpdate');
    assert.equal(store.conversations().length, 3);
    installs.uninstalled(channelRef(CHANNEL));
    assert.deepEqual(
      store.conversations().map((c) => c.conversationId),
      ['19:elsewhere@thread.tacv2'],
    );
  });

  it('only a listed admin may change subscriptions; an empty list lets everyone, never ad hoc KQL', () => {
    const store = new MemoryAuditStore();
    const subs = createSubscriptions({ store, clock, adminIds: [ADMIN.toUpperCase()] });
    assert.equal(subs.isAdmin(ADMIN), true, 'compared case-insensitively');
    assert.equal(subs.isAdmin('bbbbbbbb-0000-0000-0000-00000000000b'), false);
    assert.equal(subs.isAdmin(undefined), false);
    const open = createSubscriptions({ store, clock, adminIds: [] });
    assert.equal(open.isAdmin(undefined), true);
    assert.equal(open.isAdmin(ADMIN, true), false, 'strict: ad hoc KQL needs a listed admin');
    subs.set(chatConversation(channelRef(CHANNEL)), { alerts: true, digest: false }, ADMIN);
    assert.deepEqual(subs.get(CHANNEL), { alerts: true, digest: false });
    assert.deepEqual(
      subs.list().map((r) => [r.conversationId, r.name, r.alerts, r.digest, r.active]),
      [[CHANNEL, 'SecOps › Alerts', true, false, true]],
    );
    assert.deepEqual(subs.get('19:unknown'), { alerts: false, digest: false });
  });
});

describe('ingest/health: the /healthz policy', () => {
  const POLL = 30_000;
  const at = Date.parse('2026-11-29T10:00:00Z');
  const ledger = (lastSuccessAt: string | null) => ({
    ingestState: () => ({ ...new MemoryAuditStore().ingestState(), lastSuccessAt }),
  });

  it('healthy before the first success (a long backfill), and until 10 poll intervals (at least 5 min) pass without one', () => {
    assert.equal(serviceHealth(ledger(null), { nowMs: at, pollIntervalMs: POLL, ingestEnabled: true }).ok, true);
    assert.equal(
      serviceHealth(ledger(new Date(at - 5 * 60_000).toISOString()), {
        nowMs: at,
        pollIntervalMs: POLL,
        ingestEnabled: true,
      }).ok,
      true,
    );
    const stale = serviceHealth(ledger(new Date(at - 5 * 60_000 - 1000).toISOString()), {
      nowMs: at,
      pollIntervalMs: POLL,
      ingestEnabled: true,
    });
    assert.deepEqual(stale.checks['ingest'], { ok: false, detail: 'last success 301 s ago' });
    const slowPoll = serviceHealth(ledger(new Date(at - 40 * 60_000).toISOString()), {
      nowMs: at,
      pollIntervalMs: 5 * 60_000,
      ingestEnabled: true,
    });
    assert.equal(slowPoll.ok, true, '10 intervals of 5 min');
  });

  it('an unreadable store is unhealthy; a bot without ingest reports only the store', () => {
    const broken = {
      ingestState: (): never => {
        throw new Error('database disk image is malformed');
      },
    };
    const r = serviceHealth(broken, { nowMs: at, pollIntervalMs: POLL, ingestEnabled: true });
    assert.deepEqual(r, { ok: false, checks: { store: { ok: false, detail: 'database disk image is malformed' } } });
    assert.deepEqual(
      Object.keys(serviceHealth(ledger(null), { nowMs: at, pollIntervalMs: POLL, ingestEnabled: false }).checks),
      ['store'],
    );
  });
});
