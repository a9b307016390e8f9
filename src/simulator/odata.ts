/**
 * The OData v4 subset that `GET /api/machineactions` accepts: `$filter`, `$top`, `$skip`, `$orderby`.
 *
 * `$filter` grammar (precedence low → high: `or`, `and`, `not`, comparison):
 *   expr       := and ('or' and)*
 *   and        := unary ('and' unary)*
 *   unary      := 'not' unary | primary
 *   primary    := '(' expr ')' | 'startswith' '(' field ',' string ')' | operand op operand
 *   op         := eq | ne | gt | ge | lt | le          (lower case, as the OData ABNF requires)
 *   operand    := field | 'string' ('' escapes a quote) | datetime (unquoted) | null
 *
 * Fields: `id, status, machineId, type, requestor, creationDateTimeUtc, lastUpdateDateTimeUtc`.
 * Date-times are compared as instants at 100 ns precision through `normalizeTimestamp`, never through
 * `Date`. String comparisons are case-insensitive (eq, ne, startswith, and the order of gt/ge/lt/le):
 * a choice, because the real service's collation is unverified; clients should not rely on case.
 *
 * Errors throw `ODataQueryError` whose message is the text after the service's fixed prefix
 * `The query specified in the URI is not valid. ` (see `ODATA_ERROR_PREFIX`); messages follow the
 * wording of Microsoft's OData libraries where the reference gives no MDE sample.
 */
import { MACHINE_ACTION_KEYS, type MachineAction } from '../core/types.js';
import { normalizeTimestamp } from '../core/timestamps.js';

export const ODATA_ERROR_PREFIX = 'The query specified in the URI is not valid. ';

/** Largest accepted `$top` ("Maximum page size is 10,000"). */
export const MAX_TOP = 10_000;

export class ODataQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ODataQueryError';
  }
}

export const STRING_FIELDS = ['id', 'status', 'machineId', 'type', 'requestor'] as const;
export const DATE_FIELDS = ['creationDateTimeUtc', 'lastUpdateDateTimeUtc'] as const;
export type StringField = (typeof STRING_FIELDS)[number];
export type DateField = (typeof DATE_FIELDS)[number];
export type FilterField = StringField | DateField;

/** Properties of the entity that exist but are not filterable or sortable here (derived from the 20 wire keys). */
const OTHER_PROPERTIES: ReadonlySet<string> = new Set(
  MACHINE_ACTION_KEYS.filter(
    (k) => !(STRING_FIELDS as readonly string[]).includes(k) && !(DATE_FIELDS as readonly string[]).includes(k),
  ),
);

/** The system query options this endpoint accepts. */
const SUPPORTED_OPTIONS = new Set(['$filter', '$top', '$skip', '$orderby']);

export type CompareOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';

export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'cmp'; op: CompareOp; field: FilterField; value: string | null }
  | { kind: 'startswith'; field: StringField; prefix: string };

export interface OrderBy {
  field: FilterField;
  direction: 'asc' | 'desc';
}

export interface ParsedQuery {
  filter: FilterNode | undefined;
  /** Undefined when `$top` is absent (server-side paging with nextLink applies). */
  top: number | undefined;
  skip: number;
  /** Empty when `$orderby` is absent. */
  orderBy: OrderBy[];
}

/**
 * A row as the evaluator sees it: the action plus its date fields normalised to 7 fractional
 * digits (normalised strings compare correctly as text).
 */
export interface FilterRow {
  readonly action: MachineAction;
  readonly created: string;
  readonly updated: string;
}

export interface ParseOptions {
  /** Emulates a tenant on which `lastUpdateDateTimeUtc` is not a known property. */
  rejectLastUpdate?: boolean;
}

