import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PLAYGROUND, readPlaygroundMessages, type PlaygroundMessage } from '../../src/demo/playground.js';
import { startDemo, type Demo } from '../../src/app/index.js';
import { waitFor } from '../support/child.js';

/**
 * The product against a real Teams-like client: `startDemo` (simulator, ingest every second, the
 * bot with its real CloudAdapter, alerts, digest) and the Microsoft 365 Agents Playground as a
 * separate process. The test drives the Playground through its HTTP routes as its web UI would
 * (install in the team, @mention the bot) and reads what the bot posted from the Playground's own
 * record of bot messages. Nothing here talks to the bot directly.
 */
describe('demo: the bot in the Microsoft 365 Agents Playground (real client, end to end)', function () {
  this.timeout(120_000);
  let dir: string;
  let demo: Demo;

  const post = async (path: string, body: unknown): Promise<unknown> => {
    const res = await fetch(`${demo.playground.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.ok(res.ok, `${path}: ${res.status}`);
    const text = await res.text();
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  };
  /** An @mention of the bot in the team's General channel, as the Playground's compose box sends it. */
  const mention = (text: string): Promise<unknown> =>
    post(`/_conversation/v1/conversations/${PLAYGROUND.teamId}/messages`, {
      from: { id: PLAYGROUND.userId },
      text: `<at>${PLAYGROUND.botName}</at> ${text}`,
      textFormat: 'plain',
      mentions: [{ mentioned: { id: PLAYGROUND.botId }, text: `<at>${PLAYGROUND.botName}</at>` }],
    });
  const messages = (): PlaygroundMessage[] => readPlaygroundMessages(demo.playground.logFile);
  const cardText = (m: PlaygroundMessage): string => JSON.stringify(m.cards);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dab-playground-'));
    demo = await startDemo({
      storePath: join(dir, 'audit.db'),
      seed: 3,
      port: 0,
      playgroundPort: 0,
      pollInterval: '1s',
      actionsPerMinute: 0,
      logLevel: 'silent',
      env: { PATH: process.env.PATH },
    });
    await waitFor(() => demo.store.ingestState().backfillCompletedAt !== null, 'the first ingest', 3000, 20);
  });
  after(async () => {
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('installs in the team, subscribes, posts an isolate as a card, updates that card to Succeeded, and answers a command', async () => {
    // Opening the team's General channel in the UI sends the install pair; the route does the same.
    await post(`/_debug/conversation/${PLAYGROUND.teamId}/installation`, {});
    await waitFor(
      () => demo.store.conversations().some((c) => c.conversationId === PLAYGROUND.teamId),
      'the install to be stored',
      1000,
      20,
    );

    await mention('subscribe');
    await waitFor(
      () => messages().some((m) => /now receives alerts/.test(cardText(m))),
      'the subscribe reply',
      1000,
      20,
    );

    const machine = demo.sim.tenant.machines()[3]!;
    const device = machine.computerDnsName;
    const isolate = demo.sim.tenant.create({
      machineId: machine.id,
      type: 'Isolate',
      scope: 'Full',
      comment: 'Playground e2e: ransomware note',
      requestor: 'Alex.Wilber@contoso.com',
      computerDnsName: device,
    });
    await waitFor(
      () =>
        messages().some((m) => m.action === 'createMessage' && cardText(m).includes('Playground e2e: ransomware note')),
      'the alert card',
      1500,
      20,
    );
    const alert = messages().find(
      (m) => m.action === 'createMessage' && cardText(m).includes('Playground e2e: ransomware note'),
    )!;
    assert.equal(alert.conversationId.split(';')[0], PLAYGROUND.teamId, 'posted in the subscribed channel');
    assert.ok(cardText(alert).includes(device), 'the card names the device');
    assert.match(cardText(alert), /Pending/);

    demo.sim.tenant.transition(isolate.id, 'Succeeded');
    await waitFor(
      () =>
        messages().some(
          (m) => m.action === 'updateMessage' && m.messageId === alert.messageId && /Succeeded/.test(cardText(m)),
        ),
      'the card updated to Succeeded',
      1500,
      20,
    );
    const alertPosts = messages().filter(
      (m) => m.action === 'createMessage' && cardText(m).includes('Playground e2e: ransomware note'),
    );
    assert.equal(alertPosts.length, 1, 'the update is in place: no second card for the action');

    const short = device.split('.')[0]!;
    const before = messages().length;
    await mention(`actions for device ${short}`);
    await waitFor(
      () =>
        messages()
          .slice(before)
          .some((m) => m.action === 'createMessage' && cardText(m).includes(isolate.id)),
      'the answer to "actions for device"',
      1500,
      20,
    );
    const answer = messages()
      .slice(before)
      .find((m) => cardText(m).includes(isolate.id))!;
    assert.ok(cardText(answer).includes(device));

    // The simulator's apps carry their names (REQUESTOR_NAMES in the demo), not bare GUIDs.
    const named = messages().length;
    await mention('requestors 360d');
    await waitFor(
      () =>
        messages()
          .slice(named)
          .some((m) => m.action === 'createMessage' && /Actions by requestor/.test(cardText(m))),
      'the answer to "requestors"',
      1500,
      20,
    );
    const requestors = cardText(
      messages()
        .slice(named)
        .find((m) => /Actions by requestor/.test(cardText(m)))!,
    );
    assert.match(requestors, /SOAR playbooks|Nightly scan automation|Intune compliance remediation/);
  });
});
