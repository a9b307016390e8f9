/**
 * A picture of the bot in a Teams-like client: `npm run pictures:playground` writes
 * docs/playground.png, a screenshot of the Microsoft 365 Agents Playground web UI (a devDependency,
 * shared/reference/teams.md §14) showing the team "My Team", channel "General", with an Isolate alert
 * card updated in place to Succeeded and the answer to "@Test Bot digest".
 *
 * Everything is real and local: `startDemo` (MDE API simulator, ingest every second, the bot with its
 * CloudAdapter, alerts, digest, the Playground as a child process) and Debian's Chromium driven by
 * playwright-core (scripts/card-page.ts has the path and flags). The script uses the UI as a person
 * would: it opens General (which installs the bot in the team), types the @mentions in the channel's
 * "Start a new post" box, and waits for what the bot posts to appear on the page.
 *
 * Why the browser first, and the UI rather than the Playground's HTTP routes (as
 * test/demo/playground-e2e.test.ts does), seen with the Playground 0.2.28:
 * - The web client only knows the threads it started itself. The bot's reply to an @mention posted
 *   through `/_conversation/v1/conversations/team-id/messages` goes to the thread
 *   `team-id;messageid=<n>`, and the client rejects it ("Saga error: Invalid conversation id").
 * - What the bot sends while no browser is connected is buffered and handed to the first client
 *   that connects: its log panel lists it, but the General channel then shows none of the posts
 *   (not even the alert card, a new post of its own), and a later client gets nothing at all (the
 *   Playground keeps no history).
 * - `readPlaygroundMessages` reads the Playground's "buffering message" log lines, which it writes
 *   only while no browser is connected; with the page open, the script watches the page instead.
 *
 * The Playground lists the newest post first, so the digest is asked for before the Isolate: the
 * picture shows the alert card on top and the digest below it, down to the digest's bar chart (the
 * whole digest card is docs/cards/digest.png).
 *
 * Needs /usr/bin/chromium (Debian: apt-get install chromium) and the development install. Prints the
 * PNG's path and size; exits 1 with the failed step on failure. Takes about 10 s.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { PLAYGROUND } from '../src/demo/playground.js';
import { startDemo, type Demo } from '../src/app/index.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './card-page.js';

const OUT_FILE = fileURLToPath(new URL('../docs/playground.png', import.meta.url));
/**
 * Browser window, CSS px. At 1400 the Playground shows its three columns (navigation, channel, log
 * panel); much narrower and it collapses the navigation. The window is this tall so that the newest
 * post (the alert card) and the digest below it are both on screen (the channel scrolls inside the
 * page, so a full-page screenshot would not help).
 */
const WIDTH = 1400;
const HEIGHT = 2400;
/** The picture ends this far below the digest's bar chart (its "Day (UTC)" axis title), at most at HEIGHT. */
const BELOW_CHART = 12;
/** How long to wait for each thing to show up in the page. */
const STEP_TIMEOUT_MS = 20_000;

/** The Isolate the picture shows: a file server with a ransomware note, isolated by the Playground's user. */
const ISOLATE = {
  machinePrefix: 'srv-file-',
  comment: 'Ransomware note found on the finance share; isolating pending IR triage (INC-4821)',
  requestor: 'Alex.Wilber@contoso.com',
  /** How long before the picture it was requested. */
  ageMs: 3 * 60_000 + 12_000,
};

