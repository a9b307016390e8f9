import type {
  AlertCardModel,
  BackfillCardModel,
  DigestModel,
  StormCardModel,
  SubscriptionRow,
} from '../core/alerts.js';
import { fitCard, TIGHT_LIMITS, type TextLimits } from './budget.js';
import type { RenderEnv } from './common.js';
import { createTimeFormatter } from './format.js';
import { envMaker, expandCard } from './render.js';
import type { CardTemplate } from './templates.js';
import { CARD_TARGET_BYTES, type AdaptiveCard, type CardContext } from './types.js';
import { alertCompactView, alertView, backfillView, stormView, subscriptionsView } from './views-alerts.js';
import { digestItems, digestView } from './views-digest.js';

/**
 * Renderers of the alert and digest cards (models in src/core/alerts.ts). Like `renderReplyCard`:
 * pure (no I/O, no clock), times in `ctx.timeZone` (the digest: its own zone), every card at most
 * `ctx.maxBytes` (default 27 KB) of JSON, lists cut to what fits.
 */

/** Text limits of the compact alert: it must stay far below 4 KB whatever the text. */
const COMPACT_LIMITS: TextLimits = { title: 100, line: 100, listComment: 80, longText: 200, kql: 0, cell: 40 };

/**
 * The largest card of `items` list items that fits; if not even an empty list fits, the card
 * without items at tight text limits (every view keeps that one small by construction).
 */
function renderFitted(
  template: CardTemplate,
  items: number,
  view: (shown: number, env: RenderEnv) => object,
  envFor: (limits: TextLimits) => RenderEnv,
  maxBytes: number,
): AdaptiveCard {
  const card = fitCard(items, (shown, limits) => expandCard(template, view(shown, envFor(limits))), maxBytes);
  return card ?? expandCard(template, view(0, envFor(TIGHT_LIMITS)));
}

/**
 * The card that follows one action: type and scope, device, requestor, comment, status (final
 * statuses highlighted, with the time to complete and any cancellation), audit flags, and the
 * buttons "All actions for this device" and "Show query". Render again with the new row when the
 * status changes and update the posted card in place. With `model.compact` (after a 413), or when
 * the full card does not fit, the compact card: essentials only, well under 4 KB.
 */
export function renderAlertCard(model: AlertCardModel, ctx: CardContext): AdaptiveCard {
  const envFor = envMaker(ctx);
  const compact = (): AdaptiveCard =>
    expandCard(ctx.templates.alertCompact, alertCompactView(model, envFor(COMPACT_LIMITS)));
  if (model.compact === true) return compact();
  return (
    fitCard(
      0,
      (_shown, limits) => expandCard(ctx.templates.alert, alertView(model, envFor(limits))),
      ctx.maxBytes ?? CARD_TARGET_BYTES,
    ) ?? compact()
  );
}

/**
 * One card for a burst of alert-worthy actions: status counts now, counts by type and requestor,
 * the newest actions (as many as fit) and a "Show all" button. Render again as statuses change.
 */
export function renderStormCard(model: StormCardModel, ctx: CardContext): AdaptiveCard {
  return renderFitted(
    ctx.templates.storm,
    model.actions.length,
    (n, env) => stormView(model, n, env),
    envMaker(ctx),
    ctx.maxBytes ?? CARD_TARGET_BYTES,
  );
}

/** The one-off summary of what the first run read. */
export function renderBackfillCard(model: BackfillCardModel, ctx: CardContext): AdaptiveCard {
  return renderFitted(
    ctx.templates.backfill,
    model.byType.length,
    (n, env) => backfillView(model, n, env),
    envMaker(ctx),
    ctx.maxBytes ?? CARD_TARGET_BYTES,
  );
}

/**
 * The daily digest. Times are shown in the digest's own zone (`model.timeZone`, the zone of its
 * date), or `ctx.timeZone` when that is not a valid IANA zone; ages are measured to `model.now`.
 */
export function renderDigestCard(model: DigestModel, ctx: CardContext): AdaptiveCard {
  const zoneValid = model.timeZone.trim() !== '' && createTimeFormatter(model.timeZone).timeZone === model.timeZone;
  const envFor = envMaker(ctx, { now: model.now, ...(zoneValid ? { timeZone: model.timeZone } : {}) });
  return renderFitted(
    ctx.templates.digest,
    digestItems(model),
    (n, env) => digestView(model, n, env),
    envFor,
    ctx.maxBytes ?? CARD_TARGET_BYTES,
  );
}

/** Where alerts and digests go: one row per conversation, active or stopped (with the reason). */
export function renderSubscriptionsCard(rows: readonly SubscriptionRow[], ctx: CardContext): AdaptiveCard {
  return renderFitted(
    ctx.templates.subscriptions,
    rows.length,
    (n, env) => subscriptionsView(rows, n, env),
    envMaker(ctx),
    ctx.maxBytes ?? CARD_TARGET_BYTES,
  );
}
