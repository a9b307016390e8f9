/**
 * Adaptive Card rendering for chat replies: templates in the top-level `cards/` folder, loaded
 * once with `loadCardTemplates`, and the pure renderer `renderReplyCard`.
 */
export { renderReplyCard } from './render.js';
export {
  CARD_TEMPLATE_FILES,
  compileCardTemplates,
  defaultCardsDir,
  loadCardTemplates,
  type CardTemplate,
  type CardTemplates,
} from './templates.js';
export { CARD_MAX_BYTES, CARD_TARGET_BYTES, cardByteLength, type AdaptiveCard, type CardContext, type CardElement } from './types.js';
export {
  createTimeFormatter,
  formatAge,
  formatHResult,
  portalMachineUrl,
  requestorLabel,
  statusColor,
  type RequestorLabel,
  type TextColor,
  type TimeFormatter,
} from './format.js';
export { escapeMarkdown } from './text.js';
