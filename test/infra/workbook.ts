/**
 * Reading infra/workbook.json (an Azure Monitor workbook template, "Notebook/1.0") and expanding its
 * parameters the way the workbook does before it sends a query to Log Analytics:
 *
 * - `{TimeRange:start}` / `{TimeRange:end}`: the bounds of the selected range as KQL datetimes
 *   (`datetime(2026-01-01T00:00:00.000Z)`); Microsoft's own templates write
 *   `make-series … from {TimeRange:start} to {TimeRange:end}` and `let endTime = {TimeRange:end};`.
 * - `{TimeRange}` (also `:value`, `:query`): `> ago(30d)` for a relative range, and
 *   `between(datetime("…")..datetime("…"))` for a custom one (as a workbook maintainer describes it in
 *   microsoft/Application-Insights-Workbooks#146). The workbook does not use this form today.
 * - `{TimeRange:grain}`: a timespan such as `1d`.
 * - `{Device}`: the text as typed, unescaped; `{Device:base64}`: its Base64 (documented formatting
 *   option `{param:base64}`), which cannot break out of a string literal.
 */

export interface WorkbookParameter {
  id: string;
  version: string;
  name: string;
  type: number;
  label?: string;
  description?: string;
  isRequired?: boolean;
  value?: unknown;
  typeSettings?: { selectableValues?: { durationMs: number }[]; allowCustom?: boolean };
}

export interface WorkbookItem {
  type: number;
  name: string;
  customWidth?: string;
  content: {
    version?: string;
    json?: string;
    parameters?: WorkbookParameter[];
    style?: string;
    query?: string;
    size?: number;
    title?: string;
    noDataMessage?: string;
    queryType?: number;
    resourceType?: string;
    visualization?: string;
    timeContext?: { durationMs: number };
    timeContextFromParameter?: string;
    tileSettings?: Record<string, { columnMatch?: string } | boolean | undefined>;
    gridSettings?: { formatters?: { columnMatch: string }[]; filter?: boolean };
  };
}

export interface Workbook {
  version: string;
  items: WorkbookItem[];
  $schema?: string;
}

/** A parameter reference as workbooks write it: `{Name}` or `{Name:format}`. */
export const PARAMETER_REFERENCE = /\{([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z0-9_$.]+))?\}/g;

export type TimeRangeForm = 'relative' | 'custom';

export interface Expansion {
  /** Bounds of the time range, ISO 8601 UTC. */
  start: string;
  end: string;
  /** How `{TimeRange}` expands. */
  form: TimeRangeForm;
  device: string;
}

/** The query as the workbook sends it, for the given parameter values. Unknown references are left as they are. */
export function expandWorkbookQuery(query: string, x: Expansion): string {
  return query.replace(PARAMETER_REFERENCE, (whole, name: string, format: string | undefined) => {
    if (name === 'TimeRange') {
      switch (format) {
        case 'start':
          return `datetime(${x.start})`;
        case 'end':
          return `datetime(${x.end})`;
        case 'grain':
          return '1d';
        case undefined:
        case 'value':
        case 'query': {
          const days = Math.round((Date.parse(x.end) - Date.parse(x.start)) / 86_400_000);
          return x.form === 'relative' ? `> ago(${days}d)` : `between(datetime("${x.start}")..datetime("${x.end}"))`;
        }
        default:
          return whole;
      }
    }
    if (name === 'Device') {
      if (format === undefined) return x.device;
      if (format === 'base64') return Buffer.from(x.device, 'utf8').toString('base64');
      return whole;
    }
    return whole;
  });
}
