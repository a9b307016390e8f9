/**
 * Text that comes from users or the Defender API (comments, device names, requestors, chat text
 * echoed in titles) goes into TextBlock and Fact values, which Teams renders as a Markdown subset
 * (bold, italic, lists, links). These helpers make such text inert and bounded:
 *
 * - `sanitize` drops control and bidirectional-override characters (which could reorder what
 *   a reader sees) and normalises line ends;
 * - `clip` shortens to a number of UTF-16 code units (what the JSON size follows) without cutting
 *   a grapheme cluster (an emoji stays whole), preferring a word boundary, and ends with an
 *   ellipsis;
 * - `escapeMarkdown` backslash-escapes what would turn text into a link, emphasis, a list, a
 *   heading or a quote, and breaks `{{` so that host date functions such as `{{DATE(…)}}` are not
 *   evaluated.
 *
 * Templating needs no escaping: `adaptivecards-templating` parses `${…}` only in the template,
 * never in bound data values (tested with hostile comments).
 */

/** How newlines in the source text are shown. */
export type NewlineMode =
  /** Collapse every run of whitespace into one space (one-line list rows). */
  | 'space'
  /** Keep line breaks as Markdown paragraph breaks (`\n\n`, the form Teams renders). */
  | 'keep';

export interface InertTextOptions {
  /** Maximum length in UTF-16 code units before escaping, ellipsis included. */
  maxChars: number;
  newlines: NewlineMode;
}

const ELLIPSIS = '…';

// C0/C1 controls except tab and line feed; bidi embeddings, overrides and isolates; BOM.
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uFEFF]/g;

/** Removes control and bidi-override characters; line ends become `\n`, tabs a space. */
export function sanitize(text: string): string {
  return text
    .replace(/\r\n?|\u2028|\u2029/g, '\n')
    .replace(/\t/g, ' ')
    .replace(UNSAFE_CHARS, '');
}

/** The start of the grapheme cluster that contains code unit `index` (or starts there). */
function graphemeStart(text: string, index: number): number {
  // Segment a window around the index only: segmenting a 30 KB text would take tens of ms.
  const from = Math.max(0, index - 64);
  let start = from;
  for (const segment of new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(text.slice(from, index + 64))) {
    if (from + segment.index > index) break;
    start = from + segment.index;
  }
  return start;
}

/**
 * Shortens `text` to at most `maxChars` UTF-16 code units, the ellipsis included, never inside a
 * grapheme cluster (an emoji stays whole). When the cut falls inside a word and a space is near
 * (within the last fifth), cuts at that space instead.
 */
export function clip(text: string, maxChars: number): string {
  const limit = Math.max(1, Math.floor(maxChars));
  if (text.length <= limit) return text;
  let cut = graphemeStart(text, limit - 1);
  const lastSpace = text.lastIndexOf(' ', cut);
  if (lastSpace >= Math.floor(cut * 0.8)) cut = lastSpace;
  return text.slice(0, cut).trimEnd() + ELLIPSIS;
}

/**
 * Teams renders a CommonMark subset: bold, italic, lists and links. Inline, only the characters
 * that build those are escaped (plus `_` at word edges and the second `{` of `{{`), so that KQL
 * keeps `=~`, `<`, `>` and backticks as they are; line starts are handled in `escapeLine`.
 */
const ALWAYS_ESCAPED = new Set(['\\', '[', ']', '*']);

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[\p{L}\p{N}]/u.test(c);
}

function escapeLine(line: string): string {
  let out = '';
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (ALWAYS_ESCAPED.has(c)) {
      out += `\\${c}`;
    } else if (c === '_' && !(isWordChar(line[i - 1]) && isWordChar(line[i + 1]))) {
      // Intraword underscores (column_ifexists, MDEMachineActions_CL) never make emphasis.
      out += '\\_';
    } else if (c === '{' && line[i - 1] === '{') {
      out += '\\{';
    } else {
      out += c;
    }
  }
  // Block syntax at the start of a line: headings, quotes, setext underlines, list items.
  return out
    .replace(/^([#>=])/, '\\$1')
    .replace(/^([-+])(?=\s|$)/, '\\$1')
    .replace(/^(\d+)([.)])/, '$1\\$2');
}

/**
 * Escapes Markdown in one or more lines of plain text. Leading whitespace of each line is removed
 * (four spaces would start a code block).
 */
export function escapeMarkdown(text: string): string {
  return text
    .split('\n')
    .map((line) => escapeLine(line.replace(/^\s+/, '')))
    .join('\n');
}

/**
 * Plain text made safe to place in a TextBlock or Fact value: sanitised, whitespace handled per
 * `newlines`, clipped to `maxChars`, then Markdown-escaped (escaping last, so that a cut never
 * splits an escape sequence).
 */
export function inert(text: string, options: InertTextOptions): string {
  const clean = sanitize(text);
  const shaped =
    options.newlines === 'space'
      ? clean.replace(/\s+/g, ' ').trim()
      : clean
          .split('\n')
          .map((line) => line.trim())
          .filter((line) => line !== '')
          .join('\n');
  const clipped = clip(shaped, options.maxChars);
  const escaped = escapeMarkdown(clipped);
  return options.newlines === 'space' ? escaped : escaped.split('\n').join('\n\n');
}

/** A Markdown link whose label is inert text and whose URL is ours (already encoded). */
export function markdownLink(label: string, url: string, maxChars: number): string {
  return `[${inert(label, { maxChars, newlines: 'space' })}](${url})`;
}
