/**
 * Adaptive Card rendering: templates in the top-level `cards/` folder, loaded once with
 * `loadCardTemplates`, and pure renderers: `renderReplyCard` for chat replies, and the alert,
 * storm, backfill, digest and subscriptions cards (models in src/core/alerts.ts).
 */
export { renderReplyCard } from './render.js';
export { renderAlertCard, renderBackfillCard, renderDigestCard, renderStormCard, renderSubscriptionsCard } from './render-alerts.js';
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
export { CARD_MAX_BYTES, CARD_TARGET_BYTES, cardByteLength, type AdaptiveCard, type CardContext, type CardElement } from './types.js';
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
