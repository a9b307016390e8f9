import type { ActionRow, CountRow, ExportRow, IsolationRow } from '../core/query.js';
import type { Reply, RequestorNames } from '../core/replies.js';

/**
 * Plain renderings of a Reply for the command line: readable text, JSON rows and CSV rows (for
 * evidence export). List results use the MDE API field names; counts are `{ key, count }`.
 */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function displayRequestor(requestor: string, names: RequestorNames): string {
  if (!GUID.test(requestor)) return requestor;
  const name = names.get(requestor.toLowerCase());
  return name ? `${name} (app ${requestor})` : `app ${requestor}`;
}

/** Column names made unique (`Name`, `Name_2`), so that no cell is lost when rows become objects. */
function uniqueNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.map((name) => {
    let unique = name;
    for (let n = 2; seen.has(unique); n++) unique = `${name}_${n}`;
    seen.add(unique);
    return unique;
  });
}

/** The rows behind a reply, as plain objects (JSON and CSV). */
export function replyRows(reply: Reply): Record<string, unknown>[] {
  switch (reply.kind) {
    case 'actions':
      return reply.rows.map((r) => ({ ...r }));
    case 'counts':
      return reply.rows.map((r) => ({ key: r.key, count: r.count }));
    case 'timeline':
      return reply.days.map((r) => ({ key: r.key, count: r.count }));
    case 'summary':
      return [
        ...reply.byType.map((r) => ({ dimension: 'type', key: r.key, count: r.count })),
        ...reply.byStatus.map((r) => ({ dimension: 'status', key: r.key, count: r.count })),
      ];
    case 'isolated':
      return reply.rows.map((r) => ({ ...r }));
    case 'action':
      return reply.action ? [{ ...reply.action }] : [];
    case 'table': {
      const columns = uniqueNames(reply.columns);
      return reply.rows.map((cells) => Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? ''])));
    }
    case 'status':
      return reply.facts.map((f) => ({ key: f.label, value: f.value }));
    case 'help':
      return reply.commands.map((c) => ({ command: c.usage, description: c.description, example: c.example }));
    case 'digest':
      return reply.model.perDay.map((r) => ({ key: r.key, count: r.count }));
    case 'error':
      return [{ error: reply.message }];
  }
}

export function toJson(reply: Reply): string {
  if (reply.kind === 'error') return `${JSON.stringify({ error: reply.message }, null, 2)}\n`;
  if (reply.kind === 'action')
    return `${JSON.stringify(reply.action ? { ...reply.action, history: reply.history } : null, null, 2)}\n`;
  if (reply.kind === 'digest') return `${JSON.stringify(reply.model, null, 2)}\n`;
  if (reply.kind === 'summary')
    return `${JSON.stringify({ byType: reply.byType, byStatus: reply.byStatus, total: reply.total }, null, 2)}\n`;
  return `${JSON.stringify(replyRows(reply), null, 2)}\n`;
}

/** A plain number (`-5`, `+1.5e3`): text that starts with - or + but is no formula. */
const PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * RFC 4180 CSV; cells that start with = + - @ (other than plain numbers) get a leading quote mark
 * against formula injection. A table reply without rows still has its header line.
 */
export function toCsv(reply: Reply): string {
  const rows = replyRows(reply);
  const columns =
    reply.kind === 'table' ? uniqueNames(reply.columns) : [...new Set(rows.flatMap((r) => Object.keys(r)))];
  if (columns.length === 0) return '';
  return `${[columns.join(','), ...rows.map((r) => csvLine(columns, r))].join('\r\n')}\r\n`;
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'string' ? v : JSON.stringify(v);
  if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string' && !PLAIN_NUMBER.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvLine(columns: readonly string[], row: Record<string, unknown>): string {
  return columns.map((c) => csvCell(row[c])).join(',');
}

/** Characters gathered before one write of an export (fewer, larger writes; bounded memory). */
const EXPORT_CHUNK_CHARS = 64 * 1024;

/**
 * Writes every row of an export as JSON (the same text as toJson gives for the rows) or CSV (as
 * toCsv), in chunks, awaiting each write (backpressure): memory stays bounded however many rows
 * there are. Returns how many rows were written.
 */
