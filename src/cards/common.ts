import type { RequestorNames, ShownQuery } from '../core/replies.js';
import type { TextLimits } from './budget.js';
import type { TimeFormatter } from './format.js';
import { inert } from './text.js';

/**
 * View-model parts every template shares: the header (title, subtitle, a subtle note) and the
 * hidden "Show query" container. Every string a template binds is already inert (see text.ts);
 * every field a template references is present (the templating engine would print `${path}` for a
 * missing one).
 */

/** What view builders get besides the reply. */
export interface RenderEnv {
  time: TimeFormatter;
  /** ISO 8601 UTC instant of rendering. */
  now: string;
  names: RequestorNames;
  limits: TextLimits;
}

export interface HeaderView {
  title: string;
  subtitle: string;
  /** A subtle line under the subtitle (time zone, ordering), or empty. */
  note: string;
  hasNote: boolean;
}

export function headerView(title: string, subtitle: string, note: string, env: RenderEnv): HeaderView {
  return {
    title: inert(title, { maxChars: env.limits.title, newlines: 'space' }),
    subtitle: inert(subtitle, { maxChars: env.limits.line, newlines: 'space' }),
    note: inert(note, { maxChars: env.limits.line, newlines: 'space' }),
    hasNote: note.trim() !== '',
  };
}

export interface QueryView {
  /** The KQL as inert Markdown, one paragraph per line. */
  kql: string;
  /** Set when the KQL was shortened for the card. */
  truncated: boolean;
  truncatedNote: string;
  hasPortalUrl: boolean;
  portalUrl: string;
}

function isWebUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

export function queryView(query: ShownQuery, env: RenderEnv): QueryView {
  const kql = inert(query.kql, { maxChars: env.limits.kql, newlines: 'keep' });
  const truncated = kql.endsWith('…') && !query.kql.trimEnd().endsWith('…');
  const portalUrl = query.portalUrl !== undefined && isWebUrl(query.portalUrl) ? query.portalUrl : '';
  return {
    kql: kql === '' ? '(no query text)' : kql,
    truncated,
    truncatedNote: 'The query is shortened here; the CLI prints it in full: defender-audit-bot ask "…" --format kql',
    hasPortalUrl: portalUrl !== '',
    portalUrl,
  };
}

/** A line of inert text: one line, clipped to the line limit. */
export function line(text: string, env: RenderEnv, maxChars = env.limits.line): string {
  return inert(text, { maxChars, newlines: 'space' });
}

/** Multi-line inert text (comments, messages), clipped to `maxChars`. */
export function paragraphs(text: string, maxChars: number): string {
  return inert(text, { maxChars, newlines: 'keep' });
}
