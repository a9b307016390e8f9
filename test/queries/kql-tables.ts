import type { KqlSchema, QueryShape } from '../../src/core/query.js';
import {
  DCR_COLUMNS,
  DCR_TABLE,
  kustoSchemaText,
  LEGACY_COLUMNS,
  LEGACY_TABLE,
  type TableColumn,
} from '../../src/queries/schema.js';
import type { DeclaredTable } from './kusto.js';

/**
 * Workspaces the KQL must work against, declared from src/queries/schema.ts. The legacy table
 * varies with its history: `_g` columns typed guid (as the Data Collector API creates them) or
 * string, `requestor_g` never created (no app ever requested an action), or only the columns that
 * every copy carries.
 */
export interface Workspace {
  label: string;
  schema: KqlSchema;
  tables: DeclaredTable[];
}

function table(name: string, columns: readonly TableColumn[]): DeclaredTable[] {
  return [{ name, schema: kustoSchemaText(columns) }];
}

export const WORKSPACES: readonly Workspace[] = [
  { label: 'dcr', schema: 'dcr', tables: table(DCR_TABLE, DCR_COLUMNS) },
  { label: 'legacy (all columns, _g as guid)', schema: 'legacy', tables: table(LEGACY_TABLE, LEGACY_COLUMNS) },
  {
    label: 'legacy (_g as string)',
    schema: 'legacy',
    tables: table(
      LEGACY_TABLE,
      LEGACY_COLUMNS.map((c) => (c.type === 'guid' ? { ...c, type: 'string' as const } : c)),
    ),
  },
  {
    label: 'legacy without requestor_g',
    schema: 'legacy',
    tables: table(
      LEGACY_TABLE,
      LEGACY_COLUMNS.filter((c) => c.name !== 'requestor_g'),
    ),
  },
  {
    label: 'legacy without any maybe-absent column',
    schema: 'legacy',
    tables: table(
      LEGACY_TABLE,
      LEGACY_COLUMNS.filter((c) => !c.maybeAbsent),
    ),
  },
];

/** Output columns of an action row, as `name:type`, in ActionRow order. */
export const ACTION_COLUMNS = [
  'id:string',
  'type:string',
  'title:string',
  'scope:string',
  'status:string',
  'machineId:string',
  'computerDnsName:string',
  'requestor:string',
  'requestorComment:string',
  'requestSource:string',
  'creationDateTimeUtc:datetime',
  'lastUpdateDateTimeUtc:datetime',
  'cancellationRequestor:string',
  'cancellationComment:string',
  'cancellationDateTimeUtc:datetime',
  'errorHResult:long',
  'externalId:string',
];

/** The result columns Kusto's analyser reports for each compiled query part (`main`, `total`, `history`). */
export function expectedColumns(shape: QueryShape, part: string): string[] {
  if (part === 'total') return ['total:long'];
  if (part === 'history') return ['status:string', 'at:datetime'];
  switch (shape) {
    case 'list':
      return [...ACTION_COLUMNS, 'total:long'];
    case 'one':
      return ACTION_COLUMNS;
    case 'isolation':
      return [
        'machineId:string',
        'computerDnsName:string',
        'actionId:string',
        'status:string',
        'scope:string',
        'requestor:string',
        'requestorComment:string',
        'since:datetime',
        'total:long',
      ];
    default:
      return ['key:string', 'count:long', 'total:long', 'keys:long'];
  }
}
