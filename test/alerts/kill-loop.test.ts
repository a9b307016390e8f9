import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { startFakeConnector, type FakeConnector } from '../fakes/fake-connector.js';
import { spawnCli, waitForChild } from '../support/child.js';
import { ALERTS_CHANNEL, TENANT } from '../teams/helpers.js';

/**
 * The bot (`defender-audit-bot start` in a child process) is killed with SIGKILL at random points
 * while alerts flow: before ingest, between ingest and send, mid-send, after. Halfway, the bot stays
 * down while more than ALERT_STORM_THRESHOLD actions are created (an outage): the next start finds
 * them all waiting and posts one storm card. After the last restart every alert must be accounted
 * for; a card may be posted twice only when a kill fell between Teams accepting it and our commit.
 *
 * An action is accounted for when a card naming it (its own, or a storm card listing it) reached the
 * connector, or when the store's posted-card record of the action names a storm card that reached
 * the connector: a storm card lists only as many actions as fit, and counts them all.
 *
 * Every wait is on an event (the child's output, its exit), with a generous bound that only turns a
 * hang into a failure. The random kill moment is measured from the bot listening (its log line), so
 * a slow start on a loaded machine does not move the kills before the bot does anything.
 */
describe('alerts survive SIGKILL at random points', function () {
  const KILLS = Number(process.env.KILL_LOOP_KILLS ?? 50);
  const STORM_THRESHOLD = 10;
  /** Actions created while the bot is down: more than the threshold, so the next start posts a storm card. */
  const OUTAGE = STORM_THRESHOLD + 2;
  /** Bound on one start until it listens, ms (a few seconds unloaded). */
  const START_BOUND_MS = 120_000;
  /** Bound on the last start until every alert is accounted for, ms (it may work through a backlog at 1 card/s). */
  const FINAL_BOUND_MS = 600_000;
  /** The kill falls at a random moment in this window after the bot listens, ms. */
  const KILL_WINDOW_MS = 2500;
  // The bounds above decide a failure; mocha's timeout only caps a run that is slow throughout.
  this.timeout(1_800_000);
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
    // LOG_LEVEL info: 'listening', and a line after each commit of a delivery, are the events waited on.
    env = {
      ...endpoint.env,
      STORE_PATH: storePath,
      PORT: '0',
      MDE_POLL_INTERVAL: '1s',
      MDE_OVERLAP_WINDOW: '1s',
      MDE_BACKFILL_DAYS: '30',
      ALERT_STORM_THRESHOLD: String(STORM_THRESHOLD),
      LOG_LEVEL: 'info',
    };
    const store = openSqliteStore({ path: storePath });
    const ref = {
      channelId: 'msteams' as const,
      serviceUrl: connector.url,
      conversationId: ALERTS_CHANNEL,
      conversationType: 'channel' as const,
      tenantId: TENANT,
      botId: '28:bot',
      teamsChannelId: ALERTS_CHANNEL,
    };
    store.saveConversation({
      conversationId: ALERTS_CHANNEL,
      kind: 'channel',
      name: 'SecOps › Alerts',
      ref,
      at: new Date().toISOString(),
    });
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

  it(`${KILLS} kills and an outage of ${OUTAGE} actions: no alert lost; duplicates counted`, async () => {
    const startedMs = Date.now();
    const created: string[] = [];
    const machines = sim.tenant.machines();
    let seed = 12345;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const create = (comment: string): void => {
      const a = sim.tenant.create({
        machineId: machines[created.length % machines.length]!.id,
        type: 'Isolate',
        scope: 'Full',
        comment,
      });
      created.push(a.id);
    };
    const listening = /"msg":"listening"/;
    let slowestStartMs = 0;
    for (let i = 0; i < KILLS; i++) {
      if (i === Math.floor(KILLS / 2)) for (let j = 0; j < OUTAGE; j++) create(`kill loop outage ${j}`);
      const spawnedMs = Date.now();
      const child = spawnCli(['start'], env);
      create(`kill loop ${i}`);
      await waitForChild(child, () => listening.test(child.output.stdout), `start ${i} to listen`, START_BOUND_MS);
      slowestStartMs = Math.max(slowestStartMs, Date.now() - spawnedMs);
      // The kill moment itself (not a wait for a condition): before ingest, between ingest and send, mid-send or after.
      await new Promise((r) => setTimeout(r, Math.floor(random() * KILL_WINDOW_MS)));
      child.kill('SIGKILL');
      await child.finished;
    }
    // Read-only view of the store the bot writes (WAL: readers never block it), opened while no bot runs.
    const store = openSqliteStore({ path: env.STORE_PATH! });
    // Cards naming the action (its own alert, or a storm card listing it), by the id on the card: posts only, not updates.
    const cardsNaming = (id: string): number =>
      connector.cardsPosted().filter((c) => JSON.stringify(c.card).includes(id)).length;
    /** The storm card the store records for the action, when that card reached the connector. */
    const stormOf = (id: string): { activityId: string; storm: string[]; card: unknown } | undefined => {
      const posted = store.postedCard(ALERTS_CHANNEL, id);
      const storm = posted === undefined ? undefined : (JSON.parse(posted.payload) as { storm?: string[] }).storm;
      if (posted === undefined || storm === undefined || !storm.includes(id)) return undefined;
      const card = connector.cardsPosted().find((c) => c.activityId === posted.activityId)?.card;
      return card === undefined ? undefined : { activityId: posted.activityId, storm, card };
    };
    const accounted = (id: string): boolean => cardsNaming(id) >= 1 || stormOf(id) !== undefined;
    const last = spawnCli(['start'], env);
    const lastSpawnedMs = Date.now();
    try {
      await waitForChild(last, () => created.every(accounted), 'every alert to be accounted for', FINAL_BOUND_MS);
    } finally {
      last.kill('SIGTERM');
      await last.finished;
    }
    const lastMs = Date.now() - lastSpawnedMs;
    const lost = created.filter((id) => !accounted(id));
    const storms = new Map(
      created.flatMap((id) => {
        const s = stormOf(id);
        return s ? [[s.activityId, s] as const] : [];
      }),
    );
    const onStorm = created.filter((id) => stormOf(id) !== undefined).length;
    const stormOnly = created.filter((id) => cardsNaming(id) === 0 && stormOf(id) !== undefined).length;
    const doubled = created.filter((id) => cardsNaming(id) > 1).length;
    store.close();
    process.stdout.write(
      `      kill loop: ${KILLS} kills, ${created.length} alerts (${OUTAGE} in the outage), lost ${lost.length}, on a storm card ${onStorm} ` +
        `(${storms.size} card(s); ${stormOnly} counted there but not listed), posted twice ${doubled}; ` +
        `slowest start to listening ${slowestStartMs} ms, last start to all accounted ${lastMs} ms, total ${Math.round((Date.now() - startedMs) / 1000)} s\n`,
    );
    assert.deepEqual(lost, []);
    if (KILLS > 0) assert.ok(storms.size >= 1, 'the start after the outage posts a storm card');
    // A storm card counts every action it stands for (its title: "N machine actions at once").
    for (const s of storms.values())
      assert.match(JSON.stringify(s.card), new RegExp(`\\b${s.storm.length} machine actions at once`));
  });
});
