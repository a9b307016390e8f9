/**
 * Pictures of every card the bot renders: `npm run pictures` writes docs/cards/<name>.png, one per
 * sample in scripts/card-samples.ts (every card kind of CARD_TEMPLATE_FILES, from real chat
 * commands where a command answers with it), rendered by the real Adaptive Cards renderer in
 * headless Chromium with a Teams-like host config (scripts/card-page.ts). Needs /usr/bin/chromium
 * (Debian: apt-get install chromium).
 *
 * Prints one line per PNG with its size, and what did not render cleanly (`renderProblems`); exits 1
 * when any card has a problem.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { buildCardSamples } from './card-samples.js';
import { CHROMIUM_PATH, openCardPage, renderProblems } from './card-page.js';

const OUT_DIR = fileURLToPath(new URL('../docs/cards/', import.meta.url));

/** Width and height of a PNG, from its IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

async function main(): Promise<number> {
  if (!existsSync(CHROMIUM_PATH)) {
    console.error(`${CHROMIUM_PATH} is missing: install Debian's Chromium (apt-get install chromium).`);
    return 1;
  }
  const samples = await buildCardSamples();
  await mkdir(OUT_DIR, { recursive: true });
  const page = await openCardPage();
  let failed = 0;
  try {
    for (const sample of samples) {
      const report = await page.render(sample.card);
      const file = `docs/cards/${sample.name}.png`;
      const png = await page.screenshot(`${OUT_DIR}${sample.name}.png`);
      const { width, height } = pngSize(png);
      const notes = [sample.source, ...report.fallbacks.map((f) => `fallback ${f}`)].join('; ');
      console.log(
        `${file.padEnd(36)} ${`${width}×${height}`.padStart(9)} px  ${(png.length / 1024).toFixed(1).padStart(6)} KB  (${notes})`,
      );
      const problems = renderProblems(sample.card, report, sample.expectText);
      for (const problem of problems) console.log(`  problem: ${problem}`);
      if (problems.length > 0) failed++;
    }
  } finally {
    await page.close();
  }
  if (failed > 0) console.error(`${failed} of ${samples.length} cards did not render cleanly.`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
