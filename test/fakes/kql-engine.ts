/**
 * A small KQL (Kusto Query Language) interpreter for tests: it runs the queries the bot sends to
 * Log Analytics (src/queries/kql.ts) over in-memory tables, so tests can check what the queries
 * *return*, not only that they parse. It is not a Kusto implementation; it covers the subset our
 * compiler emits plus simple ad hoc queries, and throws KqlError for anything else.
 *
 * Structure: a tokenizer (text → tokens), a recursive-descent parser (tokens → AST), and an
 * evaluator that type-checks each expression against its input columns (as Kusto's semantic
 * analysis does: a missing column fails even when no row would reach it) and then runs it.
 *
 * Values (see KqlValue):
 * - string: a JS string. Kusto strings are never null: a missing string is ''.
 * - guid: a lower-case JS string, or null.
 * - datetime: a normalised UTC string with exactly 7 fractional digits
 *   (`2026-11-29T10:00:00.1234567Z`), or null. Kusto keeps 100 ns ticks, and so does this
 *   representation; such strings compare correctly as text. Arithmetic converts to bigint ticks.
 * - long, int, real: JS numbers (long is exact up to 2^53), or null.
 * - bool: true/false, or null.
 * - dynamic: a JSON value (null included).
 * - timespan (internal only: expressions such as `7d`, never a result column): bigint ticks.
 */

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

export type KqlType = 'string' | 'datetime' | 'long' | 'int' | 'real' | 'bool' | 'dynamic' | 'guid';

export type KqlJson = null | boolean | number | string | KqlJson[] | { [key: string]: KqlJson };

/** A cell; which JS form it takes depends on the column type (see the file comment). */
export type KqlValue = KqlJson;

export interface KqlColumn {
  name: string;
  type: KqlType;
}

export interface KqlTable {
  columns: KqlColumn[];
  rows: KqlValue[][];
}

/** A query the engine cannot run: a syntax error, or a semantic one (unknown table, column, function; wrong types; unsupported construct). */
export class KqlError extends Error {
  readonly kind: 'syntax' | 'semantic';
  constructor(message: string, kind: 'syntax' | 'semantic') {
    super(message);
    this.name = 'KqlError';
    this.kind = kind;
  }
}

export interface RunKqlOptions {
  /** The instant `now()` and `ago()` are relative to. */
  now: Date;
}

const KQL_TYPES: ReadonlySet<string> = new Set([
  'string',
  'datetime',
  'long',
  'int',
  'real',
  'bool',
  'dynamic',
  'guid',
]);

export function isKqlType(text: string): text is KqlType {
  return KQL_TYPES.has(text);
}

// ---------------------------------------------------------------------------------------------
// Internal value model
// ---------------------------------------------------------------------------------------------

/** Types of expressions: the column types plus timespan, which only lives inside expressions. */
type Type = KqlType | 'timespan';
/** bigint = timespan ticks (100 ns). */
type Value = KqlValue | bigint;
type Row = readonly Value[];

interface Column {
  readonly name: string;
  readonly type: Type;
}

/** A tabular value: columns, rows, and whether the row order is defined (Kusto "serialized"). */
interface Frame {
  readonly columns: readonly Column[];
  readonly rows: readonly Row[];
  /** True after `sort`/`top`/`serialize`; `row_number()` needs it. */
  readonly serialized: boolean;
}

/** The value a column holds when a row has none: '' for strings (never null), null otherwise. */
function emptyOf(type: Type): Value {
  return type === 'string' ? '' : null;
}

function isNumericType(type: Type): boolean {
  return type === 'long' || type === 'int' || type === 'real';
}

// ---------------------------------------------------------------------------------------------
// Datetimes and timespans (100 ns ticks)
// ---------------------------------------------------------------------------------------------

const TICKS_PER_MS = 10_000n;
const TICKS_PER_SECOND = 10_000_000n;
const TICKS_PER_MINUTE = 60n * TICKS_PER_SECOND;
const TICKS_PER_HOUR = 60n * TICKS_PER_MINUTE;
const TICKS_PER_DAY = 24n * TICKS_PER_HOUR;
/** Days from 0001-01-01 (Kusto's tick origin) to 1970-01-01. */
const EPOCH_DAYS = 719_162;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The date of a day count since 1970-01-01 (civil_from_days). */
function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

const MIN_TICKS = 0n; // 0001-01-01T00:00:00Z
const MAX_TICKS = BigInt(daysFromCivil(10000, 1, 1) + EPOCH_DAYS) * TICKS_PER_DAY - 1n; // 9999-12-31T23:59:59.9999999Z

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Ticks since 0001-01-01 of a normalised datetime. */
function datetimeTicks(normalized: string): bigint {
  const days = daysFromCivil(
    Number(normalized.slice(0, 4)),
    Number(normalized.slice(5, 7)),
    Number(normalized.slice(8, 10)),
  );
  const seconds =
    Number(normalized.slice(11, 13)) * 3600 + Number(normalized.slice(14, 16)) * 60 + Number(normalized.slice(17, 19));
  return (
    BigInt(days + EPOCH_DAYS) * TICKS_PER_DAY + BigInt(seconds) * TICKS_PER_SECOND + BigInt(normalized.slice(20, 27))
  );
}

/** The normalised datetime of a tick count, or null outside 0001..9999. */
function ticksDatetime(ticks: bigint): string | null {
  if (ticks < MIN_TICKS || ticks > MAX_TICKS) return null;
  const days = ticks / TICKS_PER_DAY;
  const inDay = ticks % TICKS_PER_DAY;
  const [y, mo, d] = civilFromDays(Number(days) - EPOCH_DAYS);
  const seconds = Number(inDay / TICKS_PER_SECOND);
  const fraction = inDay % TICKS_PER_SECOND;
  const time = `${pad(Math.floor(seconds / 3600), 2)}:${pad(Math.floor(seconds / 60) % 60, 2)}:${pad(seconds % 60, 2)}`;
  return `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${time}.${fraction.toString().padStart(7, '0')}Z`;
}

const DATETIME_TEXT =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses the datetime forms Kusto accepts in `datetime(...)` and `todatetime()`: a date, or a date
 * and time with up to 7 fractional digits (more are truncated), UTC unless an offset is given.
 * Returns the normalised form, or null when the text is not a valid datetime.
 */
export function parseKqlDatetime(text: string): string | null {
  const m = DATETIME_TEXT.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h ?? 0);
  const minute = Number(mi ?? 0);
  const second = Number(s ?? 0);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const days = daysFromCivil(year, month, day);
  const [cy, cm, cd] = civilFromDays(days);
  if (cy !== year || cm !== month || cd !== day) return null; // e.g. 2026-02-30
  let ticks =
    BigInt(days + EPOCH_DAYS) * TICKS_PER_DAY +
    BigInt(hour * 3600 + minute * 60 + second) * TICKS_PER_SECOND +
    BigInt((frac ?? '').slice(0, 7).padEnd(7, '0'));
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1n : 1n;
    const digits = zone.slice(1).replace(':', '');
    const offset = BigInt(Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * TICKS_PER_MINUTE;
    ticks -= sign * offset;
  }
  return ticksDatetime(ticks);
}

/** A JS Date as a normalised datetime (millisecond precision). */
export function dateToKqlDatetime(date: Date): string {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new RangeError('invalid Date');
  const ticks = BigInt(ms) * TICKS_PER_MS + BigInt(EPOCH_DAYS) * TICKS_PER_DAY;
  const text = ticksDatetime(ticks);
  if (text === null) throw new RangeError(`Date out of the datetime range: ${date.toISOString()}`);
  return text;
}

/**
 * A normalised datetime as Log Analytics writes it (JSON results, `tostring()`): trailing
 * fractional zeros trimmed, no fraction at all when it is zero: `2026-11-29T10:00:00Z`,
 * `2026-11-29T10:00:00.5Z`, `2026-11-29T10:00:00.1234567Z`.
 */
export function kqlDatetimeText(normalized: string): string {
  const fraction = normalized.slice(20, 27).replace(/0+$/, '');
  return `${normalized.slice(0, 19)}${fraction === '' ? '' : `.${fraction}`}Z`;
}

/** A normalised datetime moved by a number of 100 ns ticks (negative: earlier); null outside 0001..9999. */
export function shiftKqlDatetime(normalized: string, ticks: bigint): string | null {
  return ticksDatetime(datetimeTicks(normalized) + ticks);
}

/** Ticks of one unit of each timespan suffix. */
const TIMESPAN_UNITS: ReadonlyMap<string, bigint> = new Map([
  ['d', TICKS_PER_DAY],
  ['day', TICKS_PER_DAY],
  ['days', TICKS_PER_DAY],
  ['h', TICKS_PER_HOUR],
  ['hr', TICKS_PER_HOUR],
  ['hrs', TICKS_PER_HOUR],
  ['hour', TICKS_PER_HOUR],
  ['hours', TICKS_PER_HOUR],
  ['m', TICKS_PER_MINUTE],
  ['min', TICKS_PER_MINUTE],
  ['minute', TICKS_PER_MINUTE],
  ['minutes', TICKS_PER_MINUTE],
  ['s', TICKS_PER_SECOND],
  ['sec', TICKS_PER_SECOND],
  ['second', TICKS_PER_SECOND],
  ['seconds', TICKS_PER_SECOND],
  ['ms', TICKS_PER_MS],
  ['milli', TICKS_PER_MS],
  ['millis', TICKS_PER_MS],
  ['millisecond', TICKS_PER_MS],
  ['milliseconds', TICKS_PER_MS],
  ['microsecond', 10n],
  ['microseconds', 10n],
  ['tick', 1n],
  ['ticks', 1n],
]);

/** `1.5` × unit ticks, exactly (decimal digits are scaled as integers, not as floats). */
function scaledTicks(number: string, unit: bigint): bigint {
  const [whole = '0', fraction = ''] = number.split('.');
  const scale = 10n ** BigInt(fraction.length);
  return (BigInt(whole + fraction) * unit) / scale;
}

/** `[-][d.]hh:mm[:ss[.fffffff]]` → ticks, or null. */
function parseClockTimespan(text: string): bigint | null {
  const m = /^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?$/.exec(text);
  if (!m) return null;
  const [, minus, d, h, mi, s, f] = m;
  const ticks =
    BigInt(d ?? 0) * TICKS_PER_DAY +
    BigInt(h ?? 0) * TICKS_PER_HOUR +
    BigInt(mi ?? 0) * TICKS_PER_MINUTE +
    BigInt(s ?? 0) * TICKS_PER_SECOND +
    BigInt((f ?? '').padEnd(7, '0'));
  return minus === undefined ? ticks : -ticks;
}