/** Parses and validates the query string of a list call. Throws `ODataQueryError`. */
export function parseQuery(params: URLSearchParams, options: ParseOptions = {}): ParsedQuery {
  const seen = new Set<string>();
  for (const key of params.keys()) {
    if (!key.startsWith('$')) continue; // custom (non-$) options are ignored, as OData allows
    if (!SUPPORTED_OPTIONS.has(key)) {
      throw new ODataQueryError(`Custom query option '${key}' that starts with '$' is not supported.`);
    }
    if (seen.has(key)) {
      throw new ODataQueryError(
        `Query option '${key}' was specified more than once, but it must be specified at most once.`,
      );
    }
    seen.add(key);
  }
  const topText = params.get('$top');
  const skipText = params.get('$skip');
  const filterText = params.get('$filter');
  const orderText = params.get('$orderby');
  let top: number | undefined;
  if (topText !== null) {
    top = parseNonNegativeInteger(topText, '$top');
    if (top > MAX_TOP) {
      throw new ODataQueryError(
        `The limit of '${MAX_TOP}' for Top query has been exceeded. The value from the incoming request is '${topText}'.`,
      );
    }
  }
  const skip = skipText === null ? 0 : parseNonNegativeInteger(skipText, '$skip');
  const filter = filterText === null ? undefined : parseFilter(filterText, options);
  const orderBy = orderText === null ? [] : parseOrderBy(orderText, options);
  return { filter, top, skip, orderBy };
}

function parseNonNegativeInteger(text: string, option: string): number {
  if (!/^\d{1,15}$/.test(text)) {
    throw new ODataQueryError(
      `Invalid value '${text}' for ${option} query option found. The ${option} query option requires a non-negative integer value.`,
    );
  }
  return Number(text);
}

function resolveField(name: string, option: '$filter' | '$orderby', options: ParseOptions): FilterField {
  if (options.rejectLastUpdate && name === 'lastUpdateDateTimeUtc') {
    throw new ODataQueryError(`Could not find a property named '${name}' on type 'MachineAction'.`);
  }
  if ((STRING_FIELDS as readonly string[]).includes(name) || (DATE_FIELDS as readonly string[]).includes(name)) {
    return name as FilterField;
  }
  if (OTHER_PROPERTIES.has(name)) {
    throw new ODataQueryError(`The property '${name}' cannot be used in the ${option} query option.`);
  }
  throw new ODataQueryError(`Could not find a property named '${name}' on type 'MachineAction'.`);
}

export function isDateField(field: FilterField): field is DateField {
  return field === 'creationDateTimeUtc' || field === 'lastUpdateDateTimeUtc';
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

type Token =
  | { t: 'ident'; v: string; pos: number }
  | { t: 'string'; v: string; pos: number }
  | { t: 'datetime'; v: string; pos: number }
  | { t: 'number'; v: string; pos: number }
  | { t: '(' | ')' | ','; pos: number }
  | { t: 'end'; pos: number };

const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === ' ' || ch === '\t') {
      i++;
    } else if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ t: ch, pos: i });
      i++;
    } else if (ch === "'") {
      const start = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length)
          throw new ODataQueryError(`There is an unterminated string literal at position ${start} in '${text}'.`);
        const c = text[i] as string;
        if (c === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += c;
        i++;
      }
      tokens.push({ t: 'string', v: value, pos: start });
    } else if (/[0-9-]/.test(ch)) {
      const rest = text.slice(i);
      const dt = DATETIME_RE.exec(rest);
      if (dt) {
        tokens.push({ t: 'datetime', v: dt[0], pos: i });
        i += dt[0].length;
      } else {
        const num = /^-?\d+(\.\d+)?/.exec(rest);
        if (!num) throw new ODataQueryError(`Syntax error at position ${i} in '${text}'.`);
        tokens.push({ t: 'number', v: num[0], pos: i });
        i += num[0].length;
      }
    } else if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i)) as RegExpExecArray;
      tokens.push({ t: 'ident', v: m[0], pos: i });
      i += m[0].length;
    } else {
      throw new ODataQueryError(`Syntax error: character '${ch}' is not valid at position ${i} in '${text}'.`);
    }
  }
  tokens.push({ t: 'end', pos: text.length });
  return tokens;
}

/**
 * A date-time literal normalised to 7 fractional digits in UTC, or an error in the OData
 * library's wording. Offsets other than Z are converted to UTC.
 */
