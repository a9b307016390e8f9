import type { Reply } from '../core/replies.js';
import { headerView, line, queryView, type HeaderView, type QueryView, type RenderEnv } from './common.js';
import { formatCount, plural } from './format.js';
import { clip, sanitize } from './text.js';
import { textWidth } from './text-width.js';

/** View model of `table.json`: the rows of an ad hoc KQL query (`kql <query>`). */

type TableReply = Extract<Reply, { kind: 'table' }>;

/** Columns a card shows at most: more would be unreadable in Teams; the CLI shows them all. */
export const MAX_CARD_COLUMNS = 10;

/**
 * Column layout. Teams gives a card about 600 px in a channel (scripts/card-page.ts pictures them
 * at that width): 568 px inside the card's padding, 1 px of it the table's left grid line. Each
 * cell has 4 px of padding on either side and a 1 px grid line. Cell text is Small (12 px in
 * Teams; the template says so), headers bold: six columns of statuses, types, times and devices fit
 * side by side without breaking a word, where 14 px text fits four or five.
 */
export const TABLE_LAYOUT = {
  width: 567,
  cellOverhead: 9,
  fontSize: 12,
  /** Words up to this many characters (statuses, action types, DNS names, GUIDs, times) are kept whole. */
  keepWholeChars: 40,
  /** Room of a column whose values have longer runs (JSON, URLs): they wrap anywhere. */
  longValueWidth: 96,
  /** Least room of any column. */
  minWidth: 32,
  /** A column wants at most this much room for its longest value on one line. */
  maxWantedWidth: 320,
  /** Estimated widths are multiplied by this (fonts differ a little). */
  safety: 1.03,
} as const;

export interface TableCellView {
  text: string;
}

export interface TableColumnView extends TableCellView {
  /** Relative width: about the column's share of a 600 px card in px (see `columnLayout`). */
  width: number;
}

export interface TableRowView {
  cells: TableCellView[];
}

export interface TableView extends HeaderView {
  isEmpty: boolean;
  emptyText: string;
  /** Header cells (column names) and widths, one per shown column. */
  columns: TableColumnView[];
  rows: TableRowView[];
  /** More rows exist than the query fetched (the row limit). */
  isTruncated: boolean;
  truncatedText: string;
  /** The card shows fewer rows or columns than the reply has (size budget, width, column cap). */
  hasShowing: boolean;
  showing: string;
  query: QueryView;
}

/** `2026-11-29T12:00:00.1234567Z` → `2026-11-29 12:00:00.1234567Z`: date and time can go on two lines. */
const ISO_DATETIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)$/;

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Dynamic values (JSON arrays and objects) with a space after each comma and colon between
 * elements (not inside strings; the text is only parsed to check that it is JSON): `["ws-1.contoso.com", "srv-2.contoso.com"]` can wrap between its
 * elements instead of inside a device name.
 */
