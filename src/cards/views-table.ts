import type { Reply } from '../core/replies.js';
import { headerView, line, queryView, type HeaderView, type QueryView, type RenderEnv } from './common.js';
import { formatCount, plural } from './format.js';

/** View model of `table.json`: the rows of an ad hoc KQL query (`kql <query>`). */

type TableReply = Extract<Reply, { kind: 'table' }>;

/** Columns a card shows at most: more would be unreadable in Teams; the CLI shows them all. */
export const MAX_CARD_COLUMNS = 10;

export interface TableCellView {
  text: string;
}

export interface TableColumnView extends TableCellView {
  /** Relative width (1 to 4), from the longest text in the column. */
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
  /** The card shows fewer rows or columns than the reply has (size budget, column cap). */
  hasShowing: boolean;
  showing: string;
  query: QueryView;
}

/** A cell or column name: one line of inert text, clipped to the cell limit of this render. */
function cell(text: string, env: RenderEnv): TableCellView {
  return { text: line(text, env, env.limits.cell) };
}

export function tableView(reply: TableReply, shown: number, env: RenderEnv): TableView {
  const columnCount = Math.min(reply.columns.length, MAX_CARD_COLUMNS);
  const columns = reply.columns.slice(0, columnCount);
  const rows = reply.rows.slice(0, shown);
  const cuts = [
    rows.length < reply.rows.length ? `${formatCount(rows.length)} of ${plural(reply.rows.length, 'row')} (the rest did not fit in the card)` : '',
    columnCount < reply.columns.length ? `the first ${formatCount(columnCount)} of ${plural(reply.columns.length, 'column')}` : '',
  ].filter((s) => s !== '');
  const cellsCut = reply.rows.some((r) => r.some((c) => c.length > env.limits.cell)) || reply.columns.some((c) => c.length > env.limits.cell);
  const showing = [
    cuts.length > 0 ? `Showing ${cuts.join(' and ')}.` : '',
    cellsCut ? `Long values end with "…".` : '',
    'The CLI prints every fetched row and column: defender-audit-bot ask "kql …" --format csv',
  ].filter((s) => s !== '');
  const header = columns.map((c) => cell(c, env));
  const body = rows.map((r) => ({ cells: columns.map((_c, i) => cell(r[i] ?? '', env)) }));
  const width = (i: number): number => {
    const longest = Math.max((header[i]?.text ?? '').length, ...body.map((r) => (r.cells[i]?.text ?? '').length));
    return Math.min(4, Math.max(1, Math.round(longest / 12)));
  };
  return {
    ...headerView(reply.title, reply.subtitle, 'Read-only ad hoc query · values as Log Analytics returns them (times in UTC)', env),
    isEmpty: reply.rows.length === 0 || columnCount === 0,
    emptyText: 'The query returned no rows.',
    columns: header.map((h, i) => ({ ...h, width: width(i) })),
    rows: body,
    isTruncated: reply.truncated,
    truncatedText: line(`More rows exist: only the first ${plural(reply.rows.length, 'row')} ${reply.rows.length === 1 ? 'was' : 'were'} fetched. Narrow the query (where, summarize, take) to see the rest.`, env),
    hasShowing: cuts.length > 0 || cellsCut,
    showing: line(showing.join(' '), env, env.limits.longText),
    query: queryView(reply.query, env),
  };
}
