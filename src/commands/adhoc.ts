import type { KqlRows } from '../core/query.js';
import type { Reply } from '../core/replies.js';

/**
 * The ad hoc `kql <query>` command (workspace mode, admins only, read-only): the query text as
 * Teams delivers it, the query actually run (cut at the row limit), and its rows as a `table`
 * reply whose cells are bounded text.
 */

type TableReply = Extract<Reply, { kind: 'table' }>;

/** Longest cell text a table reply keeps (the card clips further). */
export const MAX_CELL_CHARS = 1000;

const ENTITIES: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
  '#39': "'",
  '#x27': "'",
  nbsp: ' ',
};

/**
 * Decodes the HTML entities Teams puts in message text (`&lt; &gt; &amp; &quot; &#39; &nbsp;`), in
 * one pass: `&amp;lt;` becomes `&lt;`, not `<`.
 */
export function decodeHtmlEntities(text: string): string {
  return text.replace(
    /&(lt|gt|amp|quot|apos|#39|#x27|nbsp);/gi,
    (m, name: string) => ENTITIES[name.toLowerCase()] ?? m,
  );
}

/** Why a query may not run as an ad hoc query, or undefined when it may. */
export function adHocProblem(query: string): string | undefined {
  if (query === '') return 'Write the query after "kql", e.g. kql MDEMachineActions_CL | take 5';
  if (query.startsWith('.'))
    return `This is read-only: control commands are not allowed ("${clipText(query.split(/\s/)[0] ?? '.', 40)}" starts with a dot). Write a query, e.g. kql MDEMachineActions_CL | take 5`;
  return undefined;
}

/**
 * The query sent to the workspace: the user's query with `take rowLimit + 1` on a line of its own
 * (after a trailing `//` comment too), so that one extra row tells whether more exist.
 */
export function limitedQuery(query: string, rowLimit: number): string {
  return `${query}\n| take ${rowLimit + 1}`;
}

function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  // Do not split a surrogate pair.
  let cut = max - 1;
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${text.slice(0, cut)}…`;
}

function compactJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? '';
  } catch {
    return String(value);
  }
}

/**
 * One cell as text: null and undefined empty, datetimes as ISO 8601 text, dynamic values as
 * compact JSON, numbers and booleans as JavaScript writes them; clipped to `MAX_CELL_CHARS`.
 */
export function cellText(value: unknown, type = 'string'): string {
  let text: string;
  if (value === null || value === undefined) text = '';
  else if (value instanceof Date) text = Number.isNaN(value.getTime()) ? '' : value.toISOString();
  else if (typeof value === 'string') {
    text = value;
    if (type === 'dynamic' && /^\s*[[{]/.test(value)) {
      try {
        text = compactJson(JSON.parse(value));
      } catch {
        // Not JSON after all: shown as it came.
      }
    }
  } else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = String(value);
  else text = compactJson(value);
  return clipText(text, MAX_CELL_CHARS);
}

function plural(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

/** The reply to an ad hoc query: at most `rowLimit` rows; `truncated` when the result had more. */
export function tableReply(query: string, result: KqlRows, rowLimit: number): TableReply {
  const columns = result.columns.map((c) => c.name);
  const truncated = result.rows.length > rowLimit;
  const kept = result.rows.slice(0, rowLimit);
  return {
    kind: 'table',
    title: 'KQL query',
    subtitle: truncated
      ? `first ${plural(rowLimit, 'row')}`
      : kept.length === 0
        ? 'no rows'
        : plural(kept.length, 'row'),
    columns,
    rows: kept.map((row) => result.columns.map((c) => cellText(row[c.name], c.type))),
    truncated,
    query: { kql: query },
  };
}
