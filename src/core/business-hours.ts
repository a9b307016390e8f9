/** Local business hours (BUSINESS_HOURS in BUSINESS_TIME_ZONE), parsed once by the configuration. */
export interface BusinessHours {
  /** ISO weekdays 1 (Monday) .. 7 (Sunday) that are business days. */
  days: ReadonlySet<number>;
  /** Minutes after local midnight: start inclusive, end exclusive. */
  startMinute: number;
  endMinute: number;
  timeZone: string;
}

const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/**
 * Parses business hours such as `Mon-Fri 08:00-18:00` (days: a range or a comma list). Returns an
 * error message for anything else.
 */
export function parseBusinessHours(text: string, timeZone: string): BusinessHours | string {
  const m =
    /^\s*([a-z]{3}(?:\s*-\s*[a-z]{3})?(?:\s*,\s*[a-z]{3})*)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/i.exec(
      text,
    );
  if (!m) return `"${text}" is not like "Mon-Fri 08:00-18:00".`;
  const days = new Set<number>();
  for (const part of (m[1] ?? '').toLowerCase().split(',')) {
    const [a, b] = part.split('-').map((x) => DAY_NAMES.indexOf(x.trim()));
    if (a === undefined || a < 0 || (b !== undefined && b < 0)) return `"${part.trim()}" is not a weekday (Mon..Sun).`;
    if (b === undefined) days.add(a + 1);
    else
      for (let d = a; ; d = (d + 1) % 7) {
        days.add(d + 1);
        if (d === b) break;
      }
  }
  const start = Number(m[2]) * 60 + Number(m[3]);
  const end = Number(m[4]) * 60 + Number(m[5]);
  if (start >= end || end > 24 * 60 || Number(m[3]) > 59 || Number(m[5]) > 59)
    return `"${text}": the hours must be a range within one day.`;
  return { days, startMinute: start, endMinute: end, timeZone };
}
