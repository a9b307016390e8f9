import type { ExportRow, QueryBackend, QueryResult, QuerySpec } from '../../src/core/query.js';

/** A QueryBackend that records specs and answers from a function (default: empty results). */
export class FakeQueryBackend implements QueryBackend {
  readonly name = 'sqlite' as const;
  readonly specs: QuerySpec[] = [];
  answer: (spec: QuerySpec) => QueryResult = emptyResult;
  fail: Error | undefined;

  run(spec: QuerySpec): Promise<QueryResult> {
    this.specs.push(spec);
    if (this.fail) return Promise.reject(this.fail);
    return Promise.resolve(this.answer(spec));
  }

  /** The rows of `answer(spec)`, one at a time (recorded like `run`). */
  async *rows(spec: QuerySpec): AsyncIterable<ExportRow> {
    this.specs.push(spec);
    if (this.fail) throw this.fail;
    const result = await Promise.resolve(this.answer(spec));
    if ('rows' in result) yield* result.rows;
  }
}

export function emptyResult(spec: QuerySpec): QueryResult {
  switch (spec.shape) {
    case 'list':
      return { shape: 'list', rows: [], total: 0 };
    case 'isolation':
      return { shape: 'isolation', rows: [], total: 0 };
    case 'one':
      return { shape: 'one', row: null, history: [] };
    default:
      return { shape: spec.shape, rows: [], total: 0 };
  }
}
