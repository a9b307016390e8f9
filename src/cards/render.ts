import type { Reply } from '../core/replies.js';
import { fitCard, TIGHT_LIMITS, type TextLimits } from './budget.js';
import type { RenderEnv } from './common.js';
import { createTimeFormatter } from './format.js';
import type { CardTemplate } from './templates.js';
import { CARD_TARGET_BYTES, type AdaptiveCard, type CardContext } from './types.js';
import { countsView, summaryView, timelineView } from './views-counts.js';
import { actionView, errorView, helpView, statusView } from './views-detail.js';
import { actionsView, isolatedView } from './views-lists.js';
import { tableView } from './views-table.js';

/**
 * `renderReplyCard`: a chat command's Reply → Adaptive Card 1.5 JSON. The renderer prepares a view
 * model (inert text, times in the chosen zone, colours, links), expands the reply kind's template
 * and keeps the card inside the size budget (see budget.ts). Pure: no I/O, no clock.
 */

/** A reply's list length (what the budget may cut) and its view model for a given cut. */
interface Plan {
  items: number;
  view(shown: number, env: RenderEnv): object;
}

/** Every reply but the digest, which has its own renderer (render-alerts.ts). */
export type ResultReply = Exclude<Reply, { kind: 'digest' }>;

function planFor(reply: ResultReply): Plan {
  switch (reply.kind) {
    case 'actions':
      return { items: reply.rows.length, view: (n, env) => actionsView(reply, n, env) };
    case 'counts':
      return { items: reply.rows.length, view: (n, env) => countsView(reply, n, env) };
    case 'summary':
      return {
        items: Math.max(reply.byType.length, reply.byStatus.length),
        view: (n, env) => summaryView(reply, n, env),
      };
    case 'timeline':
      return { items: 0, view: (_n, env) => timelineView(reply, env) };
    case 'isolated':
      return { items: reply.rows.length, view: (n, env) => isolatedView(reply, n, env) };
    case 'action':
      return { items: reply.history.length, view: (n, env) => actionView(reply, n, env) };
    case 'table':
      return { items: reply.rows.length, view: (n, env) => tableView(reply, n, env) };
    case 'status':
      return { items: reply.facts.length, view: (n, env) => statusView(reply, n, env) };
    case 'help':
      return { items: reply.commands.length, view: (n, env) => helpView(reply, n, env) };
    case 'error':
      return { items: 0, view: (_n, env) => errorView(reply, env) };
  }
}

/** Expands a template with a view model and checks that the result is a card. */
export function expandCard(template: CardTemplate, view: object): AdaptiveCard {
  const card = template.expand(view);
  if (typeof card !== 'object' || card === null || (card as { type?: unknown }).type !== 'AdaptiveCard') {
    throw new TypeError(`card template "${template.kind}" did not expand to an AdaptiveCard`);
  }
  return card as AdaptiveCard;
}

/**
 * The render environment for each text-limit level: times in `timeZone` (default `ctx.timeZone`),
 * ages measured to `now` (default `ctx.now`).
 */
export function envMaker(
  ctx: CardContext,
  options: { timeZone?: string; now?: string } = {},
): (limits: TextLimits) => RenderEnv {
  const time = createTimeFormatter(options.timeZone ?? ctx.timeZone);
  const now = options.now ?? ctx.now;
  return (limits) => ({ time, now, names: ctx.requestorNames, limits });
}

/** Renders the reply as an Adaptive Card of at most `ctx.maxBytes` (default 27 KB) of JSON. */
export function renderResultCard(reply: ResultReply, ctx: CardContext): AdaptiveCard {
  const maxBytes = ctx.maxBytes ?? CARD_TARGET_BYTES;
  const envFor = envMaker(ctx);
  const template = ctx.templates[reply.kind];
  const plan = planFor(reply);
  const card = fitCard(plan.items, (shown, limits) => expandCard(template, plan.view(shown, envFor(limits))), maxBytes);
  if (card !== undefined) return card;
  const tooLarge = {
    kind: 'error',
    title: 'Too large for a card',
    message:
      'This answer does not fit in a Teams card. Narrow the question, or run it with the CLI: defender-audit-bot ask "…" --format csv',
  } as const;
  return expandCard(ctx.templates.error, errorView(tooLarge, envFor(TIGHT_LIMITS)));
}
