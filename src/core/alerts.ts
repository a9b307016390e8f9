import type { ActionRow, CountRow, IsolationRow } from './query.js';

/**
 * Models of the proactive cards: the alert that follows one action to completion, the storm
 * summary, the one-off backfill summary, the daily digest and the list of subscriptions. Built by
 * src/alerts and src/digest, rendered by src/cards, posted by src/teams.
 */

/** Why an alert deserves a second look. */
export type AuditFlag =
  /** The requestor made at least `count` alert-worthy actions within `windowMinutes`. */
  | { kind: 'massAction'; count: number; windowMinutes: number }
  /** KNOWN_REQUESTORS is set and the requestor is not on it. */
  | { kind: 'unknownRequestor' }
  /** Requested outside the configured business hours (local time in `timeZone`). */
  | { kind: 'outsideBusinessHours'; localTime: string; timeZone: string }
  /** Offboarding removes a device from Defender: always flagged. */
  | { kind: 'offboard' };

export interface AlertCardModel {
  action: ActionRow;
  flags: AuditFlag[];
  /**
   * Milliseconds from creation to the final status (`lastUpdateDateTimeUtc − creationDateTimeUtc`),
   * once the action is final; null while it runs.
   */
  timeToCompleteMs: number | null;
  /** Chat text that lists every action on this device ("actions for device <name>"). */
  deviceCommand: string;
  /** KQL that shows this action's history. */
  kql: string;
  /** The card was too large for Teams (413): show the essentials only. */
  compact?: boolean;
}

/** Many alert-worthy actions at once for one channel: one card instead of many. */
export interface StormCardModel {
  /** Newest first; the renderer shows as many as fit. */
  actions: ActionRow[];
  byType: CountRow[];
  byRequestor: CountRow[];
  /** Status counts now (the card is updated as the actions complete). */
  byStatus: CountRow[];
  /** Earliest and latest creation time of the actions (ISO UTC). */
  from: string;
  to: string;
  /** Chat text that lists them all. */
  showAllCommand: string;
}

/** The first run read history quietly; this says once what it found. */
export interface BackfillCardModel {
  total: number;
  byType: CountRow[];
  /** Oldest and newest creation time read (ISO UTC). */
  from: string | null;
  to: string | null;
  days: number;
}

export interface DigestModel {
  /** The local date the digest is for (YYYY-MM-DD in `timeZone`). */
  date: string;
  timeZone: string;
  /** The last 24 hours (ISO UTC). */
  window: { from: string; to: string };
  tiles: { total: number; byType: CountRow[]; failed: number; timedOut: number };
  /** Actions per UTC day for the last 14 days, oldest first, zero days included. */
  perDay: CountRow[];
  /** Share by type over the 14 days. */
  shareByType: CountRow[];
  /** The top requestors and devices count this many days back from `now` (7). */
  topDays: number;
  topRequestors: CountRow[];
  topDevices: CountRow[];
  isolated: IsolationRow[];
  /** The oldest actions still Pending or InProgress. */
  oldestPending: ActionRow[];
  /** Last 24 hours against the 24 hours before. */
  trend: { current: number; previous: number };
  /** ISO UTC time the digest was computed (ages are measured from it). */
  now: string;
}

export interface SubscriptionRow {
  conversationId: string;
  /** e.g. "SecOps › Alerts", "Group chat", "Personal chat". */
  name: string;
  alerts: boolean;
  digest: boolean;
  active: boolean;
  /** Why posting stopped (e.g. "MessageWritesBlocked"), when inactive. */
  inactiveReason: string | null;
  since: string;
}
