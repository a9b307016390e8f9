import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ACData from 'adaptivecards-templating';
import { AppError } from '../core/errors.js';
import type { ReplyKind } from '../core/replies.js';

/**
 * The Adaptive Card templates in the top-level `cards/` folder, one per reply kind, loaded and
 * compiled once at startup. Templates use `adaptivecards-templating` syntax (`${path}` bindings,
 * `$data` repetition, `$when` conditions) against a view model prepared by the renderers, so they
 * can be edited in the Adaptive Cards Designer with sample data.
 */

/** Template file per reply kind, relative to the cards folder. */
export const CARD_TEMPLATE_FILES: { readonly [K in ReplyKind]: string } = {
  actions: 'actions.json',
  counts: 'counts.json',
  summary: 'summary.json',
  timeline: 'timeline.json',
  isolated: 'isolated.json',
  action: 'action.json',
  status: 'status.json',
  help: 'help.json',
  error: 'error.json',
};

const REPLY_KINDS = Object.keys(CARD_TEMPLATE_FILES) as ReplyKind[];

/** One compiled template. */
export interface CardTemplate {
  readonly kind: ReplyKind;
  /** The template JSON as loaded, deep-frozen. */
  readonly source: unknown;
  /** Expands the template with `$root` = `data`; returns plain JSON. */
  expand(data: object): unknown;
}

export type CardTemplates = { readonly [K in ReplyKind]: CardTemplate };

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

function brokenTemplate(kind: ReplyKind, origin: string, reason: string, cause?: unknown): AppError {
  return new AppError('INTERNAL', `Card template ${origin} for "${kind}" replies is unusable: ${reason}.`, {
    cause,
    fix: `Restore ${CARD_TEMPLATE_FILES[kind]} in the cards folder from the release (or git).`,
  });
}

/**
 * Checks and compiles template JSON (one object per reply kind). Throws an `AppError` naming the
 * template when one is missing or not an Adaptive Card 1.5.
 */
export function compileCardTemplates(sources: { readonly [K in ReplyKind]: unknown }, origin = 'cards/'): CardTemplates {
  const compiled: Partial<Record<ReplyKind, CardTemplate>> = {};
  for (const kind of REPLY_KINDS) {
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
 * Reads and compiles `<dir>/<kind>.json` for every reply kind. Call once at startup and pass the
 * result to the renderers in `CardContext.templates`.
 */
export async function loadCardTemplates(dir: string = defaultCardsDir()): Promise<CardTemplates> {
  const entries = await Promise.all(
    REPLY_KINDS.map(async (kind): Promise<[ReplyKind, unknown]> => {
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
  return compileCardTemplates(Object.fromEntries(entries) as { [K in ReplyKind]: unknown }, `${dir.replace(/[\\/]+$/, '')}/`);
}
