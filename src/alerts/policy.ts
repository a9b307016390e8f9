import type { AuditFlag } from '../core/alerts.js';
import type { MachineAction } from '../core/types.js';

/**
 * Which new actions alert, and which audit flags they carry. Pure: the caller supplies how many
 * alert-worthy actions the requestor made recently.
 */
export interface AlertPolicy {
  /** Action types that alert when new (ALERT_ACTION_TYPES). Offboard always alerts. */
  types: ReadonlySet<string>;
  /** Mass action: at least `count` alert-worthy actions by one requestor within `windowMinutes`. */
  massAction: { count: number; windowMinutes: number };
  /** Lower-case UPNs and GUIDs; null = no list configured (no flag). */
  knownRequestors: ReadonlySet<string> | null;
  /** Local business hours; null = not configured (no flag). */
  businessHours: BusinessHours | null;
}

export interface BusinessHours {
  /** ISO weekdays 1 (Monday) .. 7 (Sunday) that are business days. */
  days: ReadonlySet<number>;
  /** Minutes after local midnight: start inclusive, end exclusive. */
  startMinute: number;
  endMinute: number;
  timeZone: string;
}

export function alertsFor(action: MachineAction, policy: AlertPolicy): boolean {
  return action.type === 'Offboard' || policy.types.has(action.type);
}

/** Local weekday (1..7) and minutes after midnight of an instant in a time zone. */
export function localTime(ms: number, timeZone: string): { weekday: number; minute: number; text: string } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(ms));
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(get('weekday')) + 1;
  const hour = Number(get('hour'));
  const minute = Number(get('minute'));
  return { weekday, minute: hour * 60 + minute, text: `${get('weekday')} ${get('hour')}:${get('minute')}` };
}

/**
 * The audit flags of a new alert-worthy action. `recentByRequestor` is the number of alert-worthy
 * actions by the same requestor created within the mass-action window up to and including this one.
 */
export function auditFlags(action: MachineAction, policy: AlertPolicy, recentByRequestor: number): AuditFlag[] {
  const flags: AuditFlag[] = [];
  if (recentByRequestor >= policy.massAction.count) {
    flags.push({ kind: 'massAction', count: recentByRequestor, windowMinutes: policy.massAction.windowMinutes });
  }
  if (policy.knownRequestors !== null && !policy.knownRequestors.has(action.requestor.toLowerCase())) flags.push({ kind: 'unknownRequestor' });
  const bh = policy.businessHours;
  if (bh !== null) {
    const t = localTime(Date.parse(action.creationDateTimeUtc.replace(/(\.\d{3})\d*Z$/, '$1Z')), bh.timeZone);
    const inside = bh.days.has(t.weekday) && t.minute >= bh.startMinute && t.minute < bh.endMinute;
    if (!inside) flags.push({ kind: 'outsideBusinessHours', localTime: t.text, timeZone: bh.timeZone });
  }
  if (action.type === 'Offboard') flags.push({ kind: 'offboard' });
  return flags;
}

const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/**
 * Parses business hours such as `Mon-Fri 08:00-18:00` (days: a range or a comma list). Returns an
 * error message for anything else.
 */
export function parseBusinessHours(text: string, timeZone: string): BusinessHours | string {
  const m = /^\s*([a-z]{3}(?:\s*-\s*[a-z]{3})?(?:\s*,\s*[a-z]{3})*)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/i.exec(text);
  if (!m) return `"${text}" is not like "Mon-Fri 08:00-18:00".`;
  const days = new Set<number>();
  for (const part of (m[1] ?? '').toLowerCase().split(',')) {
    const [a, b] = part.split('-').map((x) => DAY_NAMES.indexOf(x.trim()));
    if (a === undefined || a < 0 || (b !== undefined && b < 0)) return `"${part.trim()}" is not a weekday (Mon..Sun).`;
    if (b === undefined) days.add(a + 1);
    else for (let d = a; ; d = (d + 1) % 7) {
      days.add(d + 1);
      if (d === b) break;
    }
  }
  const start = Number(m[2]) * 60 + Number(m[3]);
  const end = Number(m[4]) * 60 + Number(m[5]);
  if (start >= end || end > 24 * 60 || Number(m[3]) > 59 || Number(m[5]) > 59) return `"${text}": the hours must be a range within one day.`;
  return { days, startMinute: start, endMinute: end, timeZone };
}
