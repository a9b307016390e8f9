/**
 * Local calendar dates in an IANA time zone, through Intl (the ICU data of Node). Zones come
 * validated and canonical from the configuration (core/time-zone.ts); nothing here checks them again.
 */

/** The calendar date (YYYY-MM-DD) in `timeZone` at the instant `ms` (epoch milliseconds, UTC). */
export function localDate(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(ms);
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year').padStart(4, '0')}-${part('month')}-${part('day')}`;
}
