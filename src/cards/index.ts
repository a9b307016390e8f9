/**
 * Adaptive Card rendering: templates in the top-level `cards/` folder, loaded once with
 * `loadCardTemplates`, and pure renderers: `renderReplyCard` for chat replies, and the alert,
 * storm, backfill, digest and subscriptions cards (models in src/core/alerts.ts).
 */
import type { Reply } from '../core/replies.js';
import { renderDigestCard } from './render-alerts.js';
import { renderResultCard } from './render.js';
import type { AdaptiveCard, CardContext } from './types.js';

export { renderResultCard, type ResultReply } from './render.js';
export {
  renderAlertCard,
  renderBackfillCard,
  renderDigestCard,
  renderStormCard,
  renderSubscriptionsCard,
} from './render-alerts.js';

/** The card of any chat reply (the digest has its own layout). */
export function renderReplyCard(reply: Reply, ctx: CardContext): AdaptiveCard {
  return reply.kind === 'digest' ? renderDigestCard(reply.model, ctx) : renderResultCard(reply, ctx);
}
export { flagSentence } from './views-alerts.js';
export {
  CARD_TEMPLATE_FILES,
  compileCardTemplates,
  defaultCardsDir,
  loadCardTemplates,
  type AlertCardKind,
  type CardKind,
  type CardTemplate,
  type CardTemplates,
} from './templates.js';
export {
  CARD_MAX_BYTES,
  CARD_TARGET_BYTES,
  cardByteLength,
  type AdaptiveCard,
  type CardContext,
  type CardElement,
} from './types.js';
export {
  createTimeFormatter,
  formatAge,
  formatElapsed,
  formatHResult,
  portalMachineUrl,
  requestorLabel,
  statusColor,
  type RequestorLabel,
  type TextColor,
  type TimeFormatter,
} from './format.js';
export { escapeMarkdown } from './text.js';
