import { normalizeTimestamp } from '../core/timestamps.js';
import type { ActionPage, DefenderClient, ListQuery } from './client.js';

/** The timestamp field an incremental read is keyed on. */
export type CursorField = 'lastUpdateDateTimeUtc' | 'creationDateTimeUtc';

export interface IncrementalPage extends ActionPage {
  /** 0-based page number within this read. */
  index: number;
  query: ListQuery;
  /** Largest `lastUpdateDateTimeUtc` among the valid actions of the page (normalised), or null. */
  maxLastUpdate: string | null;
}

/**
 * Reads every action whose `field` is at or after `since`, oldest first, one page at a time.
 *
 * Paging is keyset-based on top of `$top`/`$skip`: each request asks for `field ge <key>` where the
 * key is the largest value seen so far, with `$skip` 0. Plain `$skip` paging over a set that changes
 * while we read is unsafe: an action updated mid-read moves to the end of a `lastUpdateDateTimeUtc`
 * ordering, every later item shifts one place left, and the item at the page boundary is skipped for
 * good. With a key, items that move only move past the key, where we read them again. The items at
 * exactly the key are read twice (the store's upsert makes that a no-op). When a whole page shares
 * one value (or has no valid item), `$skip` moves past it.
 *
 * Stops on a short page; `@odata.nextLink` is ignored (unreliable, reference section 4.3).
 * The next page is requested while the caller commits the current one (one page ahead).
 */
export async function* readSince(
  client: DefenderClient,
  options: { field: CursorField; since: string; pageSize: number; signal?: AbortSignal },
): AsyncGenerator<IncrementalPage, void, undefined> {
  const { field, pageSize, signal } = options;
  const start = normalizeTimestamp(options.since);
  if (start === undefined) throw new TypeError(`since is not a timestamp: ${options.since}`);
  let key = start;
  let skip = 0;
  const fetchPage = (query: ListQuery): Promise<ActionPage> => {
    const p = client.listMachineActions(query, signal);
    // A prefetched page may never be awaited (the consumer stopped early); its failure is not news.
    p.catch(() => undefined);
    return p;
  };
  const queryAt = (k: string, s: number): ListQuery => ({
    filter: `${field} ge ${k}`,
    orderBy: `${field} asc`,
    top: pageSize,
    ...(s > 0 ? { skip: s } : {}),
  });
  let query = queryAt(key, skip);
  let pending = fetchPage(query);
  for (let index = 0; ; index++) {
    const page = await pending;
    let maxKey: string | undefined;
    let maxLastUpdate: string | null = null;
    for (const a of page.actions) {
      const k = normalizeTimestamp(a[field]);
      if (k !== undefined && (maxKey === undefined || k > maxKey)) maxKey = k;
      const lu = normalizeTimestamp(a.lastUpdateDateTimeUtc);
      if (lu !== undefined && (maxLastUpdate === null || lu > maxLastUpdate)) maxLastUpdate = lu;
    }
    const full = page.received >= pageSize;
    const thisQuery = query;
    if (full) {
      if (maxKey === undefined || maxKey <= key) {
        skip += page.received;
      } else {
        key = maxKey;
        skip = 0;
      }
      // Ask for the next page before handing this one over, so that the API (or the network)
      // works while the caller commits this page. Commit order is unchanged.
      query = queryAt(key, skip);
      pending = fetchPage(query);
    }
    yield { ...page, index, query: thisQuery, maxLastUpdate };
    if (!full) return;
  }
}
