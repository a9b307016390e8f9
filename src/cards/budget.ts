import { cardByteLength, type AdaptiveCard } from './types.js';

/**
 * Keeping cards inside the size budget. A renderer describes a card as a function of how many of
 * its list items to show and how long text may be; `fitCard` finds the largest card that fits:
 * all items at normal text lengths if possible, otherwise the most items that fit (binary search,
 * seeded by the measured bytes per item), then the same with tight text lengths.
 */

/** Maximum text lengths, in UTF-16 code units (see `clip`). */
export interface TextLimits {
  /** Card title. */
  title: number;
  /** Subtitles, names, facts and other one-line text. */
  line: number;
  /** A comment in a list row. */
  listComment: number;
  /** A comment or message on a detail card. */
  longText: number;
  /** The KQL text behind "Show query". */
  kql: number;
  /** A cell of an ad hoc query's table. */
  cell: number;
}

export const NORMAL_LIMITS: TextLimits = {
  title: 200,
  line: 300,
  listComment: 200,
  longText: 1500,
  kql: 4000,
  cell: 120,
};
export const TIGHT_LIMITS: TextLimits = { title: 120, line: 120, listComment: 80, longText: 400, kql: 800, cell: 40 };

/** At most this many list items are ever rendered (no card fits more within 28 KB). */
export const MAX_ITEMS = 200;

export type CardRenderer = (shown: number, limits: TextLimits) => AdaptiveCard;

/**
 * Renders with as many of `itemCount` items as fit in `maxBytes`. Returns undefined when not even
 * a card without items fits (the caller then shows a short "too large" card).
 */
export function fitCard(itemCount: number, render: CardRenderer, maxBytes: number): AdaptiveCard | undefined {
  const capped = Math.max(0, Math.min(itemCount, MAX_ITEMS));
  for (const limits of [NORMAL_LIMITS, TIGHT_LIMITS]) {
    const full = render(capped, limits);
    const fullSize = cardByteLength(full);
    if (fullSize <= maxBytes) return full;
    if (capped === 0) continue;
    const empty = render(0, limits);
    const emptySize = cardByteLength(empty);
    if (emptySize > maxBytes) continue;
    // Invariant: `lo` items fit (best is that card), `hi` items do not.
    let lo = 0;
    let hi = capped;
    let best = empty;
    const perItem = (fullSize - emptySize) / capped;
    let probe = Math.min(capped - 1, Math.max(1, Math.floor((maxBytes - emptySize) / perItem)));
    while (hi - lo > 1) {
      const card = render(probe, limits);
      if (cardByteLength(card) <= maxBytes) {
        lo = probe;
        best = card;
      } else {
        hi = probe;
      }
      probe = Math.floor((lo + hi) / 2);
    }
    return best;
  }
  return undefined;
}
