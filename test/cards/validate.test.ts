import assert from 'node:assert/strict';
import type { AdaptiveCard, CardElement } from '../../src/cards/index.js';
import { cardProblems } from './validate.js';

function card(body: CardElement[], extra: Partial<AdaptiveCard> = {}): AdaptiveCard {
  return {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.5',
    body,
    ...extra,
  };
}

const chart = { type: 'Chart.VerticalBar', title: 'Per day', data: [{ x: 'Mon', y: 3 }] };

// The helper is what stands between a broken template and Teams: check that it catches things.
describe('cards/validation helper', () => {
  it('accepts a plain valid card', () => {
    assert.deepEqual(cardProblems(card([{ type: 'TextBlock', text: 'hi', wrap: true }])), []);
  });

  it('accepts a Chart.* element with a fallback', () => {
    assert.deepEqual(cardProblems(card([{ ...chart, fallback: { type: 'TextBlock', text: 'Mon 3' } }])), []);
  });

  it('rejects a chart without fallback and unknown element types', () => {
    assert.match(cardProblems(card([chart])).join('\n'), /UnknownElementType.*Chart\.VerticalBar/);
    assert.match(
      cardProblems(card([{ type: 'Fancy', fallback: { type: 'TextBlock', text: 'x' } }])).join('\n'),
      /UnknownElementType.*Fancy/,
    );
  });

  it('rejects other versions, duplicate ids, missing toggle targets and oversized cards', () => {
    assert.match(
      cardProblems({ ...card([]), version: '1.6' } as unknown as AdaptiveCard).join('\n'),
      /version is 1\.6/,
    );
    assert.match(
      cardProblems(
        card([
          { type: 'TextBlock', text: 'a', id: 'x' },
          { type: 'TextBlock', text: 'b', id: 'x' },
        ]),
      ).join('\n'),
      /DuplicateId/,
    );
    assert.match(
      cardProblems(
        card([], { actions: [{ type: 'Action.ToggleVisibility', title: 't', targetElements: ['nope'] }] }),
      ).join('\n'),
      /toggle target nope/,
    );
    assert.match(
      cardProblems(card([{ type: 'TextBlock', text: 'x'.repeat(29 * 1024) }])).join('\n'),
      /size \d+ bytes > 28672/,
    );
  });

  it('rejects non-text TextBlock text and non-https links', () => {
    assert.match(cardProblems(card([{ type: 'TextBlock', text: 3 }])).join('\n'), /TextBlock text is number/);
    assert.match(
      cardProblems(
        card([{ type: 'ActionSet', actions: [{ type: 'Action.OpenUrl', title: 'x', url: 'http://example.com' }] }]),
      ).join('\n'),
      /OpenUrl url http:\/\/example\.com/,
    );
  });
});
