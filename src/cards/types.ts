import type { RequestorNames } from '../core/replies.js';
import type { CardTemplates } from './templates.js';

/** An Adaptive Card element or action as plain JSON. */
export interface CardElement {
  type: string;
  [property: string]: unknown;
}

/** A rendered Adaptive Card: plain JSON, ready for `CardFactory.adaptiveCard()`. */
export interface AdaptiveCard {
  $schema: string;
  type: 'AdaptiveCard';
  /** Teams renders Adaptive Cards up to 1.5. */
  version: '1.5';
  body: CardElement[];
  actions?: CardElement[];
  msteams?: { width?: 'Full' };
  [property: string]: unknown;
}

/** What a renderer needs besides the reply. */
export interface CardContext {
  /** Loaded once at startup with `loadCardTemplates`. */
  templates: CardTemplates;
  /** ISO 8601 UTC instant of rendering, for ages ("isolated 3 h ago"). */
  now: string;
  /** App GUID (lower case) → friendly name. UPNs are shown as they are. */
  requestorNames: RequestorNames;
  /** IANA zone for displayed times (default `UTC`); cards always name the zone they use. */
  timeZone?: string;
  /**
   * Upper bound for `Buffer.byteLength(JSON.stringify(card))` in bytes (UTF-8). Default
   * `CARD_TARGET_BYTES`, a margin under the 28 KB budget.
   */
  maxBytes?: number;
}

/** The card size budget: 28 KB (28 × 1024 bytes of JSON). */
export const CARD_MAX_BYTES = 28 * 1024;

/** What renderers aim for by default: 1 KB under the budget. */
export const CARD_TARGET_BYTES = 27 * 1024;

/** Size of a card as the budget counts it: bytes of its JSON text in UTF-8. */
export function cardByteLength(card: AdaptiveCard): number {
  return Buffer.byteLength(JSON.stringify(card), 'utf8');
}
