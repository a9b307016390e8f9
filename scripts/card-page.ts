/**
 * Renders Adaptive Cards in headless Chromium with the real `adaptivecards` 3.0.6 renderer (its
 * dist build) and a Teams-like light host config (scripts/teams-host-config.json), in a page
 * served on 127.0.0.1 (scripts/card-page.html). Used by scripts/render-cards.ts (pictures in
 * docs/cards/) and test/cards/render-browser.test.ts.
 *
 * Chromium is Debian's /usr/bin/chromium driven by playwright-core (`npx playwright install` is not
 * used: it downloads a browser). Playwright gives every launch a new, empty profile directory.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (apt-get install chromium). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Launch flags: headless, no sandbox (CI runs as root), and nothing that calls out to the network
 * (this machine's network is closed; without these Chromium keeps trying Google's hosts).
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Width of the message bubble, in CSS pixels: about what Teams gives a card in a channel. */
export const CARD_WIDTH = 600;

/** What rendering one card showed. */
export interface RenderReport {
  /** The renderer returned an element and it is on the page. */
  rendered: boolean;
  /**
   * Invalid JSON, renderer exceptions, parse events (all but `Chart.*` elements whose fallback is
   * used) and `validateProperties()` events, plus errors the page logged while rendering.
   */
  errors: string[];
  /** Fallbacks the renderer used, e.g. `Chart.VerticalBar → TextBlock`. */
  fallbacks: string[];
  /** Element or action types the renderer does not know and that have no fallback: dropped. */
  unknownWithoutFallback: string[];
  /** Size of the rendered card element (CSS px). */
  width: number;
  height: number;
  /** Of the card's root element: wider content than the card overflows it. */
  scrollWidth: number;
  clientWidth: number;
  /** What a reader sees (innerText of the card). */
  text: string;
}

export interface CardPage {
  /** Renders one card (JSON text or a value to serialize) into the page, replacing the last one. */
  render(card: unknown): Promise<RenderReport>;
  /** PNG of the last rendered message bubble (trimmed to it, device scale factor 1). */
  screenshot(path?: string): Promise<Buffer>;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

interface Asset {
  file: string;
  type: string;
  wrap?: (text: string) => string;
}

const ASSETS: Record<string, Asset> = {
  '/': { file: here('./card-page.html'), type: 'text/html; charset=utf-8' },
  '/adaptivecards.js': {
    file: require.resolve('adaptivecards/dist/adaptivecards.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/adaptivecards.css': {
    file: require.resolve('adaptivecards/dist/adaptivecards.css'),
    type: 'text/css; charset=utf-8',
  },
  '/host-config.js': {
    file: here('./teams-host-config.json'),
    type: 'text/javascript; charset=utf-8',
    wrap: (json) => `window.TEAMS_HOST_CONFIG = ${json};`,
  },
};

/** Serves the page and its scripts on 127.0.0.1 at a free port. */
async function serve(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const asset = ASSETS[new URL(req.url ?? '/', 'http://localhost').pathname];
    // No chaining on writeHead: restify (loaded with src/main.ts) patches it to return nothing.
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (asset === undefined) {
      // Chromium asks for /favicon.ico on its own; a 404 would show as a console error.
      send(req.url === '/favicon.ico' ? 204 : 404, 'text/plain', '');
      return;
    }
    readFile(asset.file, 'utf8').then(
      (text) => send(200, asset.type, asset.wrap ? asset.wrap(text) : text),
      (err: unknown) => send(500, 'text/plain', String(err)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

/** The functions card-page.html puts on `window`. */
interface PageGlobals {
  renderCard(jsonText: string, options: { width: number }): RenderReport;
}

/** Starts the server and Chromium, and opens the page (one browser, one page, for many cards). */
export async function openCardPage(options: { width?: number } = {}): Promise<CardPage> {
  const width = options.width ?? CARD_WIDTH;
  const { url, server } = await serve();
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 60_000 });
    const page: Page = await browser.newPage({ viewport: { width: width + 200, height: 900 }, deviceScaleFactor: 1 });
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') pageErrors.push(`console ${msg.type()}: ${msg.text()}`);
    });
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as unknown as { cardPageReady?: boolean }).cardPageReady === true);
    const opened = browser;
    return {
      async render(card) {
        const text = typeof card === 'string' ? card : JSON.stringify(card);
        pageErrors.length = 0;
        const report = await page.evaluate(
          ([t, w]) => (globalThis as unknown as PageGlobals).renderCard(t, { width: w }),
          [text, width] as const,
        );
        report.errors.push(...pageErrors);
        return report;
      },
      screenshot(path) {
        return page.locator('#message').screenshot({ ...(path !== undefined ? { path } : {}), animations: 'disabled' });
      },
      async close() {
        await opened.close();
        server.close();
      },
    };
  } catch (err) {
    await browser?.close();
    server.close();
    throw err;
  }
}

function chartTypes(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const child of node) chartTypes(child, out);
  else if (typeof node === 'object' && node !== null) {
    const type = (node as { type?: unknown }).type;
    if (typeof type === 'string' && type.startsWith('Chart.')) out.push(type);
    for (const child of Object.values(node)) chartTypes(child, out);
  }
  return out;
}

const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();

/**
 * What is wrong with a rendered card; empty when it rendered like a Teams card should: rendered
 * without renderer errors, no unknown element dropped for want of a fallback, every `Chart.*`
 * shown as its fallback, taller than 40 px and wider than 200 px, nothing wider than the card,
 * and every expected text visible.
 */
export function renderProblems(card: unknown, report: RenderReport, expectText: readonly string[] = []): string[] {
  const problems: string[] = [];
  if (!report.rendered) problems.push('the renderer produced no card');
  problems.push(...report.errors);
  for (const type of report.unknownWithoutFallback)
    problems.push(`unknown element "${type}" has no fallback: the renderer dropped it`);
  let json: unknown = card;
  if (typeof card === 'string') {
    try {
      json = JSON.parse(card);
    } catch {
      json = undefined;
    }
  }
  for (const type of new Set(chartTypes(json))) {
    const shown = report.fallbacks.filter((f) => f.startsWith(`${type} → `)).length;
    const charts = chartTypes(json).filter((t) => t === type).length;
    if (report.rendered && shown < charts)
      problems.push(`${charts - shown} of ${charts} ${type} elements show no fallback`);
  }
  if (report.rendered) {
    if (report.height <= 40) problems.push(`rendered height ${report.height} px (≤ 40)`);
    if (report.width <= 200) problems.push(`rendered width ${report.width} px (≤ 200)`);
    if (report.scrollWidth > report.clientWidth + 1)
      problems.push(`content ${report.scrollWidth} px wide overflows the ${report.clientWidth} px card`);
    const text = squash(report.text);
    for (const expected of expectText)
      if (!text.includes(squash(expected))) problems.push(`does not show "${expected}"`);
  }
  return problems;
}
