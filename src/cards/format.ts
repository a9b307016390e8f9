import { normalizeTimestamp } from '../core/timestamps.js';

/**
 * Display formats shared by the card renderers: times in a named IANA zone, ages, requestors,
 * status colours, HRESULTs and Defender portal links. All pure; "now" is always a parameter.
 */

/** Adaptive Card text colours (schema spelling). */
export type TextColor = 'Default' | 'Accent' | 'Good' | 'Warning' | 'Attention';

const STATUS_COLORS: Readonly<Record<string, TextColor>> = {
  Succeeded: 'Good',
  Failed: 'Attention',
  TimeOut: 'Attention',
  Cancelled: 'Warning',
  Pending: 'Accent',
  InProgress: 'Accent',
};

/** Colour of an action status: success good, failure attention, cancelled warning, in flight accent. */
export function statusColor(status: string): TextColor {
  return STATUS_COLORS[status] ?? 'Default';
}

/** Epoch milliseconds of an MDE timestamp or any ISO 8601 instant; undefined when unparsable. */
export function parseInstant(text: string): number | undefined {
  const normalized = normalizeTimestamp(text);
  const ms = Date.parse(normalized === undefined ? text : `${normalized.slice(0, 23)}Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Formats instants in one IANA time zone and names that zone. */
export interface TimeFormatter {
  /** The zone actually used (an invalid zone falls back to `UTC`). */
  readonly timeZone: string;
  /** `Times in Europe/Paris` or `Times in UTC`. */
  readonly zoneNote: string;
  /**
   * `2026-11-29 11:00 UTC+1` (minutes) or `2026-11-29 11:00:05 UTC+1` (seconds): local time in
   * the zone and its UTC offset at that instant. Unparsable input is returned as it is.
   */
  format(timestamp: string, precision?: 'minutes' | 'seconds'): string;
}

function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** A formatter for `timeZone` (IANA name, default `UTC`). */
export function createTimeFormatter(timeZone = 'UTC'): TimeFormatter {
  const zone = isValidTimeZone(timeZone) ? timeZone : 'UTC';
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'shortOffset',
  });
  return {
    timeZone: zone,
    zoneNote: `Times in ${zone}`,
    format(timestamp, precision = 'minutes') {
      const ms = parseInstant(timestamp);
      if (ms === undefined) return timestamp;
      const p: Record<string, string> = {};
      for (const part of parts.formatToParts(ms)) p[part.type] = part.value;
      // shortOffset gives "GMT+0", "GMT+1", "GMT-3:30"; we write UTC, UTC+1, UTC-3:30.
      const offset = (p.timeZoneName ?? 'GMT').replace(/^GMT/, 'UTC').replace(/^UTC[+-]0?0?$/, 'UTC');
      const time = precision === 'seconds' ? `${p.hour}:${p.minute}:${p.second}` : `${p.hour}:${p.minute}`;
      return `${p.year}-${p.month}-${p.day} ${time} ${offset}`;
    },
  };
}

/**
 * Age of `since` at `now` (both ISO instants): `just now`, `5 min`, `3 h`, `2 d`. Hours up to
 * 48 h, days beyond. A `since` in the future (clock skew) counts as just now.
 */
export function formatAge(since: string, now: string): string {
  const from = parseInstant(since);
  const to = parseInstant(now);
  if (from === undefined || to === undefined) return 'unknown';
  const minutes = Math.floor((to - from) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.floor(hours / 24)} d`;
}

/** `3 h ago`, or `just now`. */
export function formatAgo(since: string, now: string): string {
  const age = formatAge(since, now);
  return age === 'just now' || age === 'unknown' ? age : `${age} ago`;
}

const GUID_RE = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;

/** How a requestor is shown. */
export interface RequestorLabel {
  /** Friendly app name, `app <guid>` for an unknown app, or the UPN as it is. */
  short: string;
  /** As `short`, with the app GUID added after a friendly name (detail views). */
  long: string;
  isApp: boolean;
}

/**
 * Requestors are UPNs for users and bare GUIDs for apps (MDE API). Known app GUIDs (keys lower
 * case) get their friendly name.
 */
export function requestorLabel(requestor: string, names: ReadonlyMap<string, string>): RequestorLabel {
  const m = GUID_RE.exec(requestor.trim());
  if (!m) return { short: requestor, long: requestor, isApp: false };
  const guid = (m[1] ?? '').toLowerCase();
  const name = names.get(guid);
  if (name === undefined) return { short: `app ${guid}`, long: `app ${guid} (not in the app name list)`, isApp: true };
  return { short: name, long: `${name} (app ${guid})`, isApp: true };
}

const KNOWN_HRESULTS: Readonly<Record<string, string>> = {
  '0x80190198': 'HTTP_E_STATUS_REQUEST_TIMEOUT',
  '0x80004004': 'E_ABORT',
  '0x80004005': 'E_FAIL',
  '0x80070005': 'E_ACCESSDENIED',
};

/** `errorHResult` (signed 32-bit) as `0x80190198 (HTTP_E_STATUS_REQUEST_TIMEOUT)`; `none` for 0. */
export function formatHResult(value: number): string {
  if (value === 0) return 'none';
  const hex = `0x${(value >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
  const name = KNOWN_HRESULTS[hex];
  return name === undefined ? hex : `${hex} (${name})`;
}

/** The device page in the Microsoft Defender portal. */
export function portalMachineUrl(machineId: string): string {
  // encodeURIComponent leaves ( ) ' ! * alone; ( ) would end a Markdown link early.
  const encoded = encodeURIComponent(machineId).replace(
    /[()'!*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `https://security.microsoft.com/machines/v2/${encoded}`;
}

/** `Isolate (Full)`, or the type alone when there is no scope. */
export function typeWithScope(type: string, scope: string | null): string {
  return scope ? `${type} (${scope})` : type;
}

/** Integer with thousands separators, `1,234`. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** `1 action`, `2 actions`. */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(n)} ${n === 1 ? singular : pluralForm}`;
}

/**
 * What a cut list leaves out, after its "Showing N of M": ` · 28 more devices: press More` (the
 * next page), or with rows of this page that did not fit in the card, where to get them all. Empty
 * when nothing is left.
 */
export function moreText(left: number, noun: string, options: { more: boolean; cut: number }): string {
  if (left <= 0) return '';
  const next =
    options.cut > 0
      ? `; ${formatCount(options.cut)} of this page did not fit (export them all with the CLI's --format csv)`
      : options.more
        ? ': press More'
        : '';
  return ` · ${plural(left, `more ${noun}`)}${next}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `2026-11-29` (a UTC day key) as `29 Nov`; other text unchanged. */
export function shortDay(day: string): string {
  const m = /^\d{4}-(\d{2})-(\d{2})$/.exec(day);
  const month = m ? MONTHS[Number(m[1]) - 1] : undefined;
  return m && month ? `${Number(m[2])} ${month}` : day;
}

/**
 * A duration in milliseconds as people say it, to the second: `less than 1 s`, `42 s`,
 * `4 min 12 s`, `2 h 5 min` (under 48 h), `3 d 4 h`. Zero parts at the end are left out; a
 * negative duration (clock skew) counts as zero.
 */
export function formatElapsed(ms: number): string {
  const seconds = Math.floor(Math.max(0, ms) / 1000);
  if (seconds < 1) return 'less than 1 s';
  const pair = (big: number, bigUnit: string, small: number, smallUnit: string): string =>
    small === 0 ? `${big} ${bigUnit}` : `${big} ${bigUnit} ${small} ${smallUnit}`;
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return pair(minutes, 'min', seconds % 60, 's');
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return pair(hours, 'h', minutes % 60, 'min');
  return pair(Math.floor(hours / 24), 'd', hours % 24, 'h');
}
