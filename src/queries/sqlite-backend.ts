import type { Statement } from 'better-sqlite3';
import { AppError, StoreError } from '../core/errors.js';
import type { ExportRow, QueryBackend, QueryResult, QuerySpec } from '../core/query.js';
import type { SqliteAuditStore } from '../store/sqlite-store.js';
import { compileSql, type SqlStatement } from './sql.js';
import { toActionRow, toCountRow, toHistoryRow, toIsolationRow, type ResultRow } from './rows.js';

export { mapKqlRows, type KqlRowExtras, type ResultRow } from './rows.js';

/**
 * Prepared statements kept per backend. The SQL text depends only on the shape and on which
 * filters are present (and how many types/statuses), so the set is small; the bound guards against
 * callers that vary list lengths without end.
 */
const MAX_CACHED_STATEMENTS = 256;

/**
 * The QueryBackend over the SQLite store (read-only use of the store's handle). Runs compileSql and
 * maps rows to QueryResult; timestamps leave in the API's wire form. A store known to be damaged
 * answers nothing: every query rejects with its corruption error (and a query that finds damage
 * latches it for the whole store).
 */
export function createSqliteQueryBackend(
  store: Pick<SqliteAuditStore, 'db' | 'corruption' | 'noteError'>,
): QueryBackend {
  const db = store.db;
  const statements = new Map<string, Statement>();

  const all = (statement: SqlStatement): ResultRow[] => {
    let prepared = statements.get(statement.sql);
    if (prepared === undefined) {
      if (statements.size >= MAX_CACHED_STATEMENTS) statements.clear();
      prepared = db.prepare(statement.sql);
      statements.set(statement.sql, prepared);
    }
    return prepared.all(...statement.params) as ResultRow[];
  };

  const run = (spec: QuerySpec): QueryResult => {
    const compiled = compileSql(spec);
    const rows = all(compiled.main);
    switch (spec.shape) {
      case 'list': {
        const offset = spec.offset ?? 0;
        // A page shorter than asked ends the list, so its total needs no count, unless it is empty
        // past the first page (the offset may lie beyond the end).
        const known = rows.length < (spec.limit ?? Infinity) && (rows.length > 0 || offset === 0);
        const total =
          known || compiled.total === undefined ? offset + rows.length : Number(all(compiled.total)[0]?.total ?? 0);
        return { shape: 'list', rows: rows.map((r) => toActionRow(r, false)), total };
      }
      case 'countByType':
      case 'countByStatus':
      case 'countByRequestor':
      case 'countByDevice':
      case 'countByMachine':
      case 'countByDay':
        return {
          shape: spec.shape,
          rows: rows.map(toCountRow),
          total: Number(rows[0]?.total ?? 0),
          ...(rows[0]?.keys !== undefined ? { keys: Number(rows[0].keys) } : {}),
        };
      case 'isolation': {
        const complete = spec.limit === undefined || rows.length < spec.limit;
        const total =
          complete || compiled.total === undefined ? rows.length : Number(all(compiled.total)[0]?.total ?? 0);
        return { shape: 'isolation', rows: rows.map((r) => toIsolationRow(r, false)), total };
      }
      case 'one': {
        const first = rows[0];
        if (first === undefined) return { shape: 'one', row: null, history: [] };
        const history = compiled.history === undefined ? [] : all(compiled.history).map(toHistoryRow);
        return { shape: 'one', row: toActionRow(first, false), history };
      }
    }
  };

  const rowOf = (shape: QuerySpec['shape']): ((r: ResultRow) => ExportRow) => {
    if (shape === 'list') return (r) => toActionRow(r, false);
    if (shape === 'isolation') return (r) => toIsolationRow(r, false);
    if (shape === 'one') throw new StoreError('An export needs a list, count or isolation query, not one action.');
    return toCountRow;
  };

  return {
    name: 'sqlite',
    async *rows(spec) {
      const corrupt = store.corruption();
      if (corrupt) throw corrupt;
      const map = rowOf(spec.shape);
      const main = compileSql(spec).main;
      try {
        // A cursor over the statement: one row in memory at a time, whatever the store's size. Every
        // 10,000 rows the event loop gets a turn (timers, signals), since the cursor itself is synchronous.
        let n = 0;
        for (const r of db.prepare(main.sql).iterate(...main.params)) {
          yield map(r as ResultRow);
          if (++n % 10_000 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
        }
      } catch (err) {
        store.noteError(err);
        if (err instanceof AppError) throw err;
        throw (
          store.corruption() ??
          new StoreError(`Export of ${spec.shape} failed: ${(err as Error).message}`, { cause: err })
        );
      }
    },
    run(spec) {
      const corrupt = store.corruption();
      if (corrupt) return Promise.reject(corrupt);
      try {
        return Promise.resolve(run(spec));
      } catch (err) {
        store.noteError(err);
        if (err instanceof AppError) return Promise.reject(err);
        return Promise.reject(
          store.corruption() ?? new StoreError(`Query ${spec.shape} failed: ${(err as Error).message}`, { cause: err }),
        );
      }
    },
  };
}
