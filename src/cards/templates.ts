import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ACData from 'adaptivecards-templating';
import { AppError } from '../core/errors.js';
import type { ReplyKind } from '../core/replies.js';

/**
 * The Adaptive Card templates in the top-level `cards/` folder, one per reply kind and one per
 * alert or digest card, loaded and compiled once at startup. Templates use `adaptivecards-templating` syntax (`${path}` bindings,
 * `$data` repetition, `$when` conditions) against a view model prepared by the renderers, so they
 * can be edited in the Adaptive Cards Designer with sample data.
 */

/**
 * Cards of the alert and digest features (models in src/core/alerts.ts): the alert that follows one
 * action, its compact form (sent after a 413), the storm and backfill summaries, the daily digest
 * and the list of subscriptions.
 */
export type AlertCardKind = 'alert' | 'alertCompact' | 'storm' | 'backfill' | 'digest' | 'subscriptions';

/** Every template: one per chat reply kind plus the alert and digest cards. */
export type CardKind = ReplyKind | AlertCardKind;

/** Template file per card kind, relative to the cards folder. */
export const CARD_TEMPLATE_FILES: { readonly [K in CardKind]: string } = {
  actions: 'actions.json',
  counts: 'counts.json',
  summary: 'summary.json',
  timeline: 'timeline.json',
  isolated: 'isolated.json',
  action: 'action.json',
  status: 'status.json',
  table: 'table.json',
  help: 'help.json',
  error: 'error.json',
  alert: 'alert.json',
  alertCompact: 'alert-compact.json',
  storm: 'storm.json',
  backfill: 'backfill.json',
  digest: 'digest.json',
  subscriptions: 'subscriptions.json',
};

const CARD_KINDS = Object.keys(CARD_TEMPLATE_FILES) as CardKind[];

const ALERT_CARD_KINDS: ReadonlySet<CardKind> = new Set<AlertCardKind>([
  'alert',
  'alertCompact',
  'storm',
  'backfill',
  'digest',
  'subscriptions',
]);

/** One compiled template. */
export interface CardTemplate {
  readonly kind: CardKind;
  /** The template JSON as loaded, deep-frozen. */
  readonly source: unknown;
  /** Expands the template with `$root` = `data`; returns plain JSON. */
  expand(data: object): unknown;
}

export type CardTemplates = { readonly [K in CardKind]: CardTemplate };

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

function templateProblem(source: unknown): string | undefined {
  if (typeof source !== 'object' || source === null || Array.isArray(source)) return 'not a JSON object';
  const card = source as Record<string, unknown>;
  if (card.type !== 'AdaptiveCard') return '"type" is not "AdaptiveCard"';
  if (card.version !== '1.5') return `"version" is ${JSON.stringify(card.version)}, Teams needs "1.5"`;
  return Array.isArray(card.body) ? undefined : '"body" is not an array';
}

function brokenTemplate(kind: CardKind, origin: string, reason: string, cause?: unknown): AppError {
  const usedFor = ALERT_CARD_KINDS.has(kind) ? 'cards' : 'replies';
  return new AppError('INTERNAL', `Card template ${origin} for "${kind}" ${usedFor} is unusable: ${reason}.`, {
    cause,
    fix: `Restore ${CARD_TEMPLATE_FILES[kind]} in the cards folder from the release (or git).`,
  });
}

/**
 * Checks and compiles template JSON (one object per card kind). Throws an `AppError` naming the
 * template when one is missing or not an Adaptive Card 1.5.
 */
export function compileCardTemplates(sources: { readonly [K in CardKind]: unknown }, origin = 'cards/'): CardTemplates {
  const compiled: Partial<Record<CardKind, CardTemplate>> = {};
  for (const kind of CARD_KINDS) {
    const source = deepFreeze(structuredClone(sources[kind]));
    const where = `${origin}${CARD_TEMPLATE_FILES[kind]}`;
    const problem = templateProblem(source);
    if (problem !== undefined) throw brokenTemplate(kind, where, problem);
    let template: ACData.Template;
    try {
      template = new ACData.Template(source);
    } catch (err) {
      throw brokenTemplate(kind, where, err instanceof Error ? err.message : String(err), err);
    }
    compiled[kind] = {
      kind,
      source,
      expand: (data: object): unknown => template.expand({ $root: data }) as unknown,
    };
  }
  return compiled as CardTemplates;
}

/** The `cards/` folder of this package (next to `src/` and `dist/`). */
export function defaultCardsDir(): string {
  return fileURLToPath(new URL('../../cards/', import.meta.url));
}

/**
 * Reads and compiles the template of every card kind (`CARD_TEMPLATE_FILES`) from `dir`. Call once
 * at startup and pass the result to the renderers in `CardContext.templates`.
 */
export async function loadCardTemplates(dir: string = defaultCardsDir()): Promise<CardTemplates> {
  const entries = await Promise.all(
    CARD_KINDS.map(async (kind): Promise<[CardKind, unknown]> => {
      const path = join(dir, CARD_TEMPLATE_FILES[kind]);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        throw brokenTemplate(kind, path, 'cannot read the file', err);
      }
      try {
        return [kind, JSON.parse(text) as unknown];
      } catch (err) {
        throw brokenTemplate(kind, path, `invalid JSON (${err instanceof Error ? err.message : String(err)})`, err);
      }
    }),
  );
  return compileCardTemplates(
    Object.fromEntries(entries) as { [K in CardKind]: unknown },
    `${dir.replace(/[\\/]+$/, '')}/`,
  );
}
