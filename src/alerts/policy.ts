import type { AuditFlag } from '../core/alerts.js';
import type { BusinessHours } from '../core/business-hours.js';
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

export function alertsFor(action: MachineAction, policy: AlertPolicy): boolean {
  return action.type === 'Offboard' || policy.types.has(action.type);
}

/** Local weekday (1..7) and minutes after midnight of an instant in a time zone. */
export function localTime(ms: number, timeZone: string): { weekday: number; minute: number; text: string } {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
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
  if (policy.knownRequestors !== null && !policy.knownRequestors.has(action.requestor.toLowerCase()))
    flags.push({ kind: 'unknownRequestor' });
  const bh = policy.businessHours;
  if (bh !== null) {
    const t = localTime(Date.parse(action.creationDateTimeUtc.replace(/(\.\d{3})\d*Z$/, '$1Z')), bh.timeZone);
    const inside = bh.days.has(t.weekday) && t.minute >= bh.startMinute && t.minute < bh.endMinute;
    if (!inside) flags.push({ kind: 'outsideBusinessHours', localTime: t.text, timeZone: bh.timeZone });
  }
  if (action.type === 'Offboard') flags.push({ kind: 'offboard' });
  return flags;
}
