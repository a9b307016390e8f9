import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/config.js';
import { createBot, type Bot } from '../../src/app/index.js';
import { openSqliteStore, type SqliteAuditStore } from '../../src/store/sqlite-store.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { createCaptureLogger } from '../fakes/capture-logger.js';
import { startFakeConnector, type FakeConnector } from '../fakes/fake-connector.js';
import {
  ALERTS_CHANNEL,
  channelMessage,
  teamInstallation,
  teamMembersUpdate,
  TEAM_ID,
  USER,
} from '../teams/helpers.js';

const NOW = Date.parse('2026-11-29T12:00:00.000Z');

describe('subscriptions through the bot', function () {
  this.timeout(30_000);
  let store: SqliteAuditStore;
  let connector: FakeConnector;
  let bot: Bot;
  let url: string;

  const post = async (activity: Record<string, unknown>): Promise<void> => {
    const res = await fetch(`${url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(activity),
    });
    assert.ok(res.status < 300, `HTTP ${res.status}`);
  };
  const say = async (text: string, from = USER): Promise<string> => {
    await post(channelMessage(connector.url, text, { from }));
    return JSON.stringify(connector.cardsPosted().at(-1)?.card);
  };

  before(async () => {
    store = openSqliteStore({ path: ':memory:' });
    connector = await startFakeConnector();
    bot = await createBot(loadConfig({ PORT: '0', ADMIN_AAD_OBJECT_IDS: USER.aadObjectId }), {
      store,
      clock: new FakeClock(NOW),
      logger: createCaptureLogger(),
      ingestEnabled: false,
    });
    url = (await bot.start()).url;
  });
  after(async () => {
    await bot.stop();
    await connector.close();
    store.close();
  });

  it('records the installation once for the pair of install events', async () => {
    await post(teamInstallation(connector.url, 'add'));
    await post(teamMembersUpdate(connector.url, 'added'));
    const convs = store.conversations();
    assert.equal(convs.length, 1);
    assert.equal(convs[0]?.conversationId, TEAM_ID);
    assert.equal(convs[0]?.ref.serviceUrl, connector.url);
  });

  it('an admin subscribes the channel where the command is written; others may only list', async () => {
    const card = await say('subscribe');
    assert.match(card, /now receives alerts and the daily digest/);
    const alerts = store.conversations().find((c) => c.conversationId === ALERTS_CHANNEL);
    assert.deepEqual([alerts?.alerts, alerts?.digest, alerts?.subscribedBy], [true, true, USER.aadObjectId]);
    assert.match(await say('unsubscribe digest'), /now receives alerts/);
    assert.equal(store.conversations().find((c) => c.conversationId === ALERTS_CHANNEL)?.digest, false);
    const stranger = { ...USER, id: '29:someone-else', aadObjectId: '99999999-0000-0000-0000-000000000009' };
    assert.match(await say('subscribe digest', stranger), /Admins only/);
    // The admin's object id as the channel user id, without aadObjectId: not an Entra identity, refused.
    const impostor = { id: USER.aadObjectId, name: 'Impostor' } as unknown as typeof USER;
    assert.match(await say('subscribe digest', impostor), /Admins only/);
    assert.equal(store.conversations().find((c) => c.conversationId === ALERTS_CHANNEL)?.digest, false);
    const list = await say('subscriptions', stranger);
    assert.match(list, /alerts/);
    assert.match(list, /SecOps › Alerts/);
  });

  it('uninstalling from the team removes its conversations (nothing is posted there again)', async () => {
    await post(teamInstallation(connector.url, 'remove'));
    assert.deepEqual(store.conversations(), []);
  });
});