/** Runs one step; a failure names the step. */
async function step<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw new Error(`${what}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, { cause: err });
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Width and height of a PNG, from its IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** A post (a thread: the first message and its replies) in the open channel, by text it contains. */
const post = (page: Page, text: string): Locator => page.locator('[role="group"]').filter({ hasText: text });

/** Types "@Test Bot <text>" in the channel's "Start a new post" box, as a user would, and posts it. */
async function mentionBot(page: Page, text: string): Promise<void> {
  // The new-post editor is the first Lexical editor of the channel; every thread has its own reply box below.
  await page.locator('[data-lexical-editor="true"]').first().click();
  await page.keyboard.type(`@${PLAYGROUND.botName.split(' ')[0]}`);
  await page.getByRole('menuitem', { name: PLAYGROUND.botName }).click();
  await page.keyboard.type(` ${text}`);
  await page.getByRole('button', { name: 'Post', exact: true }).click();
}

async function main(): Promise<number> {
  if (!existsSync(CHROMIUM_PATH)) {
    console.error(`${CHROMIUM_PATH} is missing: install Debian's Chromium (apt-get install chromium).`);
    return 1;
  }
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'dab-playground-picture-'));
  let demo: Demo | undefined;
  let browser: Browser | undefined;
  try {
    demo = await step('starting the demo (simulator, bot, Agents Playground)', () =>
      startDemo({
        storePath: join(dir, 'audit.db'),
        seed: 7,
        port: 0,
        playgroundPort: 0,
        pollInterval: '1s',
        actionsPerMinute: 0,
        logLevel: 'silent',
        env: process.env,
      }),
    );
    const d = demo;
    await step('waiting for the first ingest', () =>
      waitUntil(() => d.store.ingestState().backfillCompletedAt !== null, STEP_TIMEOUT_MS),
    );

    browser = await step(`starting ${CHROMIUM_PATH}`, () =>
      chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 60_000 }),
    );
    const page = await browser.newPage({ viewport: { width: WIDTH, height: HEIGHT }, deviceScaleFactor: 1 });
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    // Segoe UI fonts and flair.min.js come from an Office CDN; offline they fail without visible effect.
    await step(`opening the Playground at ${d.playground.url}`, () => page.goto(d.playground.url));

    // Opening the team's General channel sends installationUpdate + conversationUpdate to the bot.
    await step('opening My Team › General', () => page.getByRole('treeitem', { name: 'My Team - General' }).click());
    await step('waiting for the bot to store the team install', () =>
      waitUntil(() => d.store.conversations().some((c) => c.conversationId === PLAYGROUND.teamId), STEP_TIMEOUT_MS),
    );

    await step('@mentioning the bot with "subscribe"', () => mentionBot(page, 'subscribe'));
    await step('waiting for the subscribe answer', () =>
      page.getByText('This conversation now receives alerts').waitFor(),
    );

    // The digest first, then the Isolate: the Playground shows the newest post on top, so the alert
    // card comes first in the picture and the digest below it.
    await step('@mentioning the bot with "digest"', () => mentionBot(page, 'digest'));
    const digest = post(page, 'Machine actions: daily digest');
    await step('waiting for the digest card', () => digest.getByText('Machine actions: daily digest').waitFor());

    const machine =
      d.sim.tenant.machines().find((m) => m.computerDnsName.startsWith(ISOLATE.machinePrefix)) ??
      d.sim.tenant.machines()[0];
    if (machine === undefined) throw new Error('the simulator has no machines');
    const device = machine.computerDnsName;
    const title = `Isolate (Full) on ${device}`;
    // Requested a few minutes ago, as a real Isolate is (the card then says "completed in 3 min", not
    // "less than 1 s"): created, then re-dated in the same tick, before any ingest can see it; its
    // last update stays now, so the next ingest picks it up as new.
    const created = d.sim.tenant.create({
      machineId: machine.id,
      type: 'Isolate',
      scope: 'Full',
      comment: ISOLATE.comment,
      requestor: ISOLATE.requestor,
      computerDnsName: device,
    });
    d.sim.tenant.put({ ...created, creationDateTimeUtc: new Date(Date.now() - ISOLATE.ageMs).toISOString() });
    const alert = post(page, title);
    await step(`waiting for the alert card "${title}"`, () => alert.getByText('Pending', { exact: true }).waitFor());

    d.sim.tenant.transition(created.id, 'Succeeded');
    await step('waiting for the alert card to be updated to Succeeded', () =>
      alert.getByText('Succeeded', { exact: true }).waitFor(),
    );
    const alertPosts = await post(page, title).count();
    if (alertPosts !== 1)
      throw new Error(`expected the alert card to be updated in place, found ${alertPosts} posts titled "${title}"`);
    // No focus ring on the compose box (the last click); let the re-rendered card and the charts settle.
    await page.locator('[data-lexical-editor="true"]').first().blur();
    await page.waitForTimeout(1000);

    const height = await step('placing the picture', async () => {
      const alertBox = await alert.boundingBox();
      const digestBox = await digest.boundingBox();
      if (alertBox === null || digestBox === null) throw new Error('the alert card or the digest is not on the page');
      if (digestBox.y > HEIGHT - 400)
        throw new Error(`the digest starts at y=${Math.round(digestBox.y)}, too far down for a ${HEIGHT} px window`);
      const axis = await digest
        .getByText('Day (UTC)', { exact: true })
        .first()
        .boundingBox({ timeout: 2000 })
        .catch(() => null);
      return Math.min(HEIGHT, axis === null ? HEIGHT : Math.ceil(axis.y + axis.height) + BELOW_CHART);
    });

    await mkdir(dirname(OUT_FILE), { recursive: true });
    const png = await step('taking the screenshot', () =>
      page.screenshot({ path: OUT_FILE, clip: { x: 0, y: 0, width: WIDTH, height }, animations: 'disabled' }),
    );
    const size = pngSize(png);
    console.log(
      `${relative(process.cwd(), OUT_FILE)}  ${size.width}×${size.height} px  ${(png.length / 1024).toFixed(1)} KB  (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    return 0;
  } finally {
    await browser?.close().catch(() => undefined);
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`playground screenshot failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
