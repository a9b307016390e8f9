/**
 * The query layer: QuerySpec → SQL (SQLite store) or KQL (Log Analytics), the SQLite backend, and
 * the row mapper the Log Analytics backend shares. The spec types live in src/core/query.ts.
 */
export { compileSql, type CompiledSql, type SqlParam, type SqlStatement } from './sql.js';
export { compileKql, compileKqlQueries, kqlString, type KqlQueries } from './kql.js';
export { createSqliteQueryBackend } from './sqlite-backend.js';
export { mapKqlRows, wireTimestamp, type KqlRowExtras, type ResultRow } from './rows.js';
export { deviceMatch, checkSpec, type DeviceMatch, type CheckedSpec } from './spec.js';
export {
  DCR_COLUMNS,
  DCR_TABLE,
  LEGACY_COLUMNS,
  LEGACY_TABLE,
  kustoSchemaText,
  toDcrRow,
  type DcrColumnName,
  type DcrRow,
  type LegacyColumn,
  type LegacyColumnName,
  type LogAnalyticsType,
  type TableColumn,
} from './schema.js';