export async function writeExport(
  rows: AsyncIterable<ExportRow>,
  format: 'json' | 'csv',
  write: (chunk: string) => Promise<void>,
): Promise<number> {
  let buffer = '';
  let count = 0;
  let columns: string[] | undefined;
  const push = async (text: string): Promise<void> => {
    buffer += text;
    if (buffer.length >= EXPORT_CHUNK_CHARS) {
      const chunk = buffer;
      buffer = '';
      await write(chunk);
    }
  };
  for await (const row of rows) {
    const record = { ...row } as Record<string, unknown>;
    if (format === 'json') {
      await push(`${count === 0 ? '[\n' : ',\n'}${JSON.stringify(record, null, 2).replace(/^/gm, '  ')}`);
    } else {
      if (columns === undefined) {
        columns = Object.keys(record);
        await push(`${columns.join(',')}\r\n`);
      }
      await push(`${csvLine(columns, record)}\r\n`);
    }
    count += 1;
  }
  if (format === 'json') buffer += count === 0 ? '[]\n' : '\n]\n';
  if (buffer !== '') await write(buffer);
  return count;
}

function plural(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function countLines(rows: readonly CountRow[]): string[] {
  const w = Math.max(4, ...rows.map((r) => r.key.length));
  return rows.map((r) => `  ${pad(r.key, w)}  ${r.count.toLocaleString('en-US')}`);
}

function actionLine(r: ActionRow, names: RequestorNames): string {
  const when = r.creationDateTimeUtc.slice(0, 19).replace('T', ' ');
  const what = r.scope ? `${r.type} (${r.scope})` : r.type;
  const comment = r.requestorComment ? `  "${oneLine(r.requestorComment, 80)}"` : '';
  return `  ${when}Z  ${pad(what, 30)} ${pad(r.status, 10)} ${pad(r.computerDnsName ?? r.machineId, 28)} ${displayRequestor(r.requestor, names)}${comment}`;
}

function isolationLine(r: IsolationRow, names: RequestorNames): string {
  return `  ${pad(r.computerDnsName ?? r.machineId, 28)} since ${r.since.slice(0, 19).replace('T', ' ')}Z  ${pad(r.status, 10)} by ${displayRequestor(r.requestor, names)}${r.requestorComment ? `  "${oneLine(r.requestorComment, 80)}"` : ''}`;
}

/** Widest column of the text table, in characters; longer cells end with an ellipsis. */
const TEXT_COLUMN_CHARS = 50;

/** Aligned columns: a header, a rule, one line per row. */
function tableLines(columns: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const header = columns.map((c) => oneLine(c, TEXT_COLUMN_CHARS));
  const body = rows.map((r) => columns.map((_c, i) => oneLine(r[i] ?? '', TEXT_COLUMN_CHARS)));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const lineOf = (cells: readonly string[]): string =>
    `  ${cells.map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i] ?? 0))).join('  ')}`.trimEnd();
  return [lineOf(header), lineOf(widths.map((w) => '-'.repeat(Math.max(1, w)))), ...body.map(lineOf)];
}

function oneLine(s: string, max: number): string {
  const t = s.replace(/\s+/g, ' ');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

export function toText(reply: Reply, names: RequestorNames): string {
  const lines: string[] = [];
  switch (reply.kind) {
    case 'actions': {
      lines.push(reply.title, reply.subtitle);
      for (const s of reply.sharedNames ?? [])
        lines.push(`Note: ${s.name} is the name of ${s.machineIds.length} machines: ${s.machineIds.join(', ')}`);
      if (reply.rows.length === 0) lines.push('  (no actions)');
      const byMachine = reply.sharedNames !== undefined;
      let machine: string | null = null;
      for (const r of reply.rows) {
        if (byMachine && r.machineId !== machine) {
          machine = r.machineId;
          lines.push(` machine ${r.machineId}:`);
        }
        lines.push(actionLine(r, names));
      }
      if (reply.moreCommand) lines.push(`More: "${reply.moreCommand}"`);
      break;
    }
    case 'counts':
      lines.push(
        reply.title,
        reply.subtitle,
        ...(reply.rows.length
          ? countLines(
              reply.dimension === 'requestor'
                ? reply.rows.map((r) => ({ ...r, key: displayRequestor(r.key, names) }))
                : reply.rows,
            )
          : ['  (no actions)']),
      );
      break;
    case 'summary':
      lines.push(
        reply.title,
        reply.subtitle,
        'By type:',
        ...countLines(reply.byType),
        'By status:',
        ...countLines(reply.byStatus),
      );
      break;
    case 'timeline':
      lines.push(reply.title, reply.subtitle, ...countLines(reply.days));
      break;
    case 'isolated':
      lines.push(
        reply.title,
        reply.subtitle,
        ...(reply.rows.length ? reply.rows.map((r) => isolationLine(r, names)) : ['  (no device is isolated)']),
      );
      if (reply.total > reply.rows.length)
        lines.push(`  ... and ${(reply.total - reply.rows.length).toLocaleString('en-US')} more isolated earlier`);
      break;
    case 'action':
      lines.push(reply.title);
      if (reply.action) {
        for (const [k, v] of Object.entries(reply.action))
          lines.push(
            `  ${pad(k, 24)} ${v === null ? '' : k === 'requestor' ? displayRequestor(String(v), names) : String(v)}`,
          );
        lines.push('Status history:', ...reply.history.map((h) => `  ${h.at}  ${h.status}`));
      }
      break;
    case 'table':
      lines.push(reply.title, reply.subtitle);
      if (reply.columns.length === 0 || reply.rows.length === 0) lines.push('  (no rows)');
      else lines.push(...tableLines(reply.columns, reply.rows));
      if (reply.truncated)
        lines.push(
          `  ... more rows exist; showing the first ${plural(reply.rows.length, 'row')}. Narrow the query (where, summarize, take) to see the rest.`,
        );
      break;
    case 'status':
      lines.push(reply.title, ...reply.facts.map((f) => `  ${pad(f.label, 22)} ${f.value}`));
      if (reply.problem) lines.push(`Problem: ${reply.problem}`);
      break;
    case 'help':
      if (reply.message) lines.push(reply.message);
      if (reply.suggestion) lines.push(`Did you mean "${reply.suggestion}"?`);
      lines.push(
        'Commands:',
        ...reply.commands.map((c) => `  ${pad(c.usage, 38)} ${c.description}  e.g. "${c.example}"`),
      );
      lines.push('Periods: 24h, 7d, 30d (default), 90d, 360d, since YYYY-MM-DD.');
      break;
    case 'digest': {
      const m = reply.model;
      const change =
        m.trend.previous === 0
          ? ''
          : ` (${m.trend.current >= m.trend.previous ? '+' : ''}${Math.round(((m.trend.current - m.trend.previous) * 100) / m.trend.previous)} % against the 24 hours before)`;
      lines.push(
        `Daily digest ${m.date} (${m.timeZone})`,
        `Last 24 hours: ${m.tiles.total} actions${change}, ${m.tiles.failed} failed, ${m.tiles.timedOut} timed out`,
      );
      lines.push('By type:', ...countLines(m.tiles.byType), 'Per day (UTC, 14 days):', ...countLines(m.perDay));
      lines.push(
        'Top requestors (7 days):',
        ...countLines(m.topRequestors.map((r) => ({ ...r, key: displayRequestor(r.key, names) }))),
        'Top devices (7 days):',
        ...countLines(m.topDevices),
      );
      lines.push(`Isolated now: ${m.isolated.length}`, ...m.isolated.map((r) => isolationLine(r, names)));
      lines.push(`Oldest pending: ${m.oldestPending.length}`, ...m.oldestPending.map((r) => actionLine(r, names)));
      break;
    }
    case 'error':
      lines.push(`${reply.title}: ${reply.message}`);
      break;
  }
  if ('query' in reply && reply.kind !== 'action') lines.push('', 'Query (KQL):', reply.query.kql);
  return `${lines.join('\n')}\n`;
}
