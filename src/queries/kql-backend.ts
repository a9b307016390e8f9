import type { ExportRow, KqlRunner, KqlSchema, QueryBackend, QueryResult, QuerySpec } from '../core/query.js';
import { compileKqlQueries } from './kql.js';
import { mapKqlRows } from './rows.js';

/**
 * The QueryBackend over Log Analytics: compiles each spec to KQL for the table schema (`dcr` or
 * `legacy`), runs it through a KqlRunner and maps the rows to the same QueryResult as SQLite.
 *
 * Companion queries run only when needed: a result without rows (a page past the end) has no row
 * to carry the `total` column, so the total query runs then; an action's status history runs after
 * the action was found.
 */
export function createKqlQueryBackend(deps: { runner: KqlRunner; schema: KqlSchema }): QueryBackend {
  const { runner, schema } = deps;

  const run = async (spec: QuerySpec): Promise<QueryResult> => {
    const queries = compileKqlQueries(spec, schema);
    // Every query filters TimeGenerated from the range start (TimeGenerated is never before the
    // creation time), so the API's timespan may start there too.
    const from = spec.range?.from;
    const options = from === undefined ? {} : { from };
    const main = await runner.run(queries.main, options);
    // A result without rows carries no `total` column: ask for the total separately then.
    const totalRows =
      main.rows.length === 0 && queries.total !== undefined
        ? (await runner.run(queries.total, options)).rows
        : undefined;
    switch (spec.shape) {
      case 'list':
        return mapKqlRows('list', main.rows, { offset: spec.offset ?? 0, ...(totalRows ? { totalRows } : {}) });
      case 'one': {
        if (main.rows.length === 0 || queries.history === undefined) return mapKqlRows('one', main.rows);
        const historyRows = (await runner.run(queries.history)).rows;
        return mapKqlRows('one', main.rows, { historyRows });
      }
      default:
        return mapKqlRows(spec.shape, main.rows, totalRows ? { totalRows } : {});
    }
  };

  return {
    name: 'log-analytics',
    run,
    async *rows(spec: QuerySpec): AsyncIterable<ExportRow> {
      if (spec.shape === 'one') throw new Error('An export needs a list, count or isolation query, not one action.');
      const result = await run(spec);
      if ('rows' in result) yield* result.rows;
    },
  };
}
