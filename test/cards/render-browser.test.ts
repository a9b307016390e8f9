/**
 * Every card kind (CARD_TEMPLATE_FILES), rendered by the real Adaptive Cards renderer
 * (adaptivecards 3.0.6) with a Teams-like host config in headless Chromium: the samples of
 * scripts/card-samples.ts (real chat commands over the end-to-end dataset, plus the alert models)
 * on the page of scripts/card-page.ts, the same ones `npm run pictures` photographs.
 *
 * Also measures what the reader sees of the text (test/cards/word-breaks.ts): no word of up to 40
 * characters (statuses, action types, DNS names, e-mail addresses, GUIDs, times) may be squeezed,
 * that is split because its table column or fact title is narrower than the word, and no one-line
 * text may be cut with "…".
 *
 * Needs Debian's /usr/bin/chromium. Without it the suite is skipped on a workstation, and fails in
 * CI (CI=true), where .ci/run installs it.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { CHROMIUM_PATH, openCardPage, renderProblems, type CardPage } from '../../scripts/card-page.js';
import { buildCardSamples, buildEdgeCaseCards, CARD_KINDS, type CardSample } from '../../scripts/card-samples.js';
import { openWordBreakPage, type BrokenText, type SplitWord, type WordBreakPage } from './word-breaks.js';

const CARD = {
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
  type: 'AdaptiveCard',
  version: '1.5',
} as const;

describe('cards rendered in headless Chromium (adaptivecards renderer, Teams-like host config)', function () {
  this.timeout(120_000);
  let page: CardPage | undefined;
  let words: WordBreakPage | undefined;
  let samples: CardSample[] = [];

  before(async function () {
    if (!existsSync(CHROMIUM_PATH)) {
      if (process.env.CI !== 'true') {
        console.log(
          `    skipped: ${CHROMIUM_PATH} is missing (apt-get install chromium); with CI=true this suite fails instead`,
        );
        this.skip();
      }
      assert.fail(`${CHROMIUM_PATH} is missing: CI must install Debian's chromium (see .ci/run)`);
    }
    samples = await buildCardSamples();
    page = await openCardPage();
    words = await openWordBreakPage();
  });

  after(async () => {
    await page?.close();
    await words?.close();
  });

  async function problemsOf(card: unknown, expectText: readonly string[] = []): Promise<string[]> {
    return renderProblems(card, await page!.render(card), expectText);
  }

  it('has a sample of every card kind, pictured under its own name', () => {
    assert.deepEqual(
      CARD_KINDS.filter((kind) => !samples.some((s) => s.name === kind)),
      [],
    );
  });

  for (const kind of CARD_KINDS) {
    it(`renders the ${kind} card: no renderer errors, not empty, nothing wider than the card, expected text shown`, async () => {
      const ofKind = samples.filter((s) => s.kind === kind);
      assert.ok(ofKind.length > 0, `no sample of the ${kind} card`);
      for (const sample of ofKind) {
        assert.ok(sample.expectText.length > 0, `${sample.name}: the sample names no text to look for`);
        assert.deepEqual(await problemsOf(sample.card, sample.expectText), [], `${sample.name} (${sample.source})`);
      }
    });
  }

  it('renders every sample model of test/cards/samples.ts, edge cases included (long lists, hostile text, wide tables)', async () => {
    const failures: string[] = [];
    for (const [label, card] of await buildEdgeCaseCards()) {
      const problems = await problemsOf(card);
      if (problems.length > 0) failures.push(`${label}: ${problems.join('; ')}`);
    }
    assert.deepEqual(failures, []);
  });

  /** A split word as the reader sees it: `Succee|ded (70 px in 48 px)`. */
  const shown = (w: SplitWord): string => `${w.shown} (${w.width} px in ${w.boxWidth} px)`;
  /** Words split because their box is narrower than they are. */
  const squeezed = (m: BrokenText): SplitWord[] => m.splitWords.filter((w) => w.width > w.boxWidth + 0.5);

  describe('words are not broken', () => {
    it('in no card: no word of up to 40 characters squeezed into a narrower column, no one-line text cut with "…"', async () => {
      const failures: string[] = [];
      const cards: [string, unknown][] = [
        ...samples.map((s): [string, unknown] => [s.name, s.card]),
        ...(await buildEdgeCaseCards()),
      ];
      for (const [label, card] of cards) {
        const m = await words!.measure(card);
        for (const w of squeezed(m)) failures.push(`${label}: ${shown(w)}`);
        for (const c of m.cutTexts) failures.push(`${label}: "${c.text}" cut (${c.width} px in ${c.boxWidth} px)`);
      }
      assert.deepEqual(failures, []);
    });

    it('in the pictured table, timeline and digest cards, no word is split at all', async () => {
      const failures: string[] = [];
      for (const name of ['table', 'timeline', 'digest']) {
        const sample = samples.find((s) => s.name === name);
        assert.ok(sample, name);
        for (const w of (await words!.measure(sample.card)).splitWords) failures.push(`${name}: ${shown(w)}`);
      }
      assert.deepEqual(failures, []);
    });

    it('storm counts: long type and requestor names keep a line of their own in the name column', async () => {
      const storm = samples.find((s) => s.name === 'storm')!;
      const m = await words!.measure(storm.card);
      assert.deepEqual(squeezed(m).map(shown), []);
      const names = [
        'CollectInvestigationPackage',
        'StopAndQuarantineFile',
        'RestrictCodeExecution',
        'Alex.Wilber@contoso.com',
        'e062d1f9-2398-4234-a024-12345673a25a',
      ];
      assert.deepEqual(m.splitWords.filter((w) => names.includes(w.word)).map(shown), []);
    });

    it('the measure finds the words the old layouts broke (six equal table columns, FactSet titles, a paragraph of days)', async () => {
      const text = (t: string, extra: object = {}): object => ({ type: 'TextBlock', text: t, wrap: true, ...extra });
      const tableCell = (t: string): object => ({ type: 'TableCell', items: [text(t)] });
      const oldTable = {
        ...CARD,
        body: [
          {
            type: 'Table',
            columns: [1, 1, 1, 2, 4, 1].map((width) => ({ width })),
            rows: [
              {
                type: 'TableRow',
                cells: ['ActionType', 'Status', 'Actions', 'Last', 'Devices', 'Cancelled'].map(tableCell),
              },
              {
                type: 'TableRow',
                cells: [
                  'RunAntiVirusScan',
                  'Succeeded',
                  '1000',
                  '2026-11-29T12:00:00.1234567Z',
                  '["ws-100.contoso.com","srv-0.contoso.com"]',
                  'false',
                ].map(tableCell),
              },
            ],
          },
        ],
      };
      const table = squeezed(await words!.measure(oldTable)).map((w) => w.word);
      for (const word of ['Succeeded', 'RunAntiVirusScan', 'Cancelled'])
        assert.ok(table.includes(word), `${word} in ${table.join(', ')}`);

      const oldFacts = {
        ...CARD,
        body: [
          {
            type: 'FactSet',
            facts: ['CollectInvestigationPackage', 'alex.wilber@contoso.com', 'srv-sql-01.contoso.com'].map(
              (title) => ({ title, value: '1 (10%)' }),
            ),
          },
        ],
      };
      const facts = squeezed(await words!.measure(oldFacts)).map((w) => w.shown);
      assert.equal(facts.length, 3, facts.join(', '));
      assert.ok(
        facts.some((f) => /^CollectInvestigation\w*\|/.test(f)),
        facts.join(', '),
      );

      const days = Array.from(
        { length: 30 },
        (_, i) => `${new Date(Date.UTC(2026, 9, 31 + i)).toISOString().slice(0, 10)}: ${i % 3}`,
      ).join(' · ');
      const paragraph = await words!.measure({ ...CARD, body: [text(days)] });
      assert.deepEqual(squeezed(paragraph), [], 'each day fits the line: the browser breaks at its hyphens');
      assert.ok(
        paragraph.splitWords.some((w) => /^\d{4}-\d{2}-\d{2}:$/.test(w.word)),
        paragraph.splitWords.map(shown).join(', '),
      );

      const cut = await words!.measure({
        ...CARD,
        body: [
          {
            type: 'ColumnSet',
            columns: [{ type: 'Column', width: '40px', items: [{ type: 'TextBlock', text: 'Actions' }] }],
          },
        ],
      });
      assert.deepEqual(
        cut.cutTexts.map((c) => c.text),
        ['Actions'],
      );
    });
  });

  it('shows the fallback of Teams-only chart elements', async () => {
    const report = await page!.render({
      ...CARD,
      body: [
        { type: 'TextBlock', text: 'Actions per day', size: 'Large', weight: 'Bolder' },
        {
          type: 'Chart.VerticalBar',
          data: [{ x: 'Mon', y: 3 }],
          fallback: { type: 'TextBlock', text: 'Mon 3 · Tue 5', wrap: true },
        },
      ],
    });
    assert.deepEqual(report.fallbacks, ['Chart.VerticalBar → TextBlock']);
    assert.match(report.text, /Mon 3 · Tue 5/);
  });

  it('reports a card that no longer renders', async () => {
    const good = {
      ...CARD,
      body: [
        { type: 'TextBlock', text: 'Isolate (Full) on ws-042.contoso.com', size: 'Large', wrap: true },
        { type: 'TextBlock', text: 'Requested by Lee.Gu@contoso.com', wrap: true },
      ],
    };
    assert.deepEqual(await problemsOf(good, ['ws-042.contoso.com']), [], 'the control card renders cleanly');

    // An element the renderer does not know, without a fallback: dropped.
    const unknown = await problemsOf({ ...good, body: [...good.body, { type: 'Bogus.Element', text: 'x' }] }, [
      'ws-042.contoso.com',
    ]);
    assert.ok(
      unknown.some((p) => /unknown element "Bogus\.Element" has no fallback/.test(p)),
      unknown.join('\n'),
    );
    assert.ok(
      unknown.some((p) => /UnknownElementType/.test(p)),
      unknown.join('\n'),
    );

    // A chart whose fallback is dropped shows nothing.
    const dropped = await problemsOf({
      ...good,
      body: [...good.body, { type: 'Chart.Donut', data: [{ legend: 'Isolate', value: 3 }], fallback: 'drop' }],
    });
    assert.ok(
      dropped.some((p) => /Chart\.Donut elements show no fallback/.test(p)),
      dropped.join('\n'),
    );

    // A template that is no longer JSON.
    const invalid = await problemsOf('{"type": "AdaptiveCard", "version": "1.5", "body": [');
    assert.ok(
      invalid.some((p) => /^invalid JSON/.test(p)),
      invalid.join('\n'),
    );
    assert.ok(invalid.includes('the renderer produced no card'), invalid.join('\n'));

    // An empty card, content wider than the card, and text that went missing.
    assert.ok((await problemsOf({ ...CARD, body: [] })).some((p) => /rendered height/.test(p)));
    const wide = await problemsOf({
      ...good,
      body: [
        ...good.body,
        {
          type: 'ColumnSet',
          columns: [
            { type: 'Column', width: '1200px', items: [{ type: 'TextBlock', text: 'A column wider than any card' }] },
          ],
        },
      ],
    });
    assert.ok(
      wide.some((p) => /overflows the \d+ px card/.test(p)),
      wide.join('\n'),
    );
    assert.deepEqual(await problemsOf(good, ['srv-sql-07']), ['does not show "srv-sql-07"']);

    // A real card whose template lost an element type (a typo in cards/*.json).
    const real = structuredClone(samples.find((s) => s.kind === 'alert')!.card);
    real.body[0] = { ...real.body[0]!, type: 'TextBlok' };
    const typo = await problemsOf(real);
    assert.ok(
      typo.some((p) => /unknown element "TextBlok" has no fallback/.test(p)),
      typo.join('\n'),
    );
  });
});