function spacedJson(text: string): string {
  if (!/^[[{]/.test(text) || !isJson(text)) return text;
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    out += c;
    if (inString) {
      if (c === '\\') out += text.charAt(++i);
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if ((c === ',' || c === ':') && !/\s/.test(text.charAt(i + 1))) {
      out += ' ';
    }
  }
  return out;
}

/**
 * A value as the card shows it (before clipping and escaping): ISO datetimes with a space for the
 * `T` and dynamic values spaced (see `spacedJson`), so that they wrap at those spaces. Nothing else
 * changes.
 */
function shownValue(text: string): string {
  return spacedJson(text.replace(ISO_DATETIME, '$1 $2'));
}

/** What a reader sees of a cell: one line, clipped like `line` clips it, without the escapes. */
function seenText(text: string, maxChars: number): string {
  return clip(sanitize(shownValue(text)).replace(/\s+/g, ' ').trim(), maxChars);
}

/** A cell or column name: one line of inert text, clipped to the cell limit of this render. */
function cell(text: string, env: RenderEnv): TableCellView {
  return { text: line(shownValue(text), env, env.limits.cell) };
}

export interface ColumnNeed {
  /** Least width (px, cell overhead included) that keeps every short word of the column whole. */
  min: number;
  /** Width that would show its longest value on one line (capped). */
  wanted: number;
}

/** What one column needs, from its header (bold) and its shown values. */
function columnNeed(header: string, values: readonly string[]): ColumnNeed {
  const L = TABLE_LAYOUT;
  let min: number = L.minWidth;
  let wanted: number = L.minWidth;
  const measure = (text: string, bold: boolean): void => {
    wanted = Math.max(wanted, Math.min(L.maxWantedWidth, textWidth(text, L.fontSize, bold) * L.safety));
    for (const word of text.match(/\S+/g) ?? []) {
      const width =
        [...word].length <= L.keepWholeChars ? textWidth(word, L.fontSize, bold) * L.safety : L.longValueWidth;
      min = Math.max(min, width);
    }
  };
  measure(header, true);
  for (const value of values) measure(value, false);
  return { min: Math.ceil(min) + L.cellOverhead, wanted: Math.ceil(Math.max(min, wanted)) + L.cellOverhead };
}

/**
 * How many of the columns fit side by side, and their widths: the leading columns whose least
 * widths fit in the card (at least one), each given its least width, then what room is left shared
 * out toward the width that would put each column's longest value on one line. Widths are relative
 * (Teams scales them to the card it draws), in px of a 600 px card.
 */
export function columnLayout(needs: readonly ColumnNeed[]): number[] {
  const L = TABLE_LAYOUT;
  let used = 0;
  let count = 0;
  for (const need of needs) {
    if (count > 0 && used + need.min > L.width) break;
    used += need.min;
    count++;
  }
  const shown = needs.slice(0, count);
  const extra = shown.reduce((s, n) => s + (n.wanted - n.min), 0);
  const room = Math.max(0, L.width - used);
  const share = extra > 0 ? Math.min(1, room / extra) : 0;
  return shown.map((n) => Math.max(1, Math.round(n.min + (n.wanted - n.min) * share)));
}

export function tableView(reply: TableReply, shown: number, env: RenderEnv): TableView {
  const capped = reply.columns.slice(0, MAX_CARD_COLUMNS);
  const rows = reply.rows.slice(0, shown);
  const limit = env.limits.cell;
  const needs = capped.map((c, i) =>
    columnNeed(
      seenText(c, limit),
      rows.map((r) => seenText(r[i] ?? '', limit)),
    ),
  );
  const widths = columnLayout(needs);
  const columnCount = widths.length;
  const columns = capped.slice(0, columnCount);
  const cuts = [
    rows.length < reply.rows.length
      ? `${formatCount(rows.length)} of ${plural(reply.rows.length, 'row')} (the rest did not fit in the card)`
      : '',
    columnCount < reply.columns.length
      ? `the first ${formatCount(columnCount)} of ${plural(reply.columns.length, 'column')}${columnCount < capped.length ? ' (the others do not fit the width of the card)' : ''}`
      : '',
  ].filter((s) => s !== '');
  const cellsCut =
    reply.rows.some((r) => r.some((c) => c.length > limit)) || reply.columns.some((c) => c.length > limit);
  const showing = [
    cuts.length > 0 ? `Showing ${cuts.join(' and ')}.` : '',
    cellsCut ? `Long values end with "…".` : '',
    'The CLI prints every fetched row and column: defender-audit-bot ask "kql …" --format csv',
  ].filter((s) => s !== '');
  return {
    ...headerView(
      reply.title,
      reply.subtitle,
      'Read-only ad hoc query · values as Log Analytics returns them (times in UTC)',
      env,
    ),
    isEmpty: reply.rows.length === 0 || columnCount === 0,
    emptyText: 'The query returned no rows.',
    columns: columns.map((c, i) => ({ ...cell(c, env), width: widths[i] ?? 1 })),
    rows: rows.map((r) => ({ cells: columns.map((_c, i) => cell(r[i] ?? '', env)) })),
    isTruncated: reply.truncated,
    truncatedText: line(
      `More rows exist: only the first ${plural(reply.rows.length, 'row')} ${reply.rows.length === 1 ? 'was' : 'were'} fetched. Narrow the query (where, summarize, take) to see the rest.`,
      env,
    ),
    hasShowing: cuts.length > 0 || cellsCut,
    showing: line(showing.join(' '), env, env.limits.longText),
    query: queryView(reply.query, env),
  };
}
