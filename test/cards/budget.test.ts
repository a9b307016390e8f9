import assert from 'node:assert/strict';
import { fitCard, MAX_ITEMS, NORMAL_LIMITS, TIGHT_LIMITS, type TextLimits } from '../../src/cards/budget.js';
import {
  CARD_MAX_BYTES,
  CARD_TARGET_BYTES,
  cardByteLength,
  loadCardTemplates,
  renderReplyCard,
  type AdaptiveCard,
  type CardContext,
  type CardTemplates,
} from '../../src/cards/index.js';
import type { Reply } from '../../src/core/replies.js';
import { LONG_KQL, SAMPLE_NOW, SAMPLE_REPLIES, SAMPLE_REQUESTOR_NAMES } from './samples.js';
import { assertValidCard, byId, ofType, texts } from './validate.js';

function fakeCard(bytes: number): AdaptiveCard {
  const card: AdaptiveCard = {
    $schema: '',
    type: 'AdaptiveCard',
    version: '1.5',
    body: [{ type: 'TextBlock', text: '' }],
  };
  const padding = bytes - cardByteLength(card);
  card.body[0]!.text = 'x'.repeat(Math.max(0, padding));
  return card;
}

describe('cards/budget', () => {
  describe('fitCard', () => {
    it('keeps every item when the card fits', () => {
      const calls: number[] = [];
      const card = fitCard(10, (n) => (calls.push(n), fakeCard(1000 + n * 100)), 5000);
      assert.equal(cardByteLength(card!), 2000);
      assert.deepEqual(calls, [10]);
    });

    it('finds the largest number of items that fits, in few renders', () => {
      const calls: number[] = [];
      const card = fitCard(500, (n) => (calls.push(n), fakeCard(1000 + n * 197 + (n % 3))), 27 * 1024);
      const fits = (n: number): boolean => 1000 + n * 197 + (n % 3) <= 27 * 1024;
      const best = calls.filter(fits).reduce((a, b) => Math.max(a, b), 0);
      assert.ok(fits(best) && !fits(best + 1));
      assert.equal(cardByteLength(card!), 1000 + best * 197 + (best % 3));
      assert.ok(calls.length <= 12, `${calls.length} renders`);
      assert.ok(calls.every((n) => n <= MAX_ITEMS));
    });

    it('switches to tight text limits when not even an empty card fits', () => {
      const seen: TextLimits[] = [];
      const card = fitCard(
        3,
        (n, limits) => (seen.push(limits), fakeCard((limits === NORMAL_LIMITS ? 9000 : 1000) + n * 10)),
        5000,
      );
      assert.equal(cardByteLength(card!), 1030);
      assert.ok(seen.includes(TIGHT_LIMITS));
    });

    it('gives up when nothing fits', () => {
      assert.equal(
        fitCard(3, () => fakeCard(9000), 5000),
        undefined,
      );
    });
  });

  describe('renderReplyCard within 28 KB', () => {
    let templates: CardTemplates;
    before(async () => {
      templates = await loadCardTemplates();
    });
    function render(reply: Reply, overrides: Partial<CardContext> = {}): AdaptiveCard {
      return renderReplyCard(reply, {
        templates,
        now: SAMPLE_NOW,
        requestorNames: SAMPLE_REQUESTOR_NAMES,
        ...overrides,
      });
    }
    function shownRowIds(card: AdaptiveCard): string[] {
      return texts(card).flatMap((t) => [...t.matchAll(/· id ([0-9a-f-]{36})$/g)].map((m) => m[1]!));
    }

    it('cuts 500 rows to what fits, keeps the newest, says "showing N of M" and why', () => {
      const reply = SAMPLE_REPLIES.actions500;
      const card = render(reply);
      assertValidCard(card);
      const size = cardByteLength(card);
      assert.ok(size <= CARD_TARGET_BYTES && size > CARD_TARGET_BYTES - 1500, `${size} bytes: close to the budget`);
      const ids = shownRowIds(card);
      assert.ok(ids.length >= 25, `${ids.length} rows`);
      assert.deepEqual(
        ids,
        reply.rows.slice(0, ids.length).map((r) => r.id),
      );
      const all = texts(card).join('\n');
      assert.match(all, new RegExp(`Showing ${ids.length} of 1,200 actions`));
      assert.match(
        all,
        new RegExp(
          `${500 - ids.length} more rows of this page did not fit in the card and will not be on the next page`,
        ),
      );
    });

    it('honours a smaller byte budget', () => {
      const card = render(SAMPLE_REPLIES.actionsForDevice, { maxBytes: 4000 });
      assert.ok(cardByteLength(card) <= 4000);
      const ids = shownRowIds(card);
      assert.ok(ids.length >= 1 && ids.length < 6, `${ids.length} rows`);
      assert.match(texts(card).join('\n'), new RegExp(`Showing ${ids.length} of 42 actions`));
    });

    it('shows a short "too large" card when nothing fits', () => {
      const card = render(SAMPLE_REPLIES.actionsForDevice, { maxBytes: 200 });
      assertValidCard(card);
      assert.equal(card.body[0]?.text, 'Too large for a card');
      assert.equal(card.body[0]?.color, 'Attention');
    });

    it('shortens a 30 KB KQL with an ellipsis and says where to get it in full', () => {
      assert.ok(LONG_KQL.length > 30_000);
      const card = render(SAMPLE_REPLIES.actionsLongKql);
      assertValidCard(card);
      const query = byId(card, 'query');
      const [kql, note] = ofType(query, 'TextBlock')
        .slice(1)
        .map((t) => t.text as string);
      assert.ok(kql!.endsWith('…') && kql!.length <= NORMAL_LIMITS.kql + 10, `${kql!.length} characters`);
      assert.match(note!, /shortened here.*--format kql/);
      assert.equal(shownRowIds(card).length, 2);
    });

    it('every sample, in every zone, stays within 28 KB', () => {
      for (const reply of Object.values(SAMPLE_REPLIES) as Reply[]) {
        for (const timeZone of ['UTC', 'Pacific/Chatham', 'America/St_Johns']) {
          assert.ok(
            cardByteLength(render(reply, { timeZone })) <= CARD_MAX_BYTES,
            `${reply.kind} ${'title' in reply ? reply.title : ''}`,
          );
        }
      }
    });

    it('a list of 500 rows of 5 KB comments still fits', () => {
      const rows = SAMPLE_REPLIES.actions500.rows.map((r) => ({
        ...r,
        requestorComment: 'ä'.repeat(5000),
        computerDnsName: '🚨'.repeat(300),
      }));
      const card = render({ ...SAMPLE_REPLIES.actions500, rows });
      assertValidCard(card);
      assert.ok(shownRowIds(card).length > 5);
    });
  });
});
