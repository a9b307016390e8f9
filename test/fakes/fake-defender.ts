import type { ActionPage, ClientStats, DefenderClient, ListQuery } from '../../src/defender/client.js';
import { validateAction } from '../../src/defender/validate.js';
import { normalizeTimestamp } from '../../src/core/timestamps.js';
import { DefenderApiError } from '../../src/core/errors.js';

/**
 * An in-memory DefenderClient. It understands the queries the ingest sends
 * (`<field> ge <timestamp>`, `<field> asc`, `$top`, `$skip`) and validates items like the real
 * client. Items are raw wire objects, so tests can plant malformed ones.
 */
export class FakeDefenderClient implements DefenderClient {
  /** Wire items (MachineAction objects or deliberately broken ones). */
  items: object[] = [];
  readonly queries: ListQuery[] = [];
  /** Errors thrown by the next calls, in order (then normal service resumes). */
  readonly failures: Error[] = [];
  /** Answer a lastUpdateDateTimeUtc filter with the real OData 400. */
  rejectLastUpdate = false;
  /** Called before each list call is answered (mutate `items` to simulate concurrent changes). */
  beforeList: ((callIndex: number) => void) | undefined;
  private calls = 0;

  constructor(items: readonly object[] = []) {
    // Shared, not copied: tests mutate the objects to simulate status changes.
    this.items = items as object[];
  }

  listMachineActions(query: ListQuery): Promise<ActionPage> {
    this.calls++;
    this.queries.push(query);
    this.beforeList?.(this.queries.length - 1);
    const failure = this.failures.shift();
    if (failure) return Promise.reject(failure);
    if (this.rejectLastUpdate && `${query.filter ?? ''} ${query.orderBy ?? ''}`.includes('lastUpdateDateTimeUtc')) {
      return Promise.reject(
        new DefenderApiError(
          'MDE_BAD_REQUEST',
          "Defender API rejected the request (HTTP 400 error): The query specified in the URI is not valid. Could not find a property named 'lastUpdateDateTimeUtc' on type 'MachineAction'.",
          { status: 400, apiCode: '' },
        ),
      );
    }
    const m = /^(\w+) ge (\S+)$/.exec(query.filter ?? '');
    if (!m) return Promise.reject(new Error(`fake does not understand filter ${query.filter}`));
    const field = m[1] as string;
    const since = normalizeTimestamp(m[2] as string) as string;
    const key = (it: Record<string, unknown>): string | undefined =>
      typeof it[field] === 'string' ? normalizeTimestamp(it[field]) : undefined;
    const selected = (this.items as Record<string, unknown>[])
      .filter((it) => {
        const k = key(it);
        return k !== undefined && k >= since;
      })
      .sort((a, b) => ((key(a) as string) < (key(b) as string) ? -1 : (key(a) as string) > (key(b) as string) ? 1 : 0));
    const pageItems = selected.slice(query.skip ?? 0, (query.skip ?? 0) + query.top);
    const page: ActionPage = { actions: [], invalid: [], received: pageItems.length };
    for (const it of pageItems) {
      const r = validateAction(structuredClone(it));
      if (r.ok) page.actions.push(r.action);
      else page.invalid.push(r.invalid);
    }
    return Promise.resolve(page);
  }

  stats(): ClientStats {
    return { calls: this.calls, retries: 0, throttled: 0, budget: { minute: 100, hour: 1500 } };
  }

  close(): void {}
}