function normalizeDateLiteral(text: string): string {
  const m = DATETIME_RE.exec(text);
  const bad = (): ODataQueryError =>
    new ODataQueryError(
      `The DateTimeOffset text '${text}' should be in format 'yyyy-mm-ddThh:mm:ss('.'s+)?(zzzzzz)?' and each field value is within valid range.`,
    );
  if (!m) throw bad();
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  if ((frac ?? '').length > 7) throw bad();
  const normalizedZ = normalizeTimestamp(`${y}-${mo}-${d}T${h}:${mi}:${s ?? '00'}${frac ? '.' + frac : ''}Z`);
  if (normalizedZ === undefined) throw bad();
  // normalizeTimestamp accepts day 31 in any month; reject dates the calendar does not have.
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)) throw bad();
  if (zone === 'Z' || zone === '+00:00' || zone === '-00:00') return normalizedZ;
  const zm = /^([+-])(\d{2}):(\d{2})$/.exec(zone ?? '');
  if (!zm) throw bad();
  const offsetMs = (zm[1] === '-' ? -1 : 1) * (Number(zm[2]) * 60 + Number(zm[3])) * 60_000;
  const baseMs = Date.parse(normalizedZ.slice(0, 19) + 'Z') - offsetMs;
  return `${new Date(baseMs).toISOString().slice(0, 19)}${normalizedZ.slice(19)}`;
}

// ---------------------------------------------------------------------------------------------
// Parser

type Operand =
  | { kind: 'field'; field: FilterField }
  | { kind: 'string'; value: string }
  | { kind: 'datetime'; value: string }
  | { kind: 'null' }
  | { kind: 'number'; value: string }
  | { kind: 'bool'; value: boolean };

