import { ConfigError } from '../core/errors.js';
import { canonicalTimeZone } from '../core/time-zone.js';

/**
 * Local calendar dates in an IANA time zone, through Intl (the ICU data of Node). Only names are
 * accepted, never fixed offsets such as `+01:00` (core/time-zone.ts).
 */

/**
 * The canonical name of an IANA time zone (`europe/amsterdam` → `Europe/Amsterdam`, `utc` → `UTC`).
 * Throws ConfigError naming DIGEST_TIMEZONE when Intl does not know the zone.
 */
export function checkTimeZone(timeZone: string): string {
  const canonical = canonicalTimeZone(timeZone);
  if (canonical === undefined) {
    throw new ConfigError([`DIGEST_TIMEZONE "${timeZone}" is not an IANA time zone name such as Europe/Amsterdam or UTC.`]);
  }
  return canonical;
}

/** The calendar date (YYYY-MM-DD) in `timeZone` at the instant `ms` (epoch milliseconds, UTC). */
export function localDate(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(ms);
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year').padStart(4, '0')}-${part('month')}-${part('day')}`;
}
