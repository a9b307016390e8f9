import type { DigestModel } from './alerts.js';
import type { ActionRow, CountRow, IsolationRow, StatusHistoryRow } from './query.js';

/**
 * What a chat command answers, independent of how it is shown. Command handlers return a Reply;
 * the Teams gateway posts it as an Adaptive Card (src/cards), the CLI prints it as text, JSON or
 * CSV. Every result reply carries the KQL of its query ("Show query").
 */

/** The query behind a reply, shown on request so that users can trust and reuse it. */
export interface ShownQuery {
  kql: string;
  /** Azure portal deep link to run it, when the bot runs against a Log Analytics workspace. */
  portalUrl?: string;
}

/** A name shared by more than one machine id (re-imaged or renamed devices). */
export interface SharedName {
  name: string;
  machineIds: string[];
}

export type Reply =
  | {
      kind: 'actions';
      title: string;
      /** e.g. "last 30 days · 12 actions". */
      subtitle: string;
      rows: ActionRow[];
      /** Rows matching in all; `rows` may be fewer (paging, card size). */
      total: number;
      offset: number;
      /** Chat text that shows the next page, when there is one. */
      moreCommand?: string;
      /** When several machine ids carry the searched name, rows are grouped by machine. */
      sharedNames?: SharedName[];
      query: ShownQuery;
    }
  | {
      kind: 'counts';
      title: string;
      subtitle: string;
      /** What the keys are: action types, statuses, requestors, devices or days (YYYY-MM-DD). */
      dimension: 'type' | 'status' | 'requestor' | 'device' | 'day';
      rows: CountRow[];
      total: number;
      /** How many keys match in all (the rows are one page of them, from `offset`). */
      keys?: number;
      offset?: number;
      /** Chat text of the next page, when there is one. */
      moreCommand?: string;
      query: ShownQuery;
    }
  | {
      kind: 'summary';
      title: string;
      subtitle: string;
      byType: CountRow[];
      byStatus: CountRow[];
      total: number;
      query: ShownQuery;
    }
  | {
      kind: 'timeline';
      title: string;
      subtitle: string;
      /** One row per UTC day in the range, zero days included, oldest first. */
      days: CountRow[];
      total: number;
      query: ShownQuery;
    }
  | {
      kind: 'isolated';
      title: string;
      subtitle: string;
      /**
       * One page of isolations, newest first, from `offset`; `total` counts every device isolated or
       * with an isolation requested (status Pending or InProgress, not confirmed yet).
       */
      rows: IsolationRow[];
      total: number;
      /** Rows before this page. */
      offset?: number;
      /** How many of `total` are requested, not yet confirmed. */
      unconfirmed?: number;
      /** Chat text of the next page, when there is one. */
      moreCommand?: string;
      /** ISO time the answer was computed, for "isolated for 3 h". */
      now: string;
      query: ShownQuery;
    }
  | {
      kind: 'action';
      title: string;
      action: ActionRow | null;
      history: StatusHistoryRow[];
      query: ShownQuery;
    }
  | {
      /** The rows of an ad hoc KQL query (`kql <query>`, workspace mode only). */
      kind: 'table';
      title: string;
      /** e.g. "first 20 rows" (more exist) or "3 rows". */
      subtitle: string;
      /** Column names, in the query's order. */
      columns: string[];
      /** One array of cells per row, aligned with `columns`; every cell as text (null as ''), clipped. */
      rows: string[][];
      /** More rows exist than `rows` holds (the query was cut at the row limit). */
      truncated: boolean;
      /** `kql` is the query as the user wrote it (HTML entities decoded), without the row limit. */
      query: ShownQuery;
    }
  | {
      kind: 'status';
      title: string;
      /** Under the title; default "Bot, store and ingest health". */
      subtitle?: string;
      /** Shown when there is no problem; default "✅ No problem found.". */
      okText?: string;
      facts: { label: string; value: string }[];
      /** A problem to highlight (last run failed, ingest stale), or null. */
      problem: string | null;
    }
  | {
      kind: 'help';
      title: string;
      /** Why help is shown: null when asked for; otherwise e.g. 'I did not understand "…"'. */
      message: string | null;
      /** The closest command, when the text looked like one. */
      suggestion: string | null;
      commands: { name: string; usage: string; description: string; example: string }[];
    }
  | {
      /** The daily digest, asked for now (`digest`). */
      kind: 'digest';
      model: DigestModel;
    }
  | {
      kind: 'error';
      title: string;
      message: string;
      /** usage: the command was wrong (CLI exit 2); failed: the query or backend failed (exit 1); limited: rate limit. */
      reason?: 'usage' | 'failed' | 'limited';
      /** A repeated rate-limit refusal in the same window: nothing is sent (the user was told once). */
      silent?: boolean;
    };

export type ReplyKind = Reply['kind'];

/** Display names: app GUID (lower case) → friendly name. */
export type RequestorNames = ReadonlyMap<string, string>;