const OPS = new Set<string>(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);
const OP_NAMES: Record<CompareOp, string> = {
  eq: 'Equal',
  ne: 'NotEqual',
  gt: 'GreaterThan',
  ge: 'GreaterThanOrEqual',
  lt: 'LessThan',
  le: 'LessThanOrEqual',
};
const MIRROR: Record<CompareOp, CompareOp> = { eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge' };

export function parseFilter(text: string, options: ParseOptions = {}): FilterNode {
  const tokens = tokenize(text);
  let p = 0;
  const peek = (): Token => tokens[p] as Token;
  const isKeyword = (word: string): boolean => {
    const tk = peek();
    return tk.t === 'ident' && tk.v === word;
  };
  const syntax = (pos: number): ODataQueryError => new ODataQueryError(`Syntax error at position ${pos} in '${text}'.`);

  const parseOr = (): FilterNode => {
    let left = parseAnd();
    while (isKeyword('or')) {
      p++;
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): FilterNode => {
    let left = parseUnary();
    while (isKeyword('and')) {
      p++;
      left = { kind: 'and', left, right: parseUnary() };
    }
    return left;
  };
  const parseUnary = (): FilterNode => {
    if (isKeyword('not')) {
      p++;
      return { kind: 'not', operand: parseUnary() };
    }
    return parsePrimary();
  };
  const expect = (kind: '(' | ')' | ','): void => {
    const tk = peek();
    if (tk.t !== kind) {
      throw new ODataQueryError(
        kind === ')'
          ? `')' or operator expected at position ${tk.pos} in '${text}'.`
          : `'${kind}' expected at position ${tk.pos} in '${text}'.`,
      );
    }
    p++;
  };
  const parseOperand = (): Operand => {
    const tk = peek();
    p++;
    switch (tk.t) {
      case 'string':
        return { kind: 'string', value: tk.v };
      case 'datetime':
        return { kind: 'datetime', value: normalizeDateLiteral(tk.v) };
      case 'number':
        return { kind: 'number', value: tk.v };
      case 'ident':
        if (tk.v === 'null') return { kind: 'null' };
        if (tk.v === 'true' || tk.v === 'false') return { kind: 'bool', value: tk.v === 'true' };
        if (peek().t === '(') {
          throw new ODataQueryError(
            `An unknown function with name '${tk.v}' was found. Only startswith is supported in this simulator.`,
          );
        }
        return { kind: 'field', field: resolveField(tk.v, '$filter', options) };
      case 'end':
        throw new ODataQueryError(`Expression expected at position ${tk.pos} in '${text}'.`);
      default:
        throw syntax(tk.pos);
    }
  };
  const parsePrimary = (): FilterNode => {
    const tk = peek();
    if (tk.t === '(') {
      p++;
      const inner = parseOr();
      expect(')');
      return inner;
    }
    if (tk.t === 'ident' && tk.v === 'startswith' && tokens[p + 1]?.t === '(') {
      p += 2;
      const fieldTok = peek();
      if (fieldTok.t !== 'ident') throw syntax(fieldTok.pos);
      p++;
      const field = resolveField(fieldTok.v, '$filter', options);
      expect(',');
      const arg = parseOperand();
      expect(')');
      if (isDateField(field) || arg.kind !== 'string') {
        const found = isDateField(field) ? 'Edm.DateTimeOffset' : typeName(arg);
        throw new ODataQueryError(
          `No function signature for the function with name 'startswith' matches the specified arguments. The function signatures considered are: startswith(Edm.String Nullable=true, Edm.String Nullable=true). Found argument type '${found}'.`,
        );
      }
      return { kind: 'startswith', field, prefix: arg.value };
    }
    const left = parseOperand();
    const opTok = peek();
    if (opTok.t !== 'ident' || !OPS.has(opTok.v)) {
      if (opTok.t === 'end' || opTok.t === ')') {
        throw new ODataQueryError(`The $filter expression must evaluate to a single boolean value.`);
      }
      throw syntax(opTok.pos);
    }
    p++;
    const right = parseOperand();
    return comparison(opTok.v as CompareOp, left, right);
  };

  const node = parseOr();
  const rest = peek();
  if (rest.t !== 'end') throw syntax(rest.pos);
  return node;
}

function typeName(o: Operand): string {
  switch (o.kind) {
    case 'field':
      return isDateField(o.field) ? 'Edm.DateTimeOffset' : 'Edm.String';
    case 'string':
      return 'Edm.String';
    case 'datetime':
      return 'Edm.DateTimeOffset';
    case 'number':
      return o.value.includes('.') ? 'Edm.Decimal' : 'Edm.Int32';
    case 'bool':
      return 'Edm.Boolean';
    case 'null':
      return '<null>';
  }
}

function comparison(op: CompareOp, left: Operand, right: Operand): FilterNode {
  let field: FilterField;
  let literal: Operand;
  let effective = op;
  if (left.kind === 'field' && right.kind !== 'field') {
    field = left.field;
    literal = right;
  } else if (right.kind === 'field' && left.kind !== 'field') {
    field = right.field;
    literal = left;
    effective = MIRROR[op];
  } else {
    throw new ODataQueryError(
      left.kind === 'field'
        ? 'Comparing two properties is not supported by this simulator.'
        : 'A binary operator must compare a property with a literal value.',
    );
  }
  const expected = isDateField(field) ? 'datetime' : 'string';
  if (literal.kind === 'null') return { kind: 'cmp', op: effective, field, value: null };
  if (literal.kind !== expected) {
    const fieldType = isDateField(field) ? 'Edm.DateTimeOffset' : 'Edm.String';
    const [a, b] = left.kind === 'field' ? [fieldType, typeName(literal)] : [typeName(literal), fieldType];
    throw new ODataQueryError(
      `A binary operator with incompatible types was detected. Found operand types '${a}' and '${b}' for operator kind '${OP_NAMES[op]}'.`,
    );
  }
  return { kind: 'cmp', op: effective, field, value: literal.value };
}

export function parseOrderBy(text: string, options: ParseOptions = {}): OrderBy[] {
  const items = text.split(',');
  const out: OrderBy[] = [];
  for (const raw of items) {
    const parts = raw
      .trim()
      .split(/\s+/)
      .filter((s) => s !== '');
    const [name, dir, extra] = parts;
    if (name === undefined || extra !== undefined || (dir !== undefined && dir !== 'asc' && dir !== 'desc')) {
      throw new ODataQueryError(`Syntax error at position ${text.indexOf(raw) + raw.length} in '${text}'.`);
    }
    out.push({ field: resolveField(name, '$orderby', options), direction: dir === 'desc' ? 'desc' : 'asc' });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/** Compiles a filter into a predicate over rows. */
export function compileFilter(node: FilterNode): (row: FilterRow) => boolean {
  switch (node.kind) {
    case 'and': {
      const l = compileFilter(node.left);
      const r = compileFilter(node.right);
      return (row) => l(row) && r(row);
    }
    case 'or': {
      const l = compileFilter(node.left);
      const r = compileFilter(node.right);
      return (row) => l(row) || r(row);
    }
    case 'not': {
      const inner = compileFilter(node.operand);
      return (row) => !inner(row);
    }
    case 'startswith': {
      const field = node.field;
      const prefix = node.prefix.toLowerCase();
      return (row) => {
        const v = row.action[field];
        return typeof v === 'string' && v.toLowerCase().startsWith(prefix);
      };
    }
    case 'cmp':
      return compileComparison(node.op, node.field, node.value);
  }
}

function compileComparison(op: CompareOp, field: FilterField, value: string | null): (row: FilterRow) => boolean {
  const date = isDateField(field);
  const get: (row: FilterRow) => string | null = date
    ? field === 'creationDateTimeUtc'
      ? (row) => row.created
      : (row) => row.updated
    : (row) => {
        const v = row.action[field];
        return typeof v === 'string' ? v.toLowerCase() : null;
      };
  if (value === null) {
    // OData null semantics: only eq/ne are meaningful; ordering comparisons with null are false.
    if (op === 'eq') return (row) => get(row) === null;
    if (op === 'ne') return (row) => get(row) !== null;
    return () => false;
  }
  const lit = date ? value : value.toLowerCase();
  switch (op) {
    case 'eq':
      return (row) => get(row) === lit;
    case 'ne':
      return (row) => get(row) !== lit;
    case 'gt':
      return (row) => {
        const v = get(row);
        return v !== null && v > lit;
      };
    case 'ge':
      return (row) => {
        const v = get(row);
        return v !== null && v >= lit;
      };
    case 'lt':
      return (row) => {
        const v = get(row);
        return v !== null && v < lit;
      };
    case 'le':
      return (row) => {
        const v = get(row);
        return v !== null && v <= lit;
      };
  }
}

/** Bounds on one date field implied by a filter's top-level conjunction, plus what remains. */
export interface RangePlan {
  lower: { value: string; inclusive: boolean } | undefined;
  upper: { value: string; inclusive: boolean } | undefined;
  /** Conjuncts not expressed by the bounds (undefined: none, every row in range matches). */
  residual: FilterNode | undefined;
  /** An `id eq '...'` conjunct, usable as a point lookup. */
  idEquals: string | undefined;
}

/** Splits `filter` (an and-chain) into a range on `field` and a residual filter. */
export function planRange(filter: FilterNode | undefined, field: DateField): RangePlan {
  const plan: RangePlan = { lower: undefined, upper: undefined, residual: undefined, idEquals: undefined };
  if (!filter) return plan;
  const conjuncts: FilterNode[] = [];
  const flatten = (n: FilterNode): void => {
    if (n.kind === 'and') {
      flatten(n.left);
      flatten(n.right);
    } else conjuncts.push(n);
  };
  flatten(filter);
  const rest: FilterNode[] = [];
  for (const c of conjuncts) {
    if (c.kind === 'cmp' && c.field === 'id' && c.op === 'eq' && c.value !== null) plan.idEquals = c.value;
    if (c.kind !== 'cmp' || c.field !== field || c.value === null || c.op === 'ne') {
      rest.push(c);
      continue;
    }
    const v = c.value;
    if (c.op === 'gt' || c.op === 'ge' || c.op === 'eq') {
      const inclusive = c.op !== 'gt';
      const cur = plan.lower;
      if (!cur || v > cur.value || (v === cur.value && !inclusive)) plan.lower = { value: v, inclusive };
    }
    if (c.op === 'lt' || c.op === 'le' || c.op === 'eq') {
      const inclusive = c.op !== 'lt';
      const cur = plan.upper;
      if (!cur || v < cur.value || (v === cur.value && !inclusive)) plan.upper = { value: v, inclusive };
    }
  }
  plan.residual = rest.reduce<FilterNode | undefined>(
    (acc, n) => (acc ? { kind: 'and', left: acc, right: n } : n),
    undefined,
  );
  return plan;
}
