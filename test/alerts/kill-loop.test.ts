import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { startFakeConnector, type FakeConnector } from '../fakes/fake-connector.js';
import { spawnCli, waitFor } from '../support/child.js';
import { ALERTS_CHANNEL, TENANT } from '../teams/helpers.js';

/**
 * The bot (`defender-audit-bot start` in a child process) is killed with SIGKILL at random points
 * while alerts flow: between ingest and send, mid-send, anywhere. After the last restart every
 * alert must have been posted; a card may be posted twice only when the kill fell between Teams
 * accepting it and our commit.
 *
 * An action is accounted for when a card naming it reached the connector, or when the store records
 * it on a storm card that reached the connector: several kills in a row before any send can leave
 * more than ALERT_STORM_THRESHOLD alerts waiting, and the next start posts them as one summary card,
 * which lists only as many actions as fit (the channel reader sees the summary and its counts).
 */
describe('alerts survive SIGKILL at random points', function () {
  this.timeout(600_000);
  const KILLS = Number(process.env.KILL_LOOP_KILLS ?? 50);
  let dir: string;
  let sim: Simulator;
  let connector: FakeConnector;
  let env: Record<string, string>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dab-kill-'));
    sim = createSimulator({ generate: { devices: 20, days: 2 }, throttle: false });
    const endpoint = await sim.start({ caCertFile: join(dir, 'ca.pem') });
    connector = await startFakeConnector();
    const storePath = join(dir, 'audit.db');
    env = { ...endpoint.env, STORE_PATH: storePath, PORT: '0', MDE_POLL_INTERVAL: '1s', MDE_OVERLAP_WINDOW: '1s', MDE_BACKFILL_DAYS: '30', LOG_LEVEL: 'error' };
    const store = openSqliteStore({ path: storePath });
    const ref = { channelId: 'msteams' as const, serviceUrl: connector.url, conversationId: ALERTS_CHANNEL, conversationType: 'channel' as const, tenantId: TENANT, botId: '28:bot', teamsChannelId: ALERTS_CHANNEL };
    store.saveConversation({ conversationId: ALERTS_CHANNEL, kind: 'channel', name: 'SecOps › Alerts', ref, at: new Date().toISOString() });
    store.setSubscription(ALERTS_CHANNEL, { alerts: true, digest: false }, 'admin', new Date().toISOString());
    store.close();
    // The history backfill first: actions read by it never alert (one summary card instead).
    const backfill = await spawnCli(['ingest', '--once'], env).finished;
    assert.equal(backfill.code, 0, backfill.stderr);
  });
  after(async () => {
    await connector.close();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${KILLS} kills: no alert lost; duplicates counted`, async () => {
    const created: string[] = [];
    const machines = sim.tenant.machines();
    let seed = 12345;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    // Cards of one action: its alert, counted by the action id on the card (posts only, not updates).
    const alertsPosted = (id: string): number => connector.cardsPosted().filter((c) => JSON.stringify(c.card).includes(id)).length;
    for (let i = 0; i < KILLS; i++) {
      const child = spawnCli(['start'], env);
      const a = sim.tenant.create({ machineId: machines[i % machines.length]!.id, type: 'Isolate', scope: 'Full', comment: `kill loop ${i}` });
      created.push(a.id);
      // Kill at a random moment in the next 2.5 s: before ingest, between ingest and send, or after.
      await new Promise((r) => setTimeout(r, Math.floor(random() * 2500)));
      child.kill('SIGKILL');
      await child.finished;
    }
    const last = spawnCli(['start'], env);
    // Read-only view of the store the bot writes (WAL: readers never block it).
    const store = openSqliteStore({ path: env.STORE_PATH! });
    const onStorm = (id: string): boolean => {
      const posted = store.postedCard(ALERTS_CHANNEL, id);
      if (posted === undefined || !(JSON.parse(posted.payload) as { storm?: string[] }).storm?.includes(id)) return false;
      return connector.cardsPosted().some((c) => c.activityId === posted.activityId);
    };
    const accounted = (id: string): boolean => alertsPosted(id) >= 1 || onStorm(id);
    try {
      // Generous bound (5 min of 100 ms polls): the last start may first work through a backlog.
      await waitFor(() => created.every(accounted), 'every alert to be posted', 3000, 100);
    } finally {
      last.kill('SIGTERM');
      await last.finished;
    }
    const lost = created.filter((id) => !accounted(id)).length;
    const stormed = created.filter((id) => alertsPosted(id) === 0 && onStorm(id)).length;
    const doubled = created.filter((id) => alertsPosted(id) > 1).length;
    store.close();
    process.stdout.write(`      kill loop: ${KILLS} kills, ${created.length} alerts, lost ${lost}, on a storm card only ${stormed}, posted twice ${doubled}\n`);
    assert.equal(lost, 0);
  });
});
