import { fileURLToPath } from 'node:url';
import { DCR_COLUMNS, type LogAnalyticsType, type TableColumn } from '../src/queries/schema.js';

/**
 * The column list of `MDEMachineActions_CL` for the infrastructure templates (infra/columns.json),
 * generated from DCR_COLUMNS in src/queries/schema.ts so that the table, the data collection rule
 * and the bot never disagree. `npm run infra:columns` writes it; test/infra/infra.test.ts fails when
 * the committed file differs.
 */

/** Where the generated file lives. */
export const COLUMNS_JSON_PATH = fileURLToPath(new URL('../infra/columns.json', import.meta.url));

/** The command that regenerates the file. */
export const COLUMNS_JSON_COMMAND = 'npm run infra:columns';

/**
 * Kusto type → type name of the table management API (`Microsoft.OperationalInsights/workspaces/tables`,
 * ColumnTypeEnum: string, int, long, real, boolean, dateTime, guid, dynamic). Only `datetime` is
 * spelled differently. infra/loganalytics.bicep maps these to the DCR stream types.
 */
const TABLE_API_TYPES: Readonly<Record<LogAnalyticsType, string>> = {
  string: 'string',
  datetime: 'dateTime',
  long: 'long',
  real: 'real',
  guid: 'guid',
  dynamic: 'dynamic',
};

/** One column of infra/columns.json. */
export interface InfraColumn {
  name: string;
  type: string;
}

/** The columns in the table API spelling, in table order. */
export function infraColumns(columns: readonly TableColumn[] = DCR_COLUMNS): InfraColumn[] {
  return columns.map((c) => ({ name: c.name, type: TABLE_API_TYPES[c.type] }));
}

/** The exact text of infra/columns.json: a JSON array, one column per line, trailing newline. */
export function columnsJson(columns: readonly TableColumn[] = DCR_COLUMNS): string {
  const lines = infraColumns(columns).map(
    (c) => `  { "name": ${JSON.stringify(c.name)}, "type": ${JSON.stringify(c.type)} }`,
  );
  return `[\n${lines.join(',\n')}\n]\n`;
}
