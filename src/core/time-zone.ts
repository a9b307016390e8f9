/**
 * IANA time zone names, checked through Intl (the ICU data of Node).
 *
 * Only names are accepted, never fixed offsets such as `+01:00`: a digest at 08:00 must follow
 * daylight saving. Node 24's Intl accepts offset zones (ECMA-402 2024), so they are refused here by
 * shape rather than left to Intl, which would otherwise decide the answer per Node version.
 */

const OFFSET_RE = /^[+\-\u2212]/;

/**
 * The canonical spelling of an IANA time zone name (`europe/amsterdam` → `Europe/Amsterdam`,
 * `utc` → `UTC`), or undefined when it is an offset, empty or unknown to Intl.
 */
export function canonicalTimeZone(name: string): string | undefined {
  if (name.trim() === '' || OFFSET_RE.test(name.trim())) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}
