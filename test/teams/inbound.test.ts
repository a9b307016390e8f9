import assert from 'node:assert/strict';
import { APOLOGY } from '../../src/teams/adapter.js';
import { startFakeConnector, type FakeConnector } from '../fakes/fake-connector.js';
import {
  ALERTS_CHANNEL,
  BOT_ID,
  OTHER_TENANT,
  TEAM_ID,
  TENANT,
  USER,
  channelMessage,
  personalMessage,
  recordingHandlers,
  startBotStack,
  teamInstallation,
  teamMembersUpdate,
  type BotStack,
} from './helpers.js';

const CARD = {
  type: 'AdaptiveCard',
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
  version: '1.5',
  body: [{ type: 'TextBlock', text: '3 actions for WS-042', wrap: true }],
};

describe('teams inbound: restify + CloudAdapter + activity handler, replies to a fake connector', () => {
  let fake: FakeConnector;
  let bot: BotStack;

  before(async () => {
    fake = await startFakeConnector();
    bot = await startBotStack({
      handlers: recordingHandlers((text) => (text.startsWith('actions') ? CARD : `echo: ${text}`)),
    });
  });
  after(async () => {
    await bot.stop();
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    bot.handlers.commands.length = 0;
    bot.handlers.installs.length = 0;
    bot.handlers.uninstalls.length = 0;
    bot.lines.length = 0;
  });

  it('strips the bot @mention, calls onCommand and posts the returned card as an Adaptive Card attachment', async () => {
    const activity = channelMessage(fake.url, 'actions for device WS-042');
    const r = await bot.post(activity);
    assert.equal(r.status, 200);

    assert.equal(bot.handlers.commands.length, 1);
    const cmd = bot.handlers.commands[0]!;
    assert.equal(cmd.text, 'actions for device WS-042');
    assert.deepEqual(cmd.user, { id: USER.id, aadObjectId: USER.aadObjectId, name: USER.name });
    assert.equal(cmd.ref.conversationId, `${ALERTS_CHANNEL};messageid=${String(activity['id'])}`);
    assert.equal(cmd.ref.teamsChannelId, ALERTS_CHANNEL);
    assert.equal(cmd.ref.tenantId, TENANT);

    // The turn completes before the HTTP answer, so the reply has already reached the connector.
    assert.equal(fake.calls.length, 1);
    const call = fake.calls[0]!;
    assert.equal(call.method, 'POST');
    assert.equal(call.conversationId, `${ALERTS_CHANNEL};messageid=${String(activity['id'])}`);
    assert.equal(call.activityId, activity['id'], 'a reply during a turn goes to /activities/{inboundActivityId}');
    assert.equal(call.authorization, undefined, 'authentication off: no Authorization header outbound');
    const body = call.body as {
      type: string;
      attachments: { contentType: string; content: unknown }[];
      replyToId: string;
    };
    assert.equal(body.type, 'message');
    assert.equal(body.attachments[0]?.contentType, 'application/vnd.microsoft.card.adaptive');
    assert.deepEqual(body.attachments[0]?.content, CARD);
    assert.deepEqual(
      fake.cardsPosted().map((c) => c.card),
      [CARD],
    );
  });

  it('uses value.command of an Action.Submit as the command text', async () => {
    const r = await bot.post(personalMessage(fake.url, '', { command: '  actions for device WS-043 ', verb: 'page' }));
    assert.equal(r.status, 200);
    assert.deepEqual(
      bot.handlers.commands.map((c) => c.text),
      ['actions for device WS-043'],
    );
    assert.equal(bot.handlers.commands[0]?.ref.conversationType, 'personal');
    assert.deepEqual(
      fake.cardsPosted().map((c) => c.card),
      [CARD],
    );
  });

  it('sends a string reply as a text message', async () => {
    const r = await bot.post(personalMessage(fake.url, '  help  '));
    assert.equal(r.status, 200);
    assert.deepEqual(
      bot.handlers.commands.map((c) => c.text),
      ['help'],
    );
    assert.deepEqual(fake.textsPosted(), ['echo: help']);
    assert.equal((fake.calls[0]?.body as { attachments?: unknown[] }).attachments, undefined);
  });

  it("drops a foreign tenant's message: no onCommand, no connector call, one warn line", async () => {
    const foreign = channelMessage(fake.url, 'actions for device WS-042', {
      conversation: {
        isGroup: true,
        conversationType: 'channel',
        tenantId: OTHER_TENANT,
        id: `${ALERTS_CHANNEL};messageid=1`,
      } as never,
      channelData: { tenant: { id: OTHER_TENANT }, team: { id: TEAM_ID }, channel: { id: ALERTS_CHANNEL } },
    });
    const r = await bot.post(foreign);
    assert.equal(r.status, 200);
    assert.equal(bot.handlers.commands.length, 0);
    assert.equal(fake.calls.length, 0);
    const warns = bot.lines.filter((l) => l.level === 'warn');
    assert.equal(warns.length, 1);
    assert.equal(warns[0]?.fields['tenantId'], OTHER_TENANT);
    assert.equal(warns[0]?.fields['activityType'], 'message');
    assert.equal(warns[0]?.fields['conversationId'], `${ALERTS_CHANNEL};messageid=1`);
  });

  it('drops a foreign tenant even when only conversation.tenantId names it', async () => {
    const foreign = personalMessage(fake.url, 'help');
    foreign['channelData'] = {};
    foreign['conversation'] = { conversationType: 'personal', tenantId: OTHER_TENANT, id: 'a:other' };
    await bot.post(foreign);
    assert.equal(bot.handlers.commands.length, 0);
    assert.equal(fake.calls.length, 0);
  });

  it('compares tenant ids case-insensitively', async () => {
    const upper = personalMessage(fake.url, 'help');
    upper['channelData'] = { tenant: { id: TENANT.toUpperCase() } };
    await bot.post(upper);
    assert.equal(bot.handlers.commands.length, 1);
  });

  it('installationUpdate add/remove reach onInstall/onUninstall with the team ConvRef', async () => {
    assert.equal((await bot.post(teamInstallation(fake.url, 'add'))).status, 200);
    assert.equal(bot.handlers.installs.length, 1);
    const { ref, info } = bot.handlers.installs[0]!;
    assert.deepEqual(ref, {
      channelId: 'msteams',
      serviceUrl: fake.url,
      conversationId: TEAM_ID,
      conversationType: 'channel',
      tenantId: TENANT,
      botId: BOT_ID,
      teamId: TEAM_ID,
      teamName: 'SecOps',
      teamsChannelId: TEAM_ID,
    });
    assert.deepEqual(info, {
      source: 'installationUpdate',
      selectedChannelId: ALERTS_CHANNEL,
      by: { id: USER.id, aadObjectId: USER.aadObjectId },
    });

    assert.equal((await bot.post(teamInstallation(fake.url, 'remove'))).status, 200);
    assert.equal(bot.handlers.uninstalls.length, 1);
    assert.equal(bot.handlers.uninstalls[0]?.conversationId, TEAM_ID);
    assert.equal(fake.calls.length, 0, 'install events get no reply');
  });

  it('conversationUpdate with the bot in membersAdded/membersRemoved also installs/uninstalls', async () => {
    await bot.post(teamMembersUpdate(fake.url, 'added'));
    assert.equal(bot.handlers.installs.length, 1);
    assert.equal(bot.handlers.installs[0]?.info.source, 'conversationUpdate');
    assert.equal(bot.handlers.installs[0]?.info.selectedChannelId, ALERTS_CHANNEL);
    assert.equal(bot.handlers.installs[0]?.ref.teamId, TEAM_ID);

    await bot.post(teamMembersUpdate(fake.url, 'removed'));
    assert.equal(bot.handlers.uninstalls.length, 1);
    assert.equal(fake.calls.length, 0, 'no TeamsInfo.getMember lookups, no replies');
  });

  it('ignores members other than the bot joining', async () => {
    const update = teamMembersUpdate(fake.url, 'added');
    update['membersAdded'] = [{ id: '29:someone-else', name: 'Someone' }];
    await bot.post(update);
    assert.equal(bot.handlers.installs.length, 0);
  });

  it('a failing onCommand is logged once and answered with a short apology', async () => {
    bot.handlers.reply = () => Promise.reject(new Error('store is locked at /var/lib/secret-path'));
    try {
      const r = await bot.post(personalMessage(fake.url, 'summary 7d'));
      assert.equal(r.status, 200);
    } finally {
      bot.handlers.reply = (text) => `echo: ${text}`;
    }
    assert.deepEqual(fake.textsPosted(), [APOLOGY]);
    const errors = bot.lines.filter((l) => l.level === 'error');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.msg, 'turn failed');
    assert.equal(errors[0]?.fields['activityType'], 'message');
  });

  it("allowedTenantIds 'any' serves every tenant", async () => {
    const open = await startBotStack({ allowedTenantIds: 'any' });
    try {
      const foreign = personalMessage(fake.url, 'help');
      foreign['channelData'] = { tenant: { id: OTHER_TENANT } };
      await open.post(foreign);
      assert.equal(open.handlers.commands[0]?.ref.tenantId, OTHER_TENANT);
      assert.deepEqual(fake.textsPosted(), ['echo: help']);
    } finally {
      await open.stop();
    }
  });

  it('answers 400 to a JSON body that is not an activity, without a turn', async () => {
    const r = await bot.post({ hello: 'world' });
    assert.equal(r.status, 400);
    assert.equal(bot.handlers.commands.length, 0);
  });
});
