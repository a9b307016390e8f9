/**
 * Finds words that the browser broke across lines in a rendered card: "Succee|ded" in a narrow
 * table column, "CollectInvestigationP|ackage" in a FactSet title, "srv-sql-|01.contoso.com".
 *
 * The card is rendered by the page of scripts/card-page.ts (scripts/card-page.html: the real
 * adaptivecards renderer, the Teams-like host config, the 600 px message bubble), served here from
 * Playwright routes so that the page can then be measured: for every word (a run of non-blank
 * characters in one text node) of every visible text, a DOM Range over the word gives one client
 * rectangle per line box the word occupies; more than one line means the word was split.
 *
 * Every split word of at most `maxChars` characters (default 40: status words, action types, DNS
 * names, e-mail addresses, GUIDs, ISO timestamps) is reported with its width and the width of its
 * box (text block or table cell). A word wider than its box was squeezed: its column is too narrow
 * and the browser broke it anywhere. A narrower one was broken where a browser may break (after a
 * hyphen) at the end of a line of running text. Longer runs (URLs, JSON, 5 KB of hostile text) are
 * not reported. One-line texts (TextBlocks without `wrap`) cut with "…" are reported too.
 *
 * (This could move into scripts/card-page.ts, so that `npm run pictures` reports it as well.)
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CARD_WIDTH, CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/card-page.js';

/** A word the browser broke across lines. */
export interface SplitWord {
  word: string;
  /** How the reader sees it: the pieces, one per line (`Succee|ded`). */
  shown: string;
  /** Line boxes the word occupies. */
  lines: number;
  /** Width of the word on one line (sum of its pieces), CSS px. */
  width: number;
  /** Width of the box the word had to fit in (its text block), CSS px. */
  boxWidth: number;
}

/** A one-line text (a TextBlock without `wrap`) too narrow for its text: the browser cut it with "…". */
export interface CutText {
  text: string;
  /** Width the text needs, and the width it got (CSS px). */
  width: number;
  boxWidth: number;
}

/** What the reader cannot read whole in a rendered card. */
export interface BrokenText {
  splitWords: SplitWord[];
  cutTexts: CutText[];
}

export interface WordBreakPage {
  /** Renders `card` (as card-page.html does) and measures its visible text. */
  measure(card: unknown, options?: { maxChars?: number }): Promise<BrokenText>;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);
const scripts = (file: string): string => fileURLToPath(new URL(`../../scripts/${file}`, import.meta.url));
const ORIGIN = 'http://card-page.test';

const ASSETS: Record<string, { file: string; type: string; wrap?: (text: string) => string }> = {
  '/': { file: scripts('card-page.html'), type: 'text/html; charset=utf-8' },
  '/adaptivecards.js': {
    file: require.resolve('adaptivecards/dist/adaptivecards.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/adaptivecards.css': {
    file: require.resolve('adaptivecards/dist/adaptivecards.css'),
    type: 'text/css; charset=utf-8',
  },
  '/host-config.js': {
    file: scripts('teams-host-config.json'),
    type: 'text/javascript; charset=utf-8',
    wrap: (json) => `window.TEAMS_HOST_CONFIG = ${json};`,
  },
};

interface PageGlobals {
  renderCard(jsonText: string, options: { width: number }): { rendered: boolean; errors: string[] };
}

/**
 * Runs in the page (plain JavaScript: the test program has no DOM types): the split words and cut
 * texts of the rendered card (`#card`). Called with `maxChars`.
 */
const MEASURE_TEXT = `(maxChars) => {
  const root = document.getElementById('card');
  if (root === null) return { splitWords: [], cutTexts: [] };
  const splitWords = [];
  const cutTexts = [];
  // A text block without wrap: the renderer makes it (or, for Markdown, each of its paragraphs)
  // one line that hides its overflow behind an ellipsis.
  for (const el of root.querySelectorAll('.ac-textBlock, .ac-textBlock *')) {
    if (el.getClientRects().length === 0 || getComputedStyle(el).whiteSpace !== 'nowrap') continue;
    if (el.scrollWidth > el.clientWidth + 1) cutTexts.push({ text: el.innerText, width: el.scrollWidth, boxWidth: el.clientWidth });
  }
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
    const parent = node.parentElement;
    // Hidden (display: none, e.g. the "Show query" container) has no layout.
    if (parent === null || parent.getClientRects().length === 0) continue;
    for (const match of node.data.matchAll(/\\S+/g)) {
      const word = match[0];
      if ([...word].length > maxChars) continue;
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + word.length);
      const rects = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
      if (rects.length < 2) continue;
      // Pieces on one line share their vertical extent; a piece on the next line starts below.
      const lines = [];
      for (const r of rects) if (!lines.some((l) => Math.abs(l.top - r.top) < Math.min(l.height, r.height) / 2)) lines.push(r);
      if (lines.length < 2) continue;
      // The pieces as the reader sees them: characters grouped by the line they are on.
      const pieces = [];
      let lastTop;
      for (let i = 0; i < word.length; i++) {
        const ch = document.createRange();
        ch.setStart(node, match.index + i);
        ch.setEnd(node, match.index + i + 1);
        const box = ch.getClientRects()[0];
        if (box === undefined) continue;
        if (lastTop === undefined || Math.abs(box.top - lastTop) >= box.height / 2) pieces.push('');
        pieces[pieces.length - 1] += word[i];
        lastTop = box.top;
      }
      const block = parent.closest('.ac-textBlock, [role="cell"], [role="columnheader"], .ac-container') || parent;
      splitWords.push({
        word,
        shown: pieces.join('|'),
        lines: lines.length,
        width: Math.round(rects.reduce((s, r) => s + r.width, 0)),
        boxWidth: Math.round(block.getBoundingClientRect().width),
      });
    }
  }
  return { splitWords, cutTexts };
}`;

/** Opens Chromium on card-page.html (served from Playwright routes, no port). */
export async function openWordBreakPage(options: { width?: number } = {}): Promise<WordBreakPage> {
  const width = options.width ?? CARD_WIDTH;
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 60_000 });
    const page: Page = await browser.newPage({ viewport: { width: width + 200, height: 900 }, deviceScaleFactor: 1 });
    await page.route(`${ORIGIN}/**`, async (route) => {
      const asset = ASSETS[new URL(route.request().url()).pathname];
      if (asset === undefined) return route.fulfill({ status: 404, body: '' });
      const text = await readFile(asset.file, 'utf8');
      return route.fulfill({ status: 200, contentType: asset.type, body: asset.wrap ? asset.wrap(text) : text });
    });
    await page.goto(`${ORIGIN}/`);
    await page.waitForFunction(() => (globalThis as unknown as { cardPageReady?: boolean }).cardPageReady === true);
    const opened = browser;
    return {
      async measure(card, { maxChars = 40 } = {}) {
        const text = typeof card === 'string' ? card : JSON.stringify(card);
        const report = await page.evaluate(
          ([t, w]) => (globalThis as unknown as PageGlobals).renderCard(t, { width: w }),
          [text, width] as const,
        );
        if (!report.rendered) throw new Error(`the card did not render: ${report.errors.join('; ')}`);
        return page.evaluate<BrokenText>(`(${MEASURE_TEXT})(${JSON.stringify(maxChars)})`);
      },
      async close() {
        await opened.close();
      },
    };
  } catch (err) {
    await browser?.close();
    throw err;
  }
}
