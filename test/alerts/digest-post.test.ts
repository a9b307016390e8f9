import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/config.js';
import { createBot, startDigest, type Bot } from '../../src/app/index.js';
import { openSqliteStore, type SqliteAuditStore } from '../../src/store/sqlite-store.js';
import { FakeClock, flushPromises } from '../fakes/fake-clock.js';
import { createCaptureLogger } from '../fakes/capture-logger.js';
import { startFakeConnector, type FakeConnector } from '../fakes/fake-connector.js';
import { ALERTS_CHANNEL, TENANT } from '../teams/helpers.js';
import { DATASET } from '../bot/dataset.js';

describe('the daily digest is posted on schedule to subscribed conversations', function () {
  this.timeout(30_000);
  let store: SqliteAuditStore;
  let connector: FakeConnector;
  let bot: Bot;
  const config = loadConfig({ PORT: '0', DIGEST_CRON: '0 8 * * *', DIGEST_TIMEZONE: 'Europe/Amsterdam' });

  before(async () => {
    store = openSqliteStore({ path: ':memory:' });
    store.applyPage({
      runId: 1,
      items: DATASET,
      quarantined: [],
      observedAt: '2026-11-29T05:00:00.000Z',
      backfill: false,
      cursor: null,
    });
    connector = await startFakeConnector();
    bot = await createBot(config, {
      store,
      clock: new FakeClock(Date.parse('2026-11-29T06:00:00Z')),
      logger: createCaptureLogger(),
      ingestEnabled: false,
    });
    const ref = {
      channelId: 'msteams' as const,
      serviceUrl: connector.url,
      conversationId: ALERTS_CHANNEL,
      conversationType: 'channel' as const,
      tenantId: TENANT,
      botId: '28:bot',
    };
    store.saveConversation({
      conversationId: ALERTS_CHANNEL,
      kind: 'channel',
      name: 'SecOps › Alerts',
      ref,
      at: '2026-11-28T00:00:00.000Z',
    });
    store.setSubscription(ALERTS_CHANNEL, { alerts: false, digest: true }, 'admin', '2026-11-28T00:00:00.000Z');
  });
  after(async () => {
    await connector.close();
    store.close();
  });

  it('posts once at 08:00 local time, and a restart the same day does not post again', async () => {
    // 06:58 UTC is 07:58 in Amsterdam (CET).
    const clock = new FakeClock(Date.parse('2026-11-29T06:58:00Z'));
    const first = startDigest(config, { store, bot, clock, logger: createCaptureLogger() });
    await flushPromises();
    assert.equal(connector.calls.length, 0, 'not before 08:00');
    await clock.advance(3 * 60_000);
    await connector.waitForCalls(1);
    await flushPromises();
    assert.equal(connector.cardsPosted().length, 1);
    assert.match(JSON.stringify(connector.cardsPosted()[0]!.card), /Chart\.VerticalBar/);
    assert.equal(store.getState('digest.lastSentLocalDate'), '2026-11-29');
    await clock.advance(60 * 60_000);
    await first.stop();

    const restarted = startDigest(config, { store, bot, clock, logger: createCaptureLogger() });
    await flushPromises();
    await clock.advance(60_000);
    await restarted.stop();
    assert.equal(connector.cardsPosted().length, 1, 'never twice a day');
  });
});