/** A timespan as `tostring()` writes it: `[-][d.]hh:mm:ss[.fffffff]`. */
function timespanText(ticks: bigint): string {
  const negative = ticks < 0n;
  const t = negative ? -ticks : ticks;
  const days = t / TICKS_PER_DAY;
  const rest = t % TICKS_PER_DAY;
  const h = rest / TICKS_PER_HOUR;
  const mi = (rest % TICKS_PER_HOUR) / TICKS_PER_MINUTE;
  const s = (rest % TICKS_PER_MINUTE) / TICKS_PER_SECOND;
  const f = rest % TICKS_PER_SECOND;
  const clock = `${h.toString().padStart(2, '0')}:${mi.toString().padStart(2, '0')}:${s.toString().padStart(2, '0')}`;
  return `${negative ? '-' : ''}${days > 0n ? `${days.toString()}.` : ''}${clock}${f > 0n ? `.${f.toString().padStart(7, '0')}` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Conversions (external values → cells; cells → text/number)
// ---------------------------------------------------------------------------------------------

const GUID_TEXT = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** A GUID in Kusto's canonical form (lower case, dashes), or null when the text is not one. */
function parseGuid(text: string): string | null {
  const t = text.trim();
  if (!GUID_TEXT.test(t)) return null;
  const hex = t.replace(/-/g, '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function toJson(value: unknown): KqlJson {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    const out: { [key: string]: KqlJson } = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  return null;
}

/**
 * Converts an external value (JSON as sent to the Logs Ingestion API, a JS Date, ...) to the cell
 * of a column of `type`, as Log Analytics stores it: strings never null ('' instead), GUIDs lower
 * case, datetimes normalised to 100 ns, numbers that do not fit the type become null.
 */
export function kqlValue(type: KqlType, value: unknown): KqlValue {
  switch (type) {
    case 'string':
      if (value === null || value === undefined) return '';
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
      return JSON.stringify(toJson(value));
    case 'guid':
      return typeof value === 'string' ? parseGuid(value) : null;
    case 'datetime':
      if (typeof value === 'string') return parseKqlDatetime(value);
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : dateToKqlDatetime(value);
      return null;
    case 'long':
    case 'int': {
      let n: number | null = null;
      if (typeof value === 'number') n = value;
      else if (typeof value === 'bigint') n = Number(value);
      else if (typeof value === 'boolean') n = value ? 1 : 0;
      else if (typeof value === 'string' && /^\s*[+-]?\d+(\.\d*)?\s*$/.test(value)) n = Number(value);
      if (n === null || !Number.isFinite(n)) return null;
      n = Math.trunc(n);
      if (type === 'int' && (n < -2147483648 || n > 2147483647)) return null;
      return n;
    }
    case 'real':
      if (typeof value === 'number') return value;
      if (typeof value === 'bigint') return Number(value);
      if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
      return null;
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'number') return value !== 0;
      if (typeof value === 'string' && /^(true|false)$/i.test(value.trim()))
        return value.trim().toLowerCase() === 'true';
      return null;
    case 'dynamic':
      return toJson(value);
  }
}

/** Kusto's real formatting: JS number text, with NaN and infinities spelled out. */
function realText(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  return String(n);
}

/** `tostring()`: null → '' (so tostring(null) is ''), datetimes in wire form, dynamic as JSON text (a dynamic string as itself). */
function toText(value: Value, type: Type): string {
  if (value === null) return '';
  if (typeof value === 'bigint') return timespanText(value);
  switch (type) {
    case 'datetime':
      return kqlDatetimeText(value as string);
    case 'real':
      return realText(value as number);
    case 'dynamic':
      return typeof value === 'string' ? value : JSON.stringify(value);
    default:
      return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

/** `todatetime()`: datetimes as they are; strings (also inside dynamic) parsed; anything else null. */
function toDatetime(value: Value, type: Type): Value {
  if (value === null) return null;
  if (type === 'datetime') return value;
  if (typeof value === 'string' && (type === 'string' || type === 'dynamic')) return parseKqlDatetime(value);
  return null;
}

/** `tolong()`/`toint()`/`toreal()`: numbers converted (reals truncated toward zero for long/int); numeric strings parsed; else null. */
function toNumber(value: Value, type: Type, target: 'long' | 'int' | 'real'): Value {
  if (value === null || typeof value === 'bigint') return value === null ? null : Number(value);
  if (type === 'string' || type === 'dynamic' || type === 'bool' || isNumericType(type)) {
    return kqlValue(target, value);
  }
  return null;
}

function toBool(value: Value, type: Type): Value {
  if (value === null) return null;
  if (type === 'bool' || type === 'string' || type === 'dynamic' || isNumericType(type)) return kqlValue('bool', value);
  return null;
}

// ---------------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------------

/** How two types compare, or null when Kusto would reject comparing them. */
type CompareClass = 'string' | 'guid' | 'number' | 'datetime' | 'bool' | 'timespan' | 'dynamic';

function compareClass(a: Type, b: Type): CompareClass | null {
  if (a === 'dynamic' || b === 'dynamic') return 'dynamic';
  if (a === 'guid' || b === 'guid')
    return (a === 'guid' || a === 'string') && (b === 'guid' || b === 'string') ? 'guid' : null;
  if (a === 'string' && b === 'string') return 'string';
  if (isNumericType(a) && isNumericType(b)) return 'number';
  if (a === b) return a === 'datetime' ? 'datetime' : a === 'bool' ? 'bool' : a === 'timespan' ? 'timespan' : null;
  return null;
}

/** Ordinal comparison of two non-null values of one class (strings by UTF-16 code unit, like Kusto's default string order). */
function compareNonNull(cls: CompareClass, a: Value, b: Value): number {
  switch (cls) {
    case 'number': {
      const x = a as number;
      const y = b as number;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'bool':
      return Number(a) - Number(b);
    case 'timespan': {
      const x = a as bigint;
      const y = b as bigint;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'guid': {
      const x = (a as string).toLowerCase();
      const y = (b as string).toLowerCase();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'dynamic': {
      if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
      const x = typeof a === 'string' ? a : JSON.stringify(a);
      const y = typeof b === 'string' ? b : JSON.stringify(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    default: {
      const x = a as string;
      const y = b as string;
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
}

/** Equality for `==`, `in`, join keys and grouping: exact for strings, numeric for numbers; null equals nothing. */
function equalValues(cls: CompareClass, a: Value, b: Value): boolean {
  if (a === null || b === null) return false;
  if (cls === 'dynamic') {
    if (typeof a === 'object' || typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
    return a === b;
  }
  return compareNonNull(cls, a, b) === 0;
}

/** A value as a Map key for grouping, distinct, join and in-lists (null and '' stay distinct). */
function valueKey(value: Value): string {
  if (value === null) return 'n';
  if (typeof value === 'bigint') return `t${value.toString()}`;
  if (typeof value === 'string') return `s${value}`;
  if (typeof value === 'object') return `j${JSON.stringify(value)}`;
  return `${typeof value}${String(value)}`;
}

function rowKey(values: readonly Value[]): string {
  return values.length === 1 ? valueKey(values[0] ?? null) : JSON.stringify(values.map(valueKey));
}

// ---------------------------------------------------------------------------------------------
// Tokenizer
// ---------------------------------------------------------------------------------------------

type Token =
  | { kind: 'ident'; pos: number; text: string; /** `['x']` or `["x"]`: never a keyword. */ quoted: boolean }
  | { kind: 'string'; pos: number; value: string }
  | { kind: 'number'; pos: number; text: string; real: boolean }
  | { kind: 'timespan'; pos: number; ticks: bigint }
  | { kind: 'typed'; pos: number; type: string; raw: string }
  | { kind: 'op'; pos: number; text: string }
  | { kind: 'eof'; pos: number };

/** `name(...)` forms that are literals of a type, whose parenthesised text is not tokenised. */
const TYPED_LITERALS: ReadonlySet<string> = new Set([
  'datetime',
  'date',
  'timespan',
  'time',
  'real',
  'double',
  'long',
  'int',
  'bool',
  'boolean',
  'guid',
  'dynamic',
]);

const OPERATORS = [
  '==',
  '!=',
  '<>',
  '=~',
  '!~',
  '<=',
  '>=',
  '=',
  '<',
  '>',
  '|',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  ';',
  '+',
  '-',
  '*',
  '/',
  '%',
  '.',
  ':',
];

/** 1-based line and column of an offset, for messages. */
function where(text: string, pos: number): string {
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

function syntaxError(text: string, pos: number, message: string): KqlError {
  return new KqlError(`Syntax error at ${where(text, pos)}: ${message}`, 'syntax');
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', "'": "'", '"': '"', n: '\n', r: '\r', t: '\t' };

/**
 * Splits a query into tokens. String literals: `'…'` and `"…"` with the backslash escapes `\\`,
 * `\'`, `\"`, `\n`, `\r`, `\t`, `\uXXXX` (a raw line break inside is an error); verbatim `@'…'`
 * (quote doubled, backslash literal); the `h` prefix (obfuscated literal) is accepted and ignored;
 * ```` ```…``` ```` multi-line literals. `//` starts a comment.
 */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const isIdentStart = (c: string) => /[A-Za-z_$]/.test(c);
  const isIdentPart = (c: string) => /[A-Za-z0-9_]/.test(c);

  const readQuoted = (start: number, verbatim: boolean): [string, number] => {
    const quote = text.charAt(start);
    let value = '';
    let j = start + 1;
    for (;;) {
      if (j >= text.length) throw syntaxError(text, start, 'unterminated string literal');
      const c = text.charAt(j);
      if (c === '\n' || c === '\r')
        throw syntaxError(text, j, 'a string literal cannot contain a raw line break (escape it as \\n or \\r)');
      if (verbatim) {
        if (c === quote) {
          if (text.charAt(j + 1) === quote) {
            value += quote;
            j += 2;
            continue;
          }
          return [value, j + 1];
        }
        value += c;
        j++;
        continue;
      }
      if (c === quote) return [value, j + 1];
      if (c === '\\') {
        const e = text.charAt(j + 1);
        const simple = SIMPLE_ESCAPES[e];
        if (simple !== undefined) {
          value += simple;
          j += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(j + 2, j + 6))) {
          value += String.fromCharCode(parseInt(text.slice(j + 2, j + 6), 16));
          j += 6;
        } else {
          throw syntaxError(text, j, `unknown escape sequence \\${e}`);
        }
        continue;
      }
      value += c;
      j++;
    }
  };

  while (i < text.length) {
    const c = text.charAt(i);
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (text.startsWith('//', i)) {
      while (i < text.length && text.charAt(i) !== '\n') i++;
      continue;
    }
    const start = i;
    if (text.startsWith('```', i)) {
      const end = text.indexOf('```', i + 3);
      if (end === -1) throw syntaxError(text, i, 'unterminated multi-line string literal');
      tokens.push({ kind: 'string', pos: start, value: text.slice(i + 3, end) });
      i = end + 3;
      continue;
    }
    if (c === "'" || c === '"') {
      const [value, next] = readQuoted(i, false);
      tokens.push({ kind: 'string', pos: start, value });
      i = next;
      continue;
    }
    if ((c === '@' || c === 'h' || c === 'H') && (text.charAt(i + 1) === "'" || text.charAt(i + 1) === '"')) {
      const [value, next] = readQuoted(i + 1, c === '@');
      tokens.push({ kind: 'string', pos: start, value });
      i = next;
      continue;
    }
    if (
      (c === 'h' || c === 'H') &&
      text.charAt(i + 1) === '@' &&
      (text.charAt(i + 2) === "'" || text.charAt(i + 2) === '"')
    ) {
      const [value, next] = readQuoted(i + 2, true);
      tokens.push({ kind: 'string', pos: start, value });
      i = next;
      continue;
    }
    if (c === '[') {
      // `['name']` / `["name"]`: a bracketed identifier (any text, including keywords).
      const m = /^\[\s*(['"])/.exec(text.slice(i, i + 20));
      if (m) {
        const quoteAt = i + m[0].length - 1;
        const [value, next] = readQuoted(quoteAt, false);
        const close = /^\s*\]/.exec(text.slice(next));
        if (!close) throw syntaxError(text, next, "expected ']' after a bracketed name");
        tokens.push({ kind: 'ident', pos: start, text: value, quoted: true });
        i = next + close[0].length;
        continue;
      }
    }
    if (/[0-9]/.test(c)) {
      const m = /^(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)([A-Za-z_]*)/.exec(text.slice(i));
      const number = m?.[1] ?? c;
      const suffix = m?.[2] ?? '';
      if (suffix === '') {
        tokens.push({ kind: 'number', pos: start, text: number, real: /[.eE]/.test(number) });
      } else {
        const unit = TIMESPAN_UNITS.get(suffix);
        if (unit === undefined || /[eE]/.test(number))
          throw syntaxError(
            text,
            i,
            `unexpected '${number}${suffix}' (timespan units are d, h, m, s, ms, microsecond, tick)`,
          );
        tokens.push({ kind: 'timespan', pos: start, ticks: scaledTicks(number, unit) });
      }
      i += number.length + suffix.length;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < text.length && isIdentPart(text.charAt(j))) j++;
      let word = text.slice(i, j);
      // Hyphenated operator names: project-away, project-rename, project-keep, project-reorder.
      if (word === 'project') {
        const m = /^-(away|rename|keep|reorder)\b/.exec(text.slice(j));
        if (m) {
          word += m[0];
          j += m[0].length;
        }
      }
      // `in~`: case-insensitive in.
      if (word === 'in' && text.charAt(j) === '~') {
        word = 'in~';
        j++;
      }
      if (TYPED_LITERALS.has(word)) {
        const open = /^\s*\(/.exec(text.slice(j));
        if (open) {
          // The literal's text up to the matching parenthesis (nested brackets and quotes skipped).
          let k = j + open[0].length;
          let depth = 1;
          while (k < text.length && depth > 0) {
            const ch = text.charAt(k);
            if (ch === '(' || ch === '[' || ch === '{') depth++;
            else if (ch === ')' || ch === ']' || ch === '}') depth--;
            else if (ch === '"' || ch === "'") {
              k = readQuoted(k, false)[1];
              continue;
            }
            k++;
          }
          if (depth > 0) throw syntaxError(text, i, `unterminated ${word}(...) literal`);
          tokens.push({ kind: 'typed', pos: start, type: word, raw: text.slice(j + open[0].length, k - 1).trim() });
          i = k;
          continue;
        }
      }
      tokens.push({ kind: 'ident', pos: start, text: word, quoted: false });
      i = j;
      continue;
    }
    if (c === '!' && isIdentStart(text.charAt(i + 1))) {
      // Negated string and set operators: !in, !in~, !has, !contains, !startswith, ...
      let j = i + 1;
      while (j < text.length && isIdentPart(text.charAt(j))) j++;
      let word = text.slice(i, j);
      if (text.charAt(j) === '~') {
        word += '~';
        j++;
      }
      tokens.push({ kind: 'op', pos: start, text: word });
      i = j;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op === undefined) throw syntaxError(text, i, `unexpected character '${c}'`);
    tokens.push({ kind: 'op', pos: start, text: op });
    i += op.length;
  }
  tokens.push({ kind: 'eof', pos: text.length });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// AST
// ---------------------------------------------------------------------------------------------

type Expr =
  | { kind: 'literal'; pos: number; type: Type; value: Value }
  | { kind: 'name'; pos: number; name: string }
  | { kind: 'call'; pos: number; name: string; args: Expr[] }
  /** `*` as an argument of arg_max/arg_min: all other columns. */
  | { kind: 'star'; pos: number }
  | { kind: 'unary'; pos: number; op: '-' | '+'; operand: Expr }
  | { kind: 'binary'; pos: number; op: string; left: Expr; right: Expr }
  | {
      kind: 'in';
      pos: number;
      negated: boolean;
      caseInsensitive: boolean;
      left: Expr;
      values: Expr[];
      tabular: Tabular | null;
    }
  | { kind: 'toscalar'; pos: number; query: Tabular };

/** `name = expr` or a bare expression (named after its column, or Column1, ...). */
interface NamedExpr {
  name: string | null;
  expr: Expr;
}

interface SortKey {
  expr: Expr;
  descending: boolean;
  nullsFirst: boolean;
}

interface NameRef {
  name: string;
  pos: number;
}

type Operator =
  | { kind: 'where'; pos: number; predicate: Expr }
  | { kind: 'project'; pos: number; items: NamedExpr[] }
  | { kind: 'project-away'; pos: number; names: NameRef[] }
  | { kind: 'project-rename'; pos: number; renames: { to: string; from: NameRef }[] }
  | { kind: 'extend'; pos: number; items: NamedExpr[] }
  | { kind: 'summarize'; pos: number; aggregates: NamedExpr[]; by: NamedExpr[] }
  | { kind: 'count'; pos: number }
  | { kind: 'sort'; pos: number; keys: SortKey[] }
  | { kind: 'take'; pos: number; count: Expr }
  | { kind: 'top'; pos: number; count: Expr; key: SortKey }
  | { kind: 'distinct'; pos: number; items: NamedExpr[] | null }
  | { kind: 'join'; pos: number; joinKind: string; right: Tabular; on: NameRef[] }
  | { kind: 'serialize'; pos: number; items: NamedExpr[] };

type Source =
  | { kind: 'ref'; pos: number; name: string }
  | { kind: 'materialize'; pos: number; query: Tabular }
  | { kind: 'nested'; pos: number; query: Tabular }
  | { kind: 'print'; pos: number; items: NamedExpr[] };

interface Tabular {
  pos: number;
  source: Source;
  operators: Operator[];
}

type Statement =
  | { kind: 'let'; pos: number; name: string; value: { tabular: Tabular } | { scalar: Expr } }
  | { kind: 'query'; pos: number; query: Tabular };

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

/** Binary operators written as words (and their `!` negations as op tokens). */
const STRING_OPERATORS: ReadonlySet<string> = new Set([
  'contains',
  'contains_cs',
  'has',
  'has_cs',
  'startswith',
  'startswith_cs',
  'endswith',
  'endswith_cs',
]);
const COMPARISON_OPERATORS: ReadonlySet<string> = new Set(['==', '!=', '<>', '=~', '!~', '<', '<=', '>', '>=']);

/**
 * Recursive descent over the tokens. `tabularNames` holds the tables and tabular `let` names seen
 * so far: Kusto tells `let x = T;` (tabular) from `let x = y;` (scalar) by what the name denotes.
 */
class Parser {
  private i = 0;

  constructor(
    private readonly text: string,
    private readonly tokens: readonly Token[],
    private readonly tabularNames: Set<string>,
  ) {}

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.i + ahead, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }

  private isOp(text: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'op' && t.text === text;
  }

  /** An unquoted identifier with this text (keywords are never bracketed). */
  private isWord(text: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'ident' && !t.quoted && t.text === text;
  }

  private error(token: Token, message: string): KqlError {
    return syntaxError(this.text, token.pos, message);
  }

  private describe(token: Token): string {
    switch (token.kind) {
      case 'eof':
        return 'the end of the query';
      case 'ident':
        return `'${token.text}'`;
      case 'op':
        return `'${token.text}'`;
      case 'string':
        return 'a string literal';
      default:
        return 'a literal';
    }
  }

  private expectOp(text: string): Token {
    if (!this.isOp(text)) throw this.error(this.peek(), `expected '${text}' but found ${this.describe(this.peek())}`);
    return this.next();
  }

  private expectWord(text: string): Token {
    if (!this.isWord(text)) throw this.error(this.peek(), `expected '${text}' but found ${this.describe(this.peek())}`);
    return this.next();
  }

  private expectName(): NameRef {
    const t = this.peek();
    if (t.kind !== 'ident') throw this.error(t, `expected a name but found ${this.describe(t)}`);
    this.next();
    return { name: t.text, pos: t.pos };
  }

  /** The whole query: `let` statements, then one tabular expression; `;` separates statements. */
  parseScript(): Statement[] {
    const statements: Statement[] = [];
    let query: Tabular | null = null;
    for (;;) {
      while (this.isOp(';')) this.next();
      const t = this.peek();
      if (t.kind === 'eof') break;
      if (query !== null) throw this.error(t, 'only one tabular expression is supported after the let statements');
      if (this.isWord('let')) {
        statements.push(this.parseLet());
        if (!this.isOp(';'))
          throw this.error(this.peek(), `expected ';' after the let statement but found ${this.describe(this.peek())}`);
        continue;
      }
      if (this.isWord('set') || this.isWord('declare') || this.isWord('alias'))
        throw this.error(t, `unsupported statement '${(t as { text: string }).text}'`);
      query = this.parseTabular();
      statements.push({ kind: 'query', pos: t.pos, query });
    }
    if (query === null) throw this.error(this.peek(), 'the query has no tabular expression (only let statements)');
    return statements;
  }

  private parseLet(): Statement {
    const start = this.expectWord('let');
    const name = this.expectName();
    this.expectOp('=');
    const t = this.peek();
    if (
      this.isOp('(') &&
      (this.peek(1).kind === 'ident' || this.isOp(')', 1)) &&
      (this.isOp(':', 2) || this.isOp(')', 1))
    ) {
      throw this.error(t, 'user-defined functions are not supported');
    }
    if (this.startsTabular()) {
      const query = this.parseTabular();
      this.tabularNames.add(name.name);
      return { kind: 'let', pos: start.pos, name: name.name, value: { tabular: query } };
    }
    const scalar = this.parseExpr();
    this.tabularNames.delete(name.name); // a scalar let shadows a table of the same name
    return { kind: 'let', pos: start.pos, name: name.name, value: { scalar } };
  }

  /** True when the next tokens start a tabular expression (a table or tabular let, materialize, print). */
  private startsTabular(): boolean {
    const t = this.peek();
    if (t.kind !== 'ident') return false;
    if (!t.quoted && t.text === 'materialize' && this.isOp('(', 1)) return true;
    if (!t.quoted && t.text === 'print') return true;
    if (this.isOp('(', 1)) return false; // a function call
    return this.tabularNames.has(t.text) || this.isOp('|', 1);
  }

  parseTabular(): Tabular {
    const start = this.peek();
    const source = this.parseSource();
    const operators: Operator[] = [];
    while (this.isOp('|')) {
      this.next();
      operators.push(this.parseOperator());
    }
    return { pos: start.pos, source, operators };
  }

  private parseSource(): Source {
    const t = this.peek();
    if (this.isWord('materialize') && this.isOp('(', 1)) {
      this.next();
      this.next();
      const query = this.parseTabular();
      this.expectOp(')');
      return { kind: 'materialize', pos: t.pos, query };
    }
    if (this.isWord('print')) {
      this.next();
      return { kind: 'print', pos: t.pos, items: this.parseNamedList() };
    }
    if (this.isOp('(')) {
      this.next();
      const query = this.parseTabular();
      this.expectOp(')');
      return { kind: 'nested', pos: t.pos, query };
    }
    if (t.kind === 'ident') {
      this.next();
      return { kind: 'ref', pos: t.pos, name: t.text };
    }
    throw this.error(t, `expected a table name but found ${this.describe(t)}`);
  }

  private parseOperator(): Operator {
    const t = this.next();
    if (t.kind !== 'ident' || t.quoted)
      throw this.error(t, `expected a query operator after '|' but found ${this.describe(t)}`);
    const pos = t.pos;
    switch (t.text) {
      case 'where':
      case 'filter':
        return { kind: 'where', pos, predicate: this.parseExpr() };
      case 'project':
        return { kind: 'project', pos, items: this.parseNamedList() };
      case 'project-away':
        return { kind: 'project-away', pos, names: this.parseNameList() };
      case 'project-rename': {
        const renames: { to: string; from: NameRef }[] = [];
        do {
          const to = this.expectName();
          this.expectOp('=');
          renames.push({ to: to.name, from: this.expectName() });
        } while (this.isOp(',') && this.next());
        return { kind: 'project-rename', pos, renames };
      }
      case 'extend':
        return { kind: 'extend', pos, items: this.parseNamedList() };
      case 'summarize': {
        const aggregates = this.isWord('by') ? [] : this.parseNamedList();
        let by: NamedExpr[] = [];
        if (this.isWord('by')) {
          this.next();
          by = this.parseNamedList();
        }
        return { kind: 'summarize', pos, aggregates, by };
      }
      case 'count':
        return { kind: 'count', pos };
      case 'sort':
      case 'order': {
        this.expectWord('by');
        const keys: SortKey[] = [this.parseSortKey()];
        while (this.isOp(',')) {
          this.next();
          keys.push(this.parseSortKey());
        }
        return { kind: 'sort', pos, keys };
      }
      case 'take':
      case 'limit':
        return { kind: 'take', pos, count: this.parseExpr() };
      case 'top': {
        const count = this.parseExpr();
        this.expectWord('by');
        return { kind: 'top', pos, count, key: this.parseSortKey() };
      }
      case 'distinct':
        if (this.isOp('*')) {
          this.next();
          return { kind: 'distinct', pos, items: null };
        }
        return { kind: 'distinct', pos, items: this.parseNamedList() };
      case 'join':
        return this.parseJoin(pos);
      case 'serialize':
        return { kind: 'serialize', pos, items: this.startsExpression() ? this.parseNamedList() : [] };
      default:
        throw this.error(t, `unsupported query operator '${t.text}'`);
    }
  }

  private startsExpression(): boolean {
    const t = this.peek();
    return !(t.kind === 'eof' || (t.kind === 'op' && (t.text === '|' || t.text === ')' || t.text === ';')));
  }

  private parseJoin(pos: number): Operator {
    let joinKind = 'innerunique'; // Kusto's default
    while (this.peek().kind === 'ident' && this.isOp('=', 1) && !this.isWord('on')) {
      const param = this.next() as { text: string; pos: number };
      this.next();
      const value = this.expectName();
      if (param.text === 'kind') joinKind = value.name;
      else if (!param.text.startsWith('hint'))
        throw syntaxError(this.text, param.pos, `unsupported join parameter '${param.text}'`);
    }
    let right: Tabular;
    if (this.isOp('(')) {
      this.next();
      right = this.parseTabular();
      this.expectOp(')');
    } else {
      const name = this.expectName();
      right = { pos: name.pos, source: { kind: 'ref', pos: name.pos, name: name.name }, operators: [] };
    }
    this.expectWord('on');
    const on = this.parseNameList();
    if (this.isOp('==') || this.isOp('.'))
      throw this.error(this.peek(), 'join conditions with $left/$right are not supported (use `on column`)');
    return { kind: 'join', pos, joinKind, right, on };
  }

  private parseNameList(): NameRef[] {
    const names = [this.expectName()];
    while (this.isOp(',')) {
      this.next();
      names.push(this.expectName());
    }
    return names;
  }

  private parseSortKey(): SortKey {
    const expr = this.parseExpr();
    let descending = true; // Kusto sorts descending unless told otherwise
    if (this.isWord('asc')) {
      this.next();
      descending = false;
    } else if (this.isWord('desc')) {
      this.next();
    }
    // Default null order: last when descending, first when ascending.
    let nullsFirst = !descending;
    if (this.isWord('nulls')) {
      this.next();
      if (this.isWord('first')) nullsFirst = true;
      else if (this.isWord('last')) nullsFirst = false;
      else throw this.error(this.peek(), "expected 'first' or 'last' after 'nulls'");
      this.next();
    }
    return { expr, descending, nullsFirst };
  }

  private parseNamedList(): NamedExpr[] {
    const items = [this.parseNamed()];
    while (this.isOp(',')) {
      this.next();
      items.push(this.parseNamed());
    }
    return items;
  }

  private parseNamed(): NamedExpr {
    if (this.peek().kind === 'ident' && this.isOp('=', 1)) {
      const name = this.expectName();
      this.next();
      return { name: name.name, expr: this.parseExpr() };
    }
    if (this.isOp('(') && this.peek(1).kind === 'ident' && this.isOp(',', 2))
      throw this.error(this.peek(), 'tuple assignments are not supported');
    return { name: null, expr: this.parseExpr() };
  }

  // Expressions, lowest precedence first: or, and, comparison / string / in, additive, multiplicative, unary, primary.

  parseExpr(): Expr {
    let left = this.parseAnd();
    while (this.isWord('or')) {
      const t = this.next();
      left = { kind: 'binary', pos: t.pos, op: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseComparison();
    while (this.isWord('and')) {
      const t = this.next();
      left = { kind: 'binary', pos: t.pos, op: 'and', left, right: this.parseComparison() };
    }
    return left;
  }

  private parseComparison(): Expr {
    const left = this.parseAdditive();
    const t = this.peek();
    if (t.kind === 'op' && COMPARISON_OPERATORS.has(t.text)) {
      this.next();
      return { kind: 'binary', pos: t.pos, op: t.text === '<>' ? '!=' : t.text, left, right: this.parseAdditive() };
    }
    const word = t.kind === 'ident' && !t.quoted ? t.text : t.kind === 'op' && t.text.startsWith('!') ? t.text : null;
    if (word === null) return left;
    const negated = word.startsWith('!');
    const base = negated ? word.slice(1) : word;
    if (base === 'in' || base === 'in~') {
      this.next();
      return this.parseIn(t.pos, left, negated, base === 'in~');
    }
    if (STRING_OPERATORS.has(base)) {
      this.next();
      return { kind: 'binary', pos: t.pos, op: word, left, right: this.parseAdditive() };
    }
    if (negated) throw this.error(t, `unsupported operator '${word}'`);
    return left;
  }

  private parseIn(pos: number, left: Expr, negated: boolean, caseInsensitive: boolean): Expr {
    this.expectOp('(');
    if (this.startsTabular()) {
      const tabular = this.parseTabular();
      this.expectOp(')');
      return { kind: 'in', pos, negated, caseInsensitive, left, values: [], tabular };
    }
    const values: Expr[] = [];
    if (!this.isOp(')')) {
      values.push(this.parseExpr());
      while (this.isOp(',')) {
        this.next();
        values.push(this.parseExpr());
      }
    }
    this.expectOp(')');
    return { kind: 'in', pos, negated, caseInsensitive, left, values, tabular: null };
  }

  private parseAdditive(): Expr {
    let left = this.parseMultiplicative();
    while (this.isOp('+') || this.isOp('-')) {
      const t = this.next() as { text: string; pos: number };
      left = { kind: 'binary', pos: t.pos, op: t.text, left, right: this.parseMultiplicative() };
    }
    return left;
  }

  private parseMultiplicative(): Expr {
    let left = this.parseUnary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const t = this.next() as { text: string; pos: number };
      left = { kind: 'binary', pos: t.pos, op: t.text, left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): Expr {
    if (this.isOp('-') || this.isOp('+')) {
      const t = this.next() as { text: '-' | '+'; pos: number };
      return { kind: 'unary', pos: t.pos, op: t.text, operand: this.parseUnary() };
    }
    const e = this.parsePrimary();
    if (this.isOp('.') || this.isOp('['))
      throw this.error(this.peek(), 'member access on dynamic values is not supported');
    return e;
  }

  private parsePrimary(): Expr {
    const t = this.next();
    switch (t.kind) {
      case 'string':
        return { kind: 'literal', pos: t.pos, type: 'string', value: t.value };
      case 'number':
        return { kind: 'literal', pos: t.pos, type: t.real ? 'real' : 'long', value: Number(t.text) };
      case 'timespan':
        return { kind: 'literal', pos: t.pos, type: 'timespan', value: t.ticks };
      case 'typed':
        return this.typedLiteral(t);
      case 'op':
        if (t.text === '(') {
          const e = this.parseExpr();
          this.expectOp(')');
          return e;
        }
        throw this.error(t, `expected an expression but found ${this.describe(t)}`);
      case 'ident':
        if (!t.quoted && (t.text === 'true' || t.text === 'false'))
          return { kind: 'literal', pos: t.pos, type: 'bool', value: t.text === 'true' };
        if (!t.quoted && this.isOp('(')) return this.parseCall(t.text, t.pos);
        return { kind: 'name', pos: t.pos, name: t.text };
      default:
        throw this.error(t, `expected an expression but found ${this.describe(t)}`);
    }
  }

  private parseCall(name: string, pos: number): Expr {
    this.expectOp('(');
    if (name === 'toscalar') {
      const query = this.parseTabular();
      this.expectOp(')');
      return { kind: 'toscalar', pos, query };
    }
    const args: Expr[] = [];
    if (!this.isOp(')')) {
      do {
        if (this.isOp('*')) args.push({ kind: 'star', pos: this.next().pos });
        else args.push(this.parseExpr());
      } while (this.isOp(',') && this.next());
    }
    this.expectOp(')');
    return { kind: 'call', pos, name, args };
  }

  /** `datetime(...)`, `real(...)`, ...: the literal's value, or a syntax error when its text is invalid. */
  private typedLiteral(t: { pos: number; type: string; raw: string }): Expr {
    const raw = t.raw;
    const isNull = raw === 'null';
    const literal = (type: Type, value: Value): Expr => ({ kind: 'literal', pos: t.pos, type, value });
    const invalid = () => syntaxError(this.text, t.pos, `invalid ${t.type} literal '${t.type}(${raw})'`);
    switch (t.type) {
      case 'datetime':
      case 'date': {
        if (isNull) return literal('datetime', null);
        const value = parseKqlDatetime(raw);
        if (value === null) throw invalid();
        return literal('datetime', value);
      }
      case 'timespan':
      case 'time': {
        if (isNull) return literal('timespan', null);
        const unit = /^(\d+(?:\.\d+)?)\s*([A-Za-z]+)$/.exec(raw);
        const ticks = unit
          ? TIMESPAN_UNITS.has(unit[2]!)
            ? scaledTicks(unit[1]!, TIMESPAN_UNITS.get(unit[2]!)!)
            : null
          : parseClockTimespan(raw);
        if (ticks === null) throw invalid();
        return literal('timespan', ticks);
      }
      case 'real':
      case 'double': {
        if (isNull) return literal('real', null);
        const special: Record<string, number> = { nan: NaN, inf: Infinity, '+inf': Infinity, '-inf': -Infinity };
        const value =
          special[raw.toLowerCase()] ?? (/^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?$/.test(raw) ? Number(raw) : undefined);
        if (value === undefined) throw invalid();
        return literal('real', value);
      }
      case 'long':
      case 'int': {
        const type = t.type === 'int' ? 'int' : 'long';
        if (isNull) return literal(type, null);
        if (!/^[+-]?\d+$/.test(raw)) throw invalid();
        return literal(type, Number(raw));
      }
      case 'bool':
      case 'boolean':
        if (isNull) return literal('bool', null);
        if (raw !== 'true' && raw !== 'false') throw invalid();
        return literal('bool', raw === 'true');
      case 'guid': {
        if (isNull) return literal('guid', null);
        const value = parseGuid(raw);
        if (value === null) throw invalid();
        return literal('guid', value);
      }
      default: {
        // dynamic: JSON text
        try {
          return literal('dynamic', toJson(JSON.parse(raw)));
        } catch {
          throw invalid();
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluator
// ---------------------------------------------------------------------------------------------

type Eval = (row: Row, index: number) => Value;

/** A type-checked expression: its result type and how to compute it for a row. */
interface Scalar {
  type: Type;
  eval: Eval;
  /** True when the value does not depend on the row (literals, scalar lets, toscalar). */
  constant: boolean;
}

/** What an expression can see: the input columns and whether row_number() is allowed. */
interface Scope {
  columns: readonly Column[];
  index: ReadonlyMap<string, number>;
  serialized: boolean;
}

type LetBinding = { kind: 'scalar'; type: Type; value: Value } | { kind: 'tabular'; frame: Frame };

/** An aggregate of `summarize`: its output columns and how to compute them from a group's rows. */
interface Aggregate {
  columns: Column[];
  compute(rows: readonly Row[]): Value[];
}

function constant(type: Type, value: Value): Scalar {
  return { type, eval: () => value, constant: true };
}

function scopeOf(frame: Frame): Scope {
  const index = new Map<string, number>();
  frame.columns.forEach((c, i) => index.set(c.name, i));
  return { columns: frame.columns, index, serialized: frame.serialized };
}

/** The name Kusto gives an unnamed expression column: the column it references, else null. */
function impliedName(e: Expr): string | null {
  if (e.kind === 'name') return e.name;
  // bin(x, ...) / floor(x, ...) / column_ifexists("x", ...) keep the column's name.
  if (e.kind === 'call' && (e.name === 'bin' || e.name === 'floor') && e.args[0]?.kind === 'name')
    return e.args[0].name;
  return null;
}

/** `name` unless taken, else `name1`, `name2`, ... (Kusto's suffix for clashing output names). */
function uniqueName(name: string, taken: ReadonlySet<string>): string {
  if (!taken.has(name)) return name;
  for (let n = 1; ; n++) if (!taken.has(`${name}${n}`)) return `${name}${n}`;
}

/** Cache of input tables converted to frames (cells normalised), per table object and row count. */
const frameCache = new WeakMap<KqlTable, { rows: number; frame: Frame }>();

function tableFrame(table: KqlTable, name: string): Frame {
  const cached = frameCache.get(table);
  if (cached !== undefined && cached.rows === table.rows.length) return cached.frame;
  for (const c of table.columns) {
    if (!isKqlType(c.type))
      throw new KqlError(
        `Table '${name}' declares column '${c.name}' with unknown type '${String(c.type)}'`,
        'semantic',
      );
  }
  const rows = table.rows.map((r) => table.columns.map((c, i) => kqlValue(c.type, r[i] ?? null)));
  const frame: Frame = { columns: table.columns.map((c) => ({ name: c.name, type: c.type })), rows, serialized: false };
  frameCache.set(table, { rows: table.rows.length, frame });
  return frame;
}

const AGGREGATES: ReadonlySet<string> = new Set([
  'count',
  'countif',
  'sum',
  'min',
  'max',
  'avg',
  'dcount',
  'arg_max',
  'arg_min',
]);

class Evaluator {
  private readonly lets = new Map<string, LetBinding>();

  constructor(
    private readonly text: string,
    private readonly tables: Readonly<Record<string, KqlTable>>,
    private readonly now: string,
  ) {}

  private error(pos: number, message: string): KqlError {
    return new KqlError(`Semantic error at ${where(this.text, pos)}: ${message}`, 'semantic');
  }

  run(statements: readonly Statement[]): Frame {
    let result: Frame | null = null;
    for (const s of statements) {
      if (s.kind === 'query') {
        result = this.tabular(s.query);
      } else if ('tabular' in s.value) {
        // Lets are evaluated once, in order (the same result as Kusto's lazy evaluation: queries have no side effects).
        this.lets.set(s.name, { kind: 'tabular', frame: this.tabular(s.value.tabular) });
      } else {
        const scalar = this.compile(s.value.scalar, { columns: [], index: new Map(), serialized: false });
        if (!scalar.constant) throw this.error(s.pos, `let ${s.name}: the value must not depend on a row`);
        this.lets.set(s.name, { kind: 'scalar', type: scalar.type, value: scalar.eval([], 0) });
      }
    }
    if (result === null) throw new KqlError('the query has no tabular expression', 'syntax');
    return result;
  }

  // --- tabular -------------------------------------------------------------------------------

  private tabular(t: Tabular): Frame {
    let frame = this.source(t.source);
    for (const op of t.operators) frame = this.operator(frame, op);
    return frame;
  }

  private source(s: Source): Frame {
    switch (s.kind) {
      case 'ref': {
        const bound = this.lets.get(s.name);
        if (bound !== undefined) {
          if (bound.kind === 'tabular') return bound.frame;
          throw this.error(s.pos, `'${s.name}' is a scalar value, not a table`);
        }
        const table = this.tables[s.name];
        if (table === undefined)
          throw this.error(s.pos, `Failed to resolve table or column expression named '${s.name}'`);
        return tableFrame(table, s.name);
      }
      case 'materialize':
      case 'nested':
        return this.tabular(s.query);
      case 'print': {
        const empty: Scope = { columns: [], index: new Map(), serialized: true };
        const columns: Column[] = [];
        const row: Value[] = [];
        const taken = new Set<string>();
        s.items.forEach((item, i) => {
          const scalar = this.compile(item.expr, empty);
          const name = uniqueName(item.name ?? impliedName(item.expr) ?? `print_${i}`, taken);
          taken.add(name);
          columns.push({ name, type: scalar.type });
          row.push(scalar.eval([], 0));
        });
        return { columns, rows: [row], serialized: true };
      }
    }
  }

  private operator(frame: Frame, op: Operator): Frame {
    const scope = scopeOf(frame);
    switch (op.kind) {
      case 'where': {
        const predicate = this.compile(op.predicate, scope);
        if (predicate.type !== 'bool' && predicate.type !== 'dynamic') {
          throw this.error(op.pos, `where: the predicate must be bool, not ${predicate.type}`);
        }
        // Rows whose predicate is null (or not true) are dropped.
        return { ...frame, rows: frame.rows.filter((r, i) => predicate.eval(r, i) === true) };
      }
      case 'project':
        return this.project(frame, scope, op.items, op.pos);
      case 'project-away': {
        const drop = new Set<number>();
        for (const n of op.names) {
          const i = scope.index.get(n.name);
          if (i === undefined) throw this.error(n.pos, `project-away: Failed to resolve column '${n.name}'`);
          drop.add(i);
        }
        const keep = frame.columns.map((_, i) => i).filter((i) => !drop.has(i));
        return {
          columns: keep.map((i) => frame.columns[i]!),
          rows: frame.rows.map((r) => keep.map((i) => r[i] ?? null)),
          serialized: frame.serialized,
        };
      }
      case 'project-rename': {
        const columns = [...frame.columns];
        for (const r of op.renames) {
          const i = scope.index.get(r.from.name);
          if (i === undefined)
            throw this.error(r.from.pos, `project-rename: Failed to resolve column '${r.from.name}'`);
          columns[i] = { name: r.to, type: columns[i]!.type };
        }
        return { ...frame, columns };
      }
      case 'extend':
        return this.extend(frame, op.items, op.pos);
      case 'summarize':
        return this.summarize(frame, scope, op);
      case 'count':
        return { columns: [{ name: 'Count', type: 'long' }], rows: [[frame.rows.length]], serialized: false };
      case 'sort':
        return this.sort(frame, scope, op.keys);
      case 'take': {
        const n = this.count(op.count, 'take');
        return { ...frame, rows: frame.rows.slice(0, n) };
      }
      case 'top': {
        const n = this.count(op.count, 'top');
        const sorted = this.sort(frame, scope, [op.key]);
        return { ...sorted, rows: sorted.rows.slice(0, n) };
      }
      case 'distinct': {
        const projected = op.items === null ? frame : this.project(frame, scope, op.items, op.pos);
        const seen = new Set<string>();
        const rows = projected.rows.filter((r) => {
          const key = rowKey(r);
          if (seen.has(key)) return false;
          seen.add(key);
          return true;
        });
        return { columns: projected.columns, rows, serialized: false };
      }
      case 'join':
        return this.join(frame, scope, op);
      case 'serialize': {
        const extended = op.items.length > 0 ? this.extend({ ...frame, serialized: true }, op.items, op.pos) : frame;
        return { ...extended, serialized: true };
      }
    }
  }

  /** A row count for take/top: a constant whole number ≥ 0. */
  private count(e: Expr, what: string): number {
    const scalar = this.compile(e, { columns: [], index: new Map(), serialized: false });
    const n = scalar.eval([], 0);
    if (!scalar.constant || (scalar.type !== 'long' && scalar.type !== 'int') || typeof n !== 'number' || n < 0) {
      throw this.error(e.pos, `${what}: the row count must be a constant whole number`);
    }
    return n;
  }

  private project(frame: Frame, scope: Scope, items: readonly NamedExpr[], pos: number): Frame {
    const columns: Column[] = [];
    const evals: Eval[] = [];
    const taken = new Set<string>();
    let unnamed = 0;
    for (const item of items) {
      const scalar = this.compile(item.expr, scope);
      const name = item.name ?? impliedName(item.expr) ?? `Column${++unnamed}`;
      if (taken.has(name)) throw this.error(pos, `project: the column '${name}' is defined twice`);
      taken.add(name);
      columns.push({ name, type: scalar.type });
      evals.push(scalar.eval);
    }
    return { columns, rows: frame.rows.map((r, i) => evals.map((f) => f(r, i))), serialized: frame.serialized };
  }

  /** `extend`: each item sees the columns defined before it (in this extend too); an existing name is replaced in place. */
  private extend(frame: Frame, items: readonly NamedExpr[], _pos: number): Frame {
    let current = frame;
    let unnamed = 0;
    for (const item of items) {
      const scope = scopeOf(current);
      const scalar = this.compile(item.expr, scope);
      const name = item.name ?? impliedName(item.expr) ?? `Column${++unnamed}`;
      const at = scope.index.get(name);
      if (at === undefined) {
        current = {
          columns: [...current.columns, { name, type: scalar.type }],
          rows: current.rows.map((r, i) => [...r, scalar.eval(r, i)]),
          serialized: current.serialized,
        };
      } else {
        const columns = [...current.columns];
        columns[at] = { name, type: scalar.type };
        current = {
          columns,
          rows: current.rows.map((r, i) => {
            const copy = [...r];
            copy[at] = scalar.eval(r, i);
            return copy;
          }),
          serialized: current.serialized,
        };
      }
    }
    return current;
  }

  /** Sort keys: descending unless `asc`; nulls last for desc and first for asc unless told; stable. */
  private sort(frame: Frame, scope: Scope, keys: readonly SortKey[]): Frame {
    const compiled = keys.map((k) => {
      const scalar = this.compile(k.expr, scope);
      const cls = compareClass(scalar.type, scalar.type);
      if (cls === null) throw this.error(k.expr.pos, `sort: values of type ${scalar.type} cannot be ordered`);
      return { ...k, scalar, cls };
    });
    const decorated = frame.rows.map((row, i) => ({ row, keys: compiled.map((k) => k.scalar.eval(row, i)) }));
    decorated.sort((a, b) => {
      for (let k = 0; k < compiled.length; k++) {
        const key = compiled[k]!;
        const x = a.keys[k] ?? null;
        const y = b.keys[k] ?? null;
        if (x === null || y === null) {
          if (x === y) continue;
          return (x === null) === key.nullsFirst ? -1 : 1;
        }
        const c = compareNonNull(key.cls, x, y);
        if (c !== 0) return key.descending ? -c : c;
      }
      return 0;
    });
    return { columns: frame.columns, rows: decorated.map((d) => d.row), serialized: true };
  }

  /**
   * `summarize`: output columns are the `by` keys first, then the aggregates. Groups appear in the
   * order of their first row. Without `by`, there is exactly one output row, even for no input.
   */
  private summarize(frame: Frame, scope: Scope, op: Extract<Operator, { kind: 'summarize' }>): Frame {
    const keys = op.by.map((item, i) => {
      const scalar = this.compile(item.expr, scope);
      return { name: item.name ?? impliedName(item.expr) ?? `Column${i + 1}`, scalar };
    });
    const keyNames = new Set(keys.map((k) => k.name));
    const aggregates = op.aggregates.map((item) => this.aggregate(item, scope, keyNames));
    const groups = new Map<string, { keys: Value[]; rows: Row[] }>();
    frame.rows.forEach((row, i) => {
      const values = keys.map((k) => k.scalar.eval(row, i));
      const key = rowKey(values);
      let group = groups.get(key);
      if (group === undefined) {
        group = { keys: values, rows: [] };
        groups.set(key, group);
      }
      group.rows.push(row);
    });
    if (keys.length === 0 && groups.size === 0) groups.set('', { keys: [], rows: [] });
    const taken = new Set<string>();
    const columns: Column[] = [];
    for (const c of [
      ...keys.map((k) => ({ name: k.name, type: k.scalar.type })),
      ...aggregates.flatMap((a) => a.columns),
    ]) {
      const name = uniqueName(c.name, taken);
      taken.add(name);
      columns.push({ name, type: c.type });
    }
    const rows = [...groups.values()].map((g) => [...g.keys, ...aggregates.flatMap((a) => a.compute(g.rows))]);
    return { columns, rows, serialized: false };
  }

  private aggregate(item: NamedExpr, scope: Scope, keyNames: ReadonlySet<string>): Aggregate {
    const e = item.expr;
    if (e.kind !== 'call' || !AGGREGATES.has(e.name)) {
      throw this.error(
        e.pos,
        'summarize: each aggregate must be a call of count, countif, sum, min, max, avg, dcount, arg_max or arg_min',
      );
    }
    const args = e.args;
    const arity = (min: number, max: number) => {
      if (args.length < min || args.length > max)
        throw this.error(
          e.pos,
          `${e.name}() takes ${min === max ? min : `${min} to ${max}`} argument(s), not ${args.length}`,
        );
    };
    const argName = (prefix: string) =>
      item.name ?? `${prefix}_${args[0] !== undefined ? (impliedName(args[0]) ?? '') : ''}`;
    switch (e.name) {
      case 'count': {
        arity(0, 0);
        return { columns: [{ name: item.name ?? 'count_', type: 'long' }], compute: (rows) => [rows.length] };
      }
      case 'countif': {
        arity(1, 1);
        const p = this.compile(args[0]!, scope);
        if (p.type !== 'bool') throw this.error(args[0]!.pos, 'countif: the predicate must be bool');
        return {
          columns: [{ name: item.name ?? 'countif_', type: 'long' }],
          compute: (rows) => [rows.filter((r, i) => p.eval(r, i) === true).length],
        };
      }
      case 'sum':
      case 'avg': {
        arity(1, 1);
        const x = this.compile(args[0]!, scope);
        if (!isNumericType(x.type)) throw this.error(args[0]!.pos, `${e.name}: expected a number, not ${x.type}`);
        // sum of long/int is long, of real real; avg is real. Nulls are skipped; no values → null.
        const type: Type = e.name === 'avg' || x.type === 'real' ? 'real' : 'long';
        return {
          columns: [{ name: argName(e.name), type }],
          compute: (rows) => {
            const values = rows.map((r, i) => x.eval(r, i)).filter((v): v is number => typeof v === 'number');
            if (values.length === 0) return [null];
            const sum = values.reduce((s, v) => s + v, 0);
            return [e.name === 'avg' ? sum / values.length : sum];
          },
        };
      }
      case 'min':
      case 'max': {
        arity(1, 1);
        const x = this.compile(args[0]!, scope);
        const cls = compareClass(x.type, x.type);
        if (cls === null) throw this.error(args[0]!.pos, `${e.name}: values of type ${x.type} cannot be ordered`);
        const sign = e.name === 'max' ? 1 : -1;
        return {
          columns: [{ name: argName(e.name), type: x.type }],
          compute: (rows) => {
            // Nulls are skipped; no values → null ('' for strings).
            let best: Value = null;
            rows.forEach((r, i) => {
              const v = x.eval(r, i);
              if (v !== null && (best === null || sign * compareNonNull(cls, v, best) > 0)) best = v;
            });
            return [best ?? emptyOf(x.type)];
          },
        };
      }
      case 'dcount': {
        arity(1, 2);
        const x = this.compile(args[0]!, scope);
        // Exact (Kusto's dcount is an estimate; on small sets it is exact too). Nulls are not counted.
        return {
          columns: [{ name: argName('dcount'), type: 'long' }],
          compute: (rows) => [
            new Set(
              rows
                .map((r, i) => x.eval(r, i))
                .filter((v) => v !== null)
                .map(valueKey),
            ).size,
          ],
        };
      }
      default:
        return this.argExtreme(e.name === 'arg_max' ? 1 : -1, item, e, scope, keyNames);
    }
  }

  /**
   * arg_max/arg_min(key, *) or (key, c1, c2, ...): the row with the largest (smallest) key; rows
   * whose key is null are ignored; on ties the first row wins. Columns: the key (named after its
   * column), then `*` = every other input column except the `by` columns, or the listed ones.
   */
  private argExtreme(
    sign: 1 | -1,
    item: NamedExpr,
    e: Extract<Expr, { kind: 'call' }>,
    scope: Scope,
    keyNames: ReadonlySet<string>,
  ): Aggregate {
    const [keyExpr, ...rest] = e.args;
    if (keyExpr === undefined || keyExpr.kind === 'star' || rest.length === 0)
      throw this.error(e.pos, `${e.name}() takes a key and at least one column (or *)`);
    const key = this.compile(keyExpr, scope);
    const cls = compareClass(key.type, key.type);
    if (cls === null) throw this.error(keyExpr.pos, `${e.name}: values of type ${key.type} cannot be ordered`);
    const keyName = item.name ?? impliedName(keyExpr) ?? `${sign > 0 ? 'max' : 'min'}_`;
    const outputs: { name: string; type: Type; eval: Eval }[] = [{ name: keyName, type: key.type, eval: key.eval }];
    for (const a of rest) {
      if (a.kind === 'star') {
        scope.columns.forEach((c, i) => {
          if (keyNames.has(c.name) || c.name === keyName || (keyExpr.kind === 'name' && c.name === keyExpr.name))
            return;
          outputs.push({ name: c.name, type: c.type, eval: (r) => r[i] ?? null });
        });
      } else {
        const scalar = this.compile(a, scope);
        outputs.push({ name: impliedName(a) ?? `${keyName}_arg`, type: scalar.type, eval: scalar.eval });
      }
    }
    return {
      columns: outputs.map((o) => ({ name: o.name, type: o.type })),
      compute: (rows) => {
        let best: Row | null = null;
        let bestKey: Value = null;
        rows.forEach((r, i) => {
          const k = key.eval(r, i);
          if (k === null) return;
          if (best === null || sign * compareNonNull(cls, k, bestKey) > 0) {
            best = r;
            bestKey = k;
          }
        });
        const chosen: Row | null = best;
        return outputs.map((o) => (chosen === null ? emptyOf(o.type) : o.eval(chosen, 0)));
      },
    };
  }

  /**
   * `join kind=... (right) on col, ...`. Kinds: leftouter (unmatched left rows padded with
   * null/''), inner, innerunique (Kusto's default: the first left row per key), leftsemi, leftanti.
   * Output: left columns, then right columns; a right column whose name is taken gets suffix 1
   * (so the right join key becomes e.g. `machineId1`). Null keys match nothing.
   */
  private join(left: Frame, leftScope: Scope, op: Extract<Operator, { kind: 'join' }>): Frame {
    const kinds = ['leftouter', 'inner', 'innerunique', 'leftsemi', 'leftanti', 'anti', 'semi'];
    if (!kinds.includes(op.joinKind)) throw this.error(op.pos, `join kind=${op.joinKind} is not supported`);
    const right = this.tabular(op.right);
    const rightScope = scopeOf(right);
    const keyIndexes = op.on.map((n) => {
      const l = leftScope.index.get(n.name);
      const r = rightScope.index.get(n.name);
      if (l === undefined || r === undefined)
        throw this.error(
          n.pos,
          `join: Failed to resolve column '${n.name}' on the ${l === undefined ? 'left' : 'right'} side`,
        );
      const cls = compareClass(left.columns[l]!.type, right.columns[r]!.type);
      if (cls === null)
        throw this.error(
          n.pos,
          `join: the key '${n.name}' has types ${left.columns[l]!.type} and ${right.columns[r]!.type}`,
        );
      return { l, r };
    });
    const keyOf = (row: Row, side: 'l' | 'r'): string | null => {
      const values = keyIndexes.map((k) => row[k[side]] ?? null);
      return values.some((v) => v === null) ? null : rowKey(values);
    };
    const byKey = new Map<string, Row[]>();
    for (const row of right.rows) {
      const key = keyOf(row, 'r');
      if (key === null) continue;
      const list = byKey.get(key);
      if (list === undefined) byKey.set(key, [row]);
      else list.push(row);
    }
    const kind = op.joinKind === 'anti' ? 'leftanti' : op.joinKind === 'semi' ? 'leftsemi' : op.joinKind;
    if (kind === 'leftsemi' || kind === 'leftanti') {
      const rows = left.rows.filter((row) => {
        const key = keyOf(row, 'l');
        const matched = key !== null && byKey.has(key);
        return kind === 'leftsemi' ? matched : !matched;
      });
      return { columns: left.columns, rows, serialized: false };
    }
    const taken = new Set(left.columns.map((c) => c.name));
    const rightColumns = right.columns.map((c) => {
      const name = uniqueName(c.name, taken);
      taken.add(name);
      return { name, type: c.type };
    });
    const padding = right.columns.map((c) => emptyOf(c.type));
    const rows: Row[] = [];
    const seenLeft = new Set<string>();
    for (const row of left.rows) {
      const key = keyOf(row, 'l');
      if (kind === 'innerunique' && key !== null) {
        if (seenLeft.has(key)) continue;
        seenLeft.add(key);
      }
      const matches = key === null ? undefined : byKey.get(key);
      if (matches === undefined) {
        if (kind === 'leftouter') rows.push([...row, ...padding]);
        continue;
      }
      for (const m of matches) rows.push([...row, ...m]);
    }
    return { columns: [...left.columns, ...rightColumns], rows, serialized: false };
  }

  // --- scalar expressions --------------------------------------------------------------------

  compile(e: Expr, scope: Scope): Scalar {
    switch (e.kind) {
      case 'literal':
        return constant(e.type, e.value);
      case 'name': {
        const i = scope.index.get(e.name);
        if (i !== undefined) {
          const type = scope.columns[i]!.type;
          return { type, eval: (r) => r[i] ?? null, constant: false };
        }
        // A column shadows a let of the same name.
        const bound = this.lets.get(e.name);
        if (bound?.kind === 'scalar') return constant(bound.type, bound.value);
        if (bound?.kind === 'tabular')
          throw this.error(e.pos, `'${e.name}' is a tabular expression; use toscalar() or in (...)`);
        throw this.error(e.pos, `Failed to resolve scalar expression named '${e.name}'`);
      }
      case 'star':
        throw this.error(e.pos, "'*' is only allowed as an argument of arg_max/arg_min");
      case 'toscalar': {
        // The first column of the first row; no rows → null ('' for a string column).
        const frame = this.tabular(e.query);
        const column = frame.columns[0];
        if (column === undefined) throw this.error(e.pos, 'toscalar: the expression has no columns');
        const first = frame.rows[0];
        return constant(column.type, first === undefined ? emptyOf(column.type) : (first[0] ?? null));
      }
      case 'unary': {
        const x = this.compile(e.operand, scope);
        if (!isNumericType(x.type) && x.type !== 'timespan')
          throw this.error(e.pos, `unary ${e.op} needs a number or timespan, not ${x.type}`);
        if (e.op === '+') return x;
        return this.derive(x.type, [x], (v) => (v === null ? null : typeof v === 'bigint' ? -v : -(v as number)));
      }
      case 'binary':
        return this.binary(e, scope);
      case 'in':
        return this.inExpr(e, scope);
      case 'call':
        return this.call(e, scope);
    }
  }

  /** A scalar computed from argument values; constant when all arguments are. */
  private derive(type: Type, args: readonly Scalar[], f: (...values: Value[]) => Value): Scalar {
    const evals = args.map((a) => a.eval);
    const isConstant = args.every((a) => a.constant);
    const evaluate: Eval =
      evals.length === 1
        ? (r, i) => f(evals[0]!(r, i))
        : evals.length === 2
          ? (r, i) => f(evals[0]!(r, i), evals[1]!(r, i))
          : (r, i) => f(...evals.map((g) => g(r, i)));
    if (isConstant) return constant(type, evaluate([], 0));
    return { type, eval: evaluate, constant: false };
  }

  private binary(e: Extract<Expr, { kind: 'binary' }>, scope: Scope): Scalar {
    const left = this.compile(e.left, scope);
    const right = this.compile(e.right, scope);
    const op = e.op;
    if (op === 'and' || op === 'or') {
      for (const [side, s] of [
        ['left', left],
        ['right', right],
      ] as const) {
        if (s.type !== 'bool') throw this.error(e.pos, `'${op}' needs bool operands; the ${side} one is ${s.type}`);
      }
      // Three-valued logic: null and false = false, null or true = true, otherwise null.
      if (op === 'and')
        return this.derive('bool', [left, right], (a, b) =>
          a === false || b === false ? false : a === null || b === null ? null : true,
        );
      return this.derive('bool', [left, right], (a, b) =>
        a === true || b === true ? true : a === null || b === null ? null : false,
      );
    }
    if (COMPARISON_OPERATORS.has(op)) return this.comparison(e, op, left, right);
    const negated = op.startsWith('!');
    const base = negated ? op.slice(1) : op;
    if (STRING_OPERATORS.has(base)) {
      // String operators work on the text of both sides; the non-_cs forms ignore case.
      const cs = base.endsWith('_cs');
      const fold = (s: string) => (cs ? s : s.toLowerCase());
      const test = stringTest(base.replace(/_cs$/, ''));
      return this.derive('bool', [left, right], (a, b) => {
        const result = test(fold(toText(a, left.type)), fold(toText(b, right.type)));
        return negated ? !result : result;
      });
    }
    return this.arithmetic(e, left, right);
  }

  /** `==` `!=` `=~` `!~` `<` `<=` `>` `>=`. Any comparison with a null operand is false. */
  private comparison(e: Extract<Expr, { kind: 'binary' }>, op: string, left: Scalar, right: Scalar): Scalar {
    const cls = compareClass(left.type, right.type);
    if (cls === null)
      throw this.error(e.pos, `Cannot compare values of types ${left.type} and ${right.type} with '${op}'`);
    if (op === '=~' || op === '!~') {
      if (cls !== 'string' && cls !== 'guid' && cls !== 'dynamic')
        throw this.error(e.pos, `'${op}' compares strings, not ${left.type} and ${right.type}`);
      // Case-insensitive equality (JS lower-casing; Kusto folds case the same way for ASCII).
      return this.derive('bool', [left, right], (a, b) => {
        if (a === null || b === null) return false;
        const same = toText(a, left.type).toLowerCase() === toText(b, right.type).toLowerCase();
        return op === '=~' ? same : !same;
      });
    }
    const test: (c: number) => boolean =
      op === '=='
        ? (c) => c === 0
        : op === '!='
          ? (c) => c !== 0
          : op === '<'
            ? (c) => c < 0
            : op === '<='
              ? (c) => c <= 0
              : op === '>'
                ? (c) => c > 0
                : (c) => c >= 0;
    if (op === '==' || op === '!=') {
      return this.derive('bool', [left, right], (a, b) =>
        a === null || b === null ? false : equalValues(cls, a, b) === (op === '=='),
      );
    }
    return this.derive('bool', [left, right], (a, b) =>
      a === null || b === null ? false : test(compareNonNull(cls, a, b)),
    );
  }

  /** `+ - * / %` on numbers (long/long stays long: integer division toward zero), datetime ± timespan, datetime - datetime. Null in → null out. */
  private arithmetic(e: Extract<Expr, { kind: 'binary' }>, left: Scalar, right: Scalar): Scalar {
    const op = e.op;
    const lt = left.type;
    const rt = right.type;
    if (isNumericType(lt) && isNumericType(rt)) {
      const type: Type = lt === 'real' || rt === 'real' ? 'real' : lt === 'long' || rt === 'long' ? 'long' : 'int';
      const integral = type !== 'real';
      return this.derive(type, [left, right], (a, b) => {
        if (a === null || b === null) return null;
        const x = a as number;
        const y = b as number;
        switch (op) {
          case '+':
            return x + y;
          case '-':
            return x - y;
          case '*':
            return x * y;
          case '/':
            return integral ? (y === 0 ? null : Math.trunc(x / y)) : x / y;
          default:
            return integral ? (y === 0 ? null : x % y) : x % y;
        }
      });
    }
    if (lt === 'datetime' && rt === 'timespan' && (op === '+' || op === '-')) {
      return this.derive('datetime', [left, right], (a, b) =>
        a === null || b === null
          ? null
          : ticksDatetime(datetimeTicks(a as string) + (op === '+' ? 1n : -1n) * (b as bigint)),
      );
    }
    if (lt === 'timespan' && rt === 'datetime' && op === '+') {
      return this.derive('datetime', [left, right], (a, b) =>
        a === null || b === null ? null : ticksDatetime(datetimeTicks(b as string) + (a as bigint)),
      );
    }
    if (lt === 'datetime' && rt === 'datetime' && op === '-') {
      return this.derive('timespan', [left, right], (a, b) =>
        a === null || b === null ? null : datetimeTicks(a as string) - datetimeTicks(b as string),
      );
    }
    if (lt === 'timespan' && rt === 'timespan' && (op === '+' || op === '-')) {
      return this.derive('timespan', [left, right], (a, b) =>
        a === null || b === null ? null : op === '+' ? (a as bigint) + (b as bigint) : (a as bigint) - (b as bigint),
      );
    }
    throw this.error(e.pos, `'${op}' is not defined for ${lt} and ${rt}`);
  }

  /** `x in (a, b)`, `x in (T)` (first column of T), `!in`, `in~` (case-insensitive). Null x → false. */
  private inExpr(e: Extract<Expr, { kind: 'in' }>, scope: Scope): Scalar {
    const left = this.compile(e.left, scope);
    let items: Scalar[];
    if (e.tabular !== null) {
      const frame = this.tabular(e.tabular);
      const column = frame.columns[0];
      if (column === undefined) throw this.error(e.pos, 'in: the tabular expression has no columns');
      items = frame.rows.map((r) => constant(column.type, r[0] ?? null));
      if (compareClass(left.type, column.type) === null)
        throw this.error(e.pos, `in: cannot compare ${left.type} with ${column.type}`);
    } else {
      items = e.values.map((v) => this.compile(v, scope));
      for (const item of items)
        if (compareClass(left.type, item.type) === null)
          throw this.error(e.pos, `in: cannot compare ${left.type} with ${item.type}`);
    }
    const fold = (v: Value, type: Type): string => {
      const text = toText(v, type);
      return e.caseInsensitive || type === 'guid' ? text.toLowerCase() : text;
    };
    const textual = left.type === 'string' || left.type === 'guid';
    if (items.every((i) => i.constant) && textual && items.every((i) => i.type === 'string' || i.type === 'guid')) {
      // Fast path: a set of strings.
      const set = new Set(items.map((i) => fold(i.eval([], 0), i.type)));
      return this.derive('bool', [left], (v) => (v === null ? false : set.has(fold(v, left.type)) !== e.negated));
    }
    const evaluate: Eval = (r, i) => {
      const v = left.eval(r, i);
      if (v === null) return false;
      const found = items.some((item) => {
        const w = item.eval(r, i);
        if (w === null) return false;
        if (e.caseInsensitive) return toText(v, left.type).toLowerCase() === toText(w, item.type).toLowerCase();
        return equalValues(compareClass(left.type, item.type)!, v, w);
      });
      return found !== e.negated;
    };
    return { type: 'bool', eval: evaluate, constant: false };
  }

  private call(e: Extract<Expr, { kind: 'call' }>, scope: Scope): Scalar {
    const name = e.name;
    if (AGGREGATES.has(name))
      throw this.error(e.pos, `the aggregate function '${name}()' is only allowed in summarize`);
    const arity = (min: number, max = min) => {
      if (e.args.length < min || e.args.length > max) {
        throw this.error(
          e.pos,
          `${name}() takes ${min === max ? String(min) : `${min} to ${max === Infinity ? 'any number of' : String(max)}`} argument(s), not ${e.args.length}`,
        );
      }
    };
    const arg = (i: number): Scalar => this.compile(e.args[i]!, scope);
    const all = (): Scalar[] => e.args.map((a) => this.compile(a, scope));
    switch (name) {
      case 'isempty':
      case 'isnotempty': {
        arity(1);
        const x = arg(0);
        // Empty = null, or '' for strings (and dynamic strings).
        return this.derive('bool', [x], (v) => (v === null || v === '') === (name === 'isempty'));
      }
      case 'isnull':
      case 'isnotnull': {
        arity(1);
        const x = arg(0);
        // Strings are never null: isnull('') is false.
        return this.derive('bool', [x], (v) => (v === null) === (name === 'isnull'));
      }
      case 'not': {
        arity(1);
        const x = arg(0);
        if (x.type !== 'bool') throw this.error(e.pos, `not() needs a bool, not ${x.type}`);
        return this.derive('bool', [x], (v) => (v === null ? null : !v));
      }
      case 'strcat': {
        arity(1, 64);
        const xs = all();
        return this.derive('string', xs, (...vs) => vs.map((v, i) => toText(v, xs[i]!.type)).join(''));
      }
      case 'tolower':
      case 'toupper': {
        arity(1);
        const x = arg(0);
        return this.derive('string', [x], (v) =>
          name === 'tolower' ? toText(v, x.type).toLowerCase() : toText(v, x.type).toUpperCase(),
        );
      }
      case 'strlen': {
        arity(1);
        const x = arg(0);
        return this.derive('long', [x], (v) => toText(v, x.type).length);
      }
      case 'tostring': {
        arity(1);
        const x = arg(0);
        return this.derive('string', [x], (v) => toText(v, x.type));
      }
      case 'todatetime': {
        arity(1);
        const x = arg(0);
        return this.derive('datetime', [x], (v) => toDatetime(v, x.type));
      }
      case 'tolong':
      case 'toint':
      case 'toreal':
      case 'todouble': {
        arity(1);
        const x = arg(0);
        if (x.type === 'datetime' || x.type === 'timespan' || x.type === 'guid')
          throw this.error(e.pos, `${name}() of a ${x.type} is not supported`);
        const target = name === 'tolong' ? 'long' : name === 'toint' ? 'int' : 'real';
        return this.derive(target, [x], (v) => toNumber(v, x.type, target));
      }
      case 'tobool':
      case 'toboolean': {
        arity(1);
        const x = arg(0);
        return this.derive('bool', [x], (v) => toBool(v, x.type));
      }
      case 'now': {
        arity(0, 1);
        const offset = e.args.length === 1 ? arg(0) : constant('timespan', 0n);
        if (offset.type !== 'timespan') throw this.error(e.pos, 'now() takes a timespan offset');
        return this.derive('datetime', [offset], (o) =>
          o === null ? null : ticksDatetime(datetimeTicks(this.now) + (o as bigint)),
        );
      }
      case 'ago': {
        arity(1);
        const span = arg(0);
        if (span.type !== 'timespan') throw this.error(e.pos, `ago() takes a timespan, not ${span.type}`);
        return this.derive('datetime', [span], (s) =>
          s === null ? null : ticksDatetime(datetimeTicks(this.now) - (s as bigint)),
        );
      }
      case 'coalesce': {
        arity(1, 64);
        const xs = all();
        const type = xs[0]!.type;
        for (const x of xs)
          if (x.type !== type)
            throw this.error(e.pos, `coalesce(): all arguments must have one type (${type}, ${x.type})`);
        // The first value that is not null (for strings: not empty).
        return this.derive(type, xs, (...vs) => vs.find((v) => v !== null && v !== '') ?? emptyOf(type));
      }
      case 'iff':
      case 'iif': {
        arity(3);
        const [c, a, b] = [arg(0), arg(1), arg(2)];
        if (c.type !== 'bool') throw this.error(e.pos, `${name}(): the condition must be bool, not ${c.type}`);
        const type = this.commonType(e.pos, name, [a, b]);
        // A null condition takes the else branch.
        return this.derive(type, [c, a, b], (cv, av, bv) => (cv === true ? av : bv));
      }
      case 'case': {
        if (e.args.length < 3 || e.args.length % 2 === 0)
          throw this.error(e.pos, 'case() takes pairs of condition and value, then an else value');
        const xs = all();
        const values = xs.filter((_, i) => i % 2 === 1 || i === xs.length - 1);
        for (let i = 0; i < xs.length - 1; i += 2)
          if (xs[i]!.type !== 'bool') throw this.error(e.pos, 'case(): conditions must be bool');
        const type = this.commonType(e.pos, name, values);
        return this.derive(type, xs, (...vs) => {
          for (let i = 0; i < vs.length - 1; i += 2) if (vs[i] === true) return vs[i + 1] ?? null;
          return vs[vs.length - 1] ?? null;
        });
      }
      case 'format_datetime': {
        arity(2);
        const [dt, fmt] = [arg(0), arg(1)];
        if (dt.type !== 'datetime') throw this.error(e.pos, `format_datetime() takes a datetime, not ${dt.type}`);
        if (fmt.type !== 'string' || !fmt.constant)
          throw this.error(e.pos, 'format_datetime(): the format must be a string literal');
        const format = compileDatetimeFormat(fmt.eval([], 0) as string, (message) => this.error(e.pos, message));
        return this.derive('string', [dt], (v) => (v === null ? '' : format(v as string)));
      }
      case 'bin':
      case 'floor': {
        arity(2);
        const [x, size] = [arg(0), arg(1)];
        if (x.type === 'datetime' && size.type === 'timespan') {
          // Multiples of the size counted from 0001-01-01 (Kusto's tick origin).
          return this.derive('datetime', [x, size], (v, s) => {
            if (v === null || s === null || (s as bigint) <= 0n) return null;
            const t = datetimeTicks(v as string);
            return ticksDatetime(t - (t % (s as bigint)));
          });
        }
        if (isNumericType(x.type) && isNumericType(size.type)) {
          return this.derive(x.type, [x, size], (v, s) =>
            v === null || s === null || (s as number) <= 0
              ? null
              : Math.floor((v as number) / (s as number)) * (s as number),
          );
        }
        throw this.error(e.pos, `${name}() is not defined for ${x.type} and ${size.type}`);
      }
      case 'startofday': {
        arity(1);
        const x = arg(0);
        if (x.type !== 'datetime') throw this.error(e.pos, `startofday() takes a datetime, not ${x.type}`);
        return this.derive('datetime', [x], (v) =>
          v === null ? null : `${(v as string).slice(0, 10)}T00:00:00.0000000Z`,
        );
      }
      case 'row_number': {
        arity(0, 1);
        // The position in the current row order, from `start` (default 1); needs ordered input.
        if (!scope.serialized)
          throw this.error(
            e.pos,
            "Function 'row_number' cannot be invoked in current context: the input is not serialized (sort it first)",
          );
        const start = e.args.length === 1 ? arg(0) : constant('long', 1);
        if (!start.constant || (start.type !== 'long' && start.type !== 'int'))
          throw this.error(e.pos, 'row_number(): the start must be a constant whole number');
        const first = start.eval([], 0) as number;
        return { type: 'long', eval: (_r, i) => first + i, constant: false };
      }
      case 'column_ifexists': {
        arity(2);
        const nameArg = e.args[0]!;
        if (nameArg.kind !== 'literal' || nameArg.type !== 'string')
          throw this.error(e.pos, 'column_ifexists(): the column name must be a string literal');
        // The column when the input has it (with its own type), else the default.
        const i = scope.index.get(nameArg.value as string);
        if (i !== undefined) {
          const type = scope.columns[i]!.type;
          return { type, eval: (r) => r[i] ?? null, constant: false };
        }
        return arg(1);
      }
      default:
        throw this.error(e.pos, `Unknown function: '${name}'`);
    }
  }

  /** The result type of iff/case branches: one type, or numbers widened to real/long. */
  private commonType(pos: number, what: string, values: readonly Scalar[]): Type {
    const first = values[0]!.type;
    if (values.every((v) => v.type === first)) return first;
    if (values.every((v) => isNumericType(v.type))) return values.some((v) => v.type === 'real') ? 'real' : 'long';
    throw this.error(pos, `${what}(): the values have different types (${values.map((v) => v.type).join(', ')})`);
  }
}

/** `has`, `contains`, `startswith`, `endswith` on already case-folded text. */
function stringTest(op: string): (haystack: string, needle: string) => boolean {
  switch (op) {
    case 'contains':
      return (h, n) => h.includes(n);
    case 'startswith':
      return (h, n) => h.startsWith(n);
    case 'endswith':
      return (h, n) => h.endsWith(n);
    default:
      // has: the needle as a whole term, i.e. not adjacent to a letter or digit on a side where
      // the needle itself starts/ends with one (Kusto indexes alphanumeric terms).
      return (h, n) => {
        if (n === '') return true;
        const alnum = /[\p{L}\p{N}]/u;
        const checkStart = alnum.test(n.charAt(0));
        const checkEnd = alnum.test(n.charAt(n.length - 1));
        for (let at = h.indexOf(n); at !== -1; at = h.indexOf(n, at + 1)) {
          const before = h.charAt(at - 1);
          const after = h.charAt(at + n.length);
          if (
            (!checkStart || before === '' || !alnum.test(before)) &&
            (!checkEnd || after === '' || !alnum.test(after))
          )
            return true;
        }
        return false;
      };
  }
}

/**
 * `format_datetime` formats: yyyy, yy, MM, M, dd, d, HH, H, hh, h, mm, m, ss, s, f…fffffff (fraction
 * digits), F…FFFFFFF (fraction digits, trailing zeros trimmed), tt (AM/PM); separators and other
 * punctuation are copied.
 */
function compileDatetimeFormat(format: string, fail: (message: string) => KqlError): (normalized: string) => string {
  const parts: ((d: string) => string)[] = [];
  const re = /([A-Za-z])\1*|[^A-Za-z]+/g;
  for (const m of format.matchAll(re)) {
    const token = m[0];
    const at = (from: number, to: number) => (d: string) => d.slice(from, to);
    const num = (from: number, to: number) => (d: string) => String(Number(d.slice(from, to)));
    const hour12 = (d: string) => ((Number(d.slice(11, 13)) + 11) % 12) + 1;
    if (!/^[A-Za-z]/.test(token)) {
      parts.push(() => token);
      continue;
    }
    if (token === 'yyyy') parts.push(at(0, 4));
    else if (token === 'yy') parts.push(at(2, 4));
    else if (token === 'MM') parts.push(at(5, 7));
    else if (token === 'M') parts.push(num(5, 7));
    else if (token === 'dd') parts.push(at(8, 10));
    else if (token === 'd') parts.push(num(8, 10));
    else if (token === 'HH') parts.push(at(11, 13));
    else if (token === 'H') parts.push(num(11, 13));
    else if (token === 'hh') parts.push((d) => pad(hour12(d), 2));
    else if (token === 'h') parts.push((d) => String(hour12(d)));
    else if (token === 'mm') parts.push(at(14, 16));
    else if (token === 'm') parts.push(num(14, 16));
    else if (token === 'ss') parts.push(at(17, 19));
    else if (token === 's') parts.push(num(17, 19));
    else if (/^f{1,7}$/.test(token)) parts.push(at(20, 20 + token.length));
    else if (/^F{1,7}$/.test(token)) parts.push((d) => d.slice(20, 20 + token.length).replace(/0+$/, ''));
    else if (token === 'tt') parts.push((d) => (Number(d.slice(11, 13)) < 12 ? 'AM' : 'PM'));
    else throw fail(`format_datetime(): unsupported format specifier '${token}'`);
  }
  return (d) => parts.map((p) => p(d)).join('');
}

// ---------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------

/**
 * Runs a KQL query over `tables` (name → table) and returns its result. `now()` and `ago()` are
 * relative to `options.now`. Input tables are read, never changed (their normalised form is cached
 * per table object and row count). Throws KqlError for syntax errors, unsupported constructs, and
 * references to tables, columns or functions that do not exist.
 */
export function runKql(query: string, tables: Readonly<Record<string, KqlTable>>, options: RunKqlOptions): KqlTable {
  const tokens = tokenize(query);
  const statements = new Parser(query, tokens, new Set(Object.keys(tables))).parseScript();
  const frame = new Evaluator(query, tables, dateToKqlDatetime(options.now)).run(statements);
  const columns = frame.columns.map((c): KqlColumn => {
    if (c.type === 'timespan')
      throw new KqlError(
        `The result column '${c.name}' is a timespan; this engine returns only ${[...KQL_TYPES].join(', ')} columns`,
        'semantic',
      );
    return { name: c.name, type: c.type };
  });
  return { columns, rows: frame.rows.map((r) => r.map((v) => (typeof v === 'bigint' ? null : v))) };
}

/** The rows of a result as objects keyed by column name (what src/queries/rows.ts maps). */
export function kqlRowObjects(table: KqlTable): Record<string, KqlValue>[] {
  return table.rows.map((r) => Object.fromEntries(table.columns.map((c, i) => [c.name, r[i] ?? null])));
}
