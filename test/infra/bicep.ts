/**
 * A small structural checker for the Bicep files in infra/. No Bicep compiler is available offline
 * (it is a .NET tool downloaded by the Azure CLI), so the tests cannot build the templates; this
 * tokenizer catches what a typo or a bad merge usually breaks: unterminated strings and comments,
 * unbalanced brackets, malformed `param`/`var`/`resource`/`output` declarations, duplicate names,
 * references to undeclared symbols and unknown functions. It follows the Bicep grammar for comments
 * (`//`, `/* *\/`), strings (`'…'` with `\` escapes and `${…}` interpolation, `'''…'''` verbatim) and
 * newline-separated object properties and array items. It does not type-check.
 */

export type TokenKind = 'ident' | 'number' | 'string' | 'punct' | 'newline';

export interface Token {
  kind: TokenKind;
  /** Identifier, number or punctuation as written; for strings the decoded literal parts joined with `${}` holes. */
  text: string;
  line: number;
  /** Strings only: the literal parts (one more than holes). */
  parts?: string[];
  /** Strings only: the tokens of each `${…}` interpolation. */
  holes?: Token[][];
}

export interface Decorator {
  name: string;
  args: Token[];
}

export interface Declaration {
  keyword: 'targetScope' | 'param' | 'var' | 'resource' | 'output' | 'metadata' | 'module';
  name: string;
  line: number;
  decorators: Decorator[];
  /** param/output: the declared type (e.g. `string`, `string[]`). */
  type?: string;
  /** resource/module: the type string, e.g. `Microsoft.Insights/dataCollectionRules@2023-03-11`. */
  resourceType?: string;
  existing?: boolean;
  /** resource: the tokens of the `if (…)` condition, without the parentheses. */
  condition?: Token[];
  /** The expression after `=` (param: the default value, empty when there is none). */
  value: Token[];
}

export interface BicepFile {
  tokens: Token[];
  declarations: Declaration[];
  problems: string[];
}

const PUNCT = [
  '...',
  '=>',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '??',
  '.?',
  '=~',
  '!~',
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  ',',
  ':',
  '.',
  '=',
  '?',
  '!',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '@',
  '|',
];

const OPENERS: Readonly<Record<string, string>> = { '{': '}', '[': ']', '(': ')' };
const CLOSERS = new Set(['}', ']', ')']);

/** Bicep functions (sys and az namespaces) a template in this repository may call. */
const FUNCTIONS = new Set([
  'any',
  'array',
  'base64',
  'base64ToJson',
  'base64ToString',
  'bool',
  'coalesce',
  'concat',
  'contains',
  'dataUri',
  'dataUriToString',
  'deployment',
  'empty',
  'endsWith',
  'environment',
  'extensionResourceId',
  'filter',
  'first',
  'flatten',
  'format',
  'guid',
  'indexOf',
  'int',
  'intersection',
  'items',
  'join',
  'json',
  'last',
  'lastIndexOf',
  'length',
  'listKeys',
  'loadFileAsBase64',
  'loadJsonContent',
  'loadTextContent',
  'loadYamlContent',
  'managementGroup',
  'managementGroupResourceId',
  'map',
  'max',
  'min',
  'newGuid',
  'objectKeys',
  'padLeft',
  'pickZones',
  'range',
  'reduce',
  'reference',
  'replace',
  'resourceGroup',
  'resourceId',
  'shallowMerge',
  'skip',
  'sort',
  'split',
  'startsWith',
  'string',
  'subscription',
  'subscriptionResourceId',
  'substring',
  'take',
  'tenant',
  'tenantResourceId',
  'toLower',
  'toObject',
  'toUpper',
  'trim',
  'union',
  'uniqueString',
  'uri',
  'uriComponent',
  'uriComponentToString',
  'utcNow',
]);

const DECORATORS = new Set([
  'description',
  'minValue',
  'maxValue',
  'minLength',
  'maxLength',
  'allowed',
  'secure',
  'metadata',
  'batchSize',
  'sealed',
  'discriminator',
  'export',
]);

const KEYWORDS = new Set(['true', 'false', 'null', 'if', 'for', 'in', 'existing']);

const TYPES = new Set(['string', 'int', 'bool', 'object', 'array']);

const RESOURCE_TYPE =
  /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)+(\/[A-Za-z][A-Za-z0-9]*)+@\d{4}-\d{2}-\d{2}(-preview)?$/;

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;

class Lexer {
  pos = 0;
  line = 1;
  readonly problems: string[] = [];

  constructor(private readonly src: string) {}

  /** Tokens until the end, or (inside an interpolation) until the `}` that closes it. */
  lex(inHole: boolean): Token[] {
    const out: Token[] = [];
    let depth = 0;
    const s = this.src;
    while (this.pos < s.length) {
      const ch = s.charAt(this.pos);
      if (ch === '\n') {
        if (inHole) this.problems.push(`line ${this.line}: line break inside an interpolation`);
        if (out.at(-1)?.kind !== 'newline') out.push({ kind: 'newline', text: '\n', line: this.line });
        this.line++;
        this.pos++;
      } else if (ch === ' ' || ch === '\t' || ch === '\r') {
        this.pos++;
      } else if (s.startsWith('//', this.pos)) {
        while (this.pos < s.length && s.charAt(this.pos) !== '\n') this.pos++;
      } else if (s.startsWith('/*', this.pos)) {
        const end = s.indexOf('*/', this.pos + 2);
        if (end === -1) {
          this.problems.push(`line ${this.line}: unterminated /* comment`);
          this.pos = s.length;
        } else {
          for (let i = this.pos; i < end; i++) if (s.charAt(i) === '\n') this.line++;
          this.pos = end + 2;
        }
      } else if (s.startsWith("'''", this.pos)) {
        out.push(this.verbatim());
      } else if (ch === "'") {
        out.push(this.string());
      } else if (IDENT_START.test(ch)) {
        const start = this.pos;
        while (this.pos < s.length && IDENT_PART.test(s.charAt(this.pos))) this.pos++;
        out.push({ kind: 'ident', text: s.slice(start, this.pos), line: this.line });
      } else if (/[0-9]/.test(ch)) {
        const start = this.pos;
        while (this.pos < s.length && /[0-9]/.test(s.charAt(this.pos))) this.pos++;
        out.push({ kind: 'number', text: s.slice(start, this.pos), line: this.line });
      } else {
        if (inHole && ch === '}' && depth === 0) {
          this.pos++;
          return out;
        }
        const p = PUNCT.find((x) => s.startsWith(x, this.pos));
        if (p === undefined) {
          this.problems.push(`line ${this.line}: unexpected character ${JSON.stringify(ch)}`);
          this.pos++;
          continue;
        }
        if (p === '{') depth++;
        if (p === '}') depth--;
        out.push({ kind: 'punct', text: p, line: this.line });
        this.pos += p.length;
      }
    }
    if (inHole) this.problems.push(`line ${this.line}: unterminated \${ interpolation`);
    return out;
  }

  private verbatim(): Token {
    const line = this.line;
    const end = this.src.indexOf("'''", this.pos + 3);
    if (end === -1) {
      this.problems.push(`line ${line}: unterminated ''' string`);
      this.pos = this.src.length;
      return { kind: 'string', text: '', line, parts: [''], holes: [] };
    }
    const text = this.src.slice(this.pos + 3, end);
    this.line += text.split('\n').length - 1;
    this.pos = end + 3;
    return { kind: 'string', text, line, parts: [text], holes: [] };
  }

  private string(): Token {
    const line = this.line;
    const s = this.src;
    const parts: string[] = [];
    const holes: Token[][] = [];
    let current = '';
    this.pos++;
    for (;;) {
      if (this.pos >= s.length || s.charAt(this.pos) === '\n') {
        this.problems.push(`line ${line}: unterminated string`);
        break;
      }
      const ch = s.charAt(this.pos);
      if (ch === "'") {
        this.pos++;
        break;
      }
      if (ch === '\\') {
        const next = s.charAt(this.pos + 1);
        const simple: Record<string, string> = { '\\': '\\', "'": "'", n: '\n', r: '\r', t: '\t', $: '$' };
        if (next in simple) {
          current += simple[next];
          this.pos += 2;
        } else if (next === 'u' && s.charAt(this.pos + 2) === '{') {
          const close = s.indexOf('}', this.pos + 3);
          current += String.fromCodePoint(parseInt(s.slice(this.pos + 3, close), 16));
          this.pos = close + 1;
        } else {
          this.problems.push(`line ${line}: invalid escape \\${next} in a string`);
          this.pos += 2;
        }
      } else if (s.startsWith('${', this.pos)) {
        parts.push(current);
        current = '';
        this.pos += 2;
        const hole = this.lex(true);
        if (hole.length === 0) this.problems.push(`line ${line}: empty \${} interpolation`);
        holes.push(hole);
      } else {
        current += ch;
        this.pos++;
      }
    }
    parts.push(current);
    return { kind: 'string', text: parts.join('${}'), line, parts, holes };
  }
}

/** Every token, descending into interpolations. */
export function allTokens(tokens: readonly Token[]): Token[] {
  const out: Token[] = [];
  for (const t of tokens) {
    out.push(t);
    for (const hole of t.holes ?? []) out.push(...allTokens(hole));
  }
  return out;
}

function checkBalance(tokens: readonly Token[], problems: string[]): void {
  const stack: Token[] = [];
  for (const t of tokens) {
    for (const hole of t.holes ?? []) checkBalance(hole, problems);
    if (t.kind !== 'punct') continue;
    if (t.text in OPENERS) stack.push(t);
    else if (CLOSERS.has(t.text)) {
      const open = stack.pop();
      if (open === undefined) problems.push(`line ${t.line}: unmatched ${t.text}`);
      else if (OPENERS[open.text] !== t.text)
        problems.push(`line ${t.line}: ${t.text} closes ${open.text} of line ${open.line}`);
    }
  }
  for (const open of stack) problems.push(`line ${open.line}: ${open.text} is never closed`);
}

/** Index of the token that closes the bracket at `open`, or -1. */
export function matching(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'punct') continue;
    if (t.text in OPENERS) depth++;
    else if (CLOSERS.has(t.text)) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Top-level statements: token runs separated by newlines outside brackets. */
function statements(tokens: readonly Token[]): Token[][] {
  const out: Token[][] = [];
  let current: Token[] = [];
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'newline' && depth === 0) {
      if (current.length > 0) out.push(current);
      current = [];
      continue;
    }
    if (t.kind === 'punct' && t.text in OPENERS) depth++;
    if (t.kind === 'punct' && CLOSERS.has(t.text)) depth = Math.max(0, depth - 1);
    current.push(t);
  }
  if (current.length > 0) out.push(current);
  return out;
}

function isPunct(t: Token | undefined, text: string): boolean {
  return t !== undefined && t.kind === 'punct' && t.text === text;
}

/** A declared type: `string`, `string[]`, `object?`. Returns the number of tokens it takes, or 0. */
function typeLength(tokens: readonly Token[], at: number): number {
  const t = tokens[at];
  if (t?.kind !== 'ident' || !TYPES.has(t.text)) return 0;
  if (isPunct(tokens[at + 1], '[') && isPunct(tokens[at + 2], ']')) return 3;
  if (isPunct(tokens[at + 1], '?')) return 2;
  return 1;
}

/**
 * An expression must be non-empty and must not end with an operator. (Its brackets close inside it:
 * the file is balanced and a statement only ends at a line break outside brackets.)
 */
function checkExpression(value: readonly Token[], where: string, problems: string[]): void {
  const last = value.at(-1);
  if (last === undefined) problems.push(`${where}: missing value after =`);
  else if (last.kind === 'punct' && !CLOSERS.has(last.text))
    problems.push(`${where}: the value ends with ${last.text}`);
}

function parseDeclaration(st: Token[], decorators: Decorator[], problems: string[]): Declaration | undefined {
  const head = st[0]!;
  const where = `line ${head.line}`;
  const name = st[1];
  const bad = (what: string): undefined => {
    problems.push(`${where}: malformed ${head.text} declaration (${what})`);
    return undefined;
  };
  switch (head.text) {
    case 'targetScope': {
      if (!isPunct(st[1], '=') || st[2]?.kind !== 'string' || st.length !== 3)
        return bad("expected targetScope = '<scope>'");
      if (!['resourceGroup', 'subscription', 'managementGroup', 'tenant'].includes(st[2].text))
        return bad(`unknown scope ${st[2].text}`);
      return { keyword: 'targetScope', name: 'targetScope', line: head.line, decorators, value: st.slice(2) };
    }
    case 'param':
    case 'output': {
      if (name?.kind !== 'ident') return bad('expected a name');
      const n = typeLength(st, 2);
      if (n === 0) return bad(`expected a type (string, int, bool, object, array) after ${name.text}`);
      const type = st
        .slice(2, 2 + n)
        .map((t) => t.text)
        .join('');
      const rest = st.slice(2 + n);
      if (head.text === 'output' && !isPunct(rest[0], '=')) return bad('an output needs = <value>');
      if (rest.length > 0 && !isPunct(rest[0], '=')) return bad(`unexpected ${rest[0]!.text} after the type`);
      const value = rest.slice(1);
      if (rest.length > 0) checkExpression(value, where, problems);
      return { keyword: head.text, name: name.text, line: head.line, decorators, type, value };
    }
    case 'var':
    case 'metadata': {
      if (name?.kind !== 'ident') return bad('expected a name');
      if (!isPunct(st[2], '=')) return bad('expected = after the name');
      const value = st.slice(3);
      checkExpression(value, where, problems);
      return { keyword: head.text, name: name.text, line: head.line, decorators, value };
    }
    case 'resource':
    case 'module': {
      if (name?.kind !== 'ident') return bad('expected a symbolic name');
      const type = st[2];
      if (type?.kind !== 'string' || (type.holes?.length ?? 0) > 0)
        return bad('expected a type string without interpolation');
      if (head.text === 'resource' && !RESOURCE_TYPE.test(type.text))
        return bad(`'${type.text}' is not <Namespace>/<type>@<api-version>`);
      let i = 3;
      const existing = st[i]?.kind === 'ident' && st[i]!.text === 'existing';
      if (existing) i++;
      if (!isPunct(st[i], '=')) return bad('expected =');
      i++;
      let condition: Token[] | undefined;
      if (st[i]?.kind === 'ident' && st[i]!.text === 'if') {
        if (!isPunct(st[i + 1], '(')) return bad('expected ( after if');
        const close = matching(st, i + 1);
        if (close === -1) return bad('the condition is never closed');
        condition = st.slice(i + 2, close);
        if (condition.length === 0) return bad('empty condition');
        i = close + 1;
      }
      const body = st.slice(i);
      const open = body[0];
      if (isPunct(open, '{')) {
        if (matching(body, 0) !== body.length - 1) return bad('the body must be one { … } object');
      } else if (isPunct(open, '[') && body[1]?.kind === 'ident' && body[1].text === 'for') {
        if (matching(body, 0) !== body.length - 1) return bad('the loop must be one [for … ] expression');
      } else return bad('expected a { … } body');
      return {
        keyword: head.text,
        name: name.text,
        line: head.line,
        decorators,
        resourceType: type.text,
        existing,
        ...(condition ? { condition } : {}),
        value: body,
      };
    }
    default:
      problems.push(`${where}: unexpected statement starting with ${JSON.stringify(head.text)}`);
      return undefined;
  }
}

/** Names introduced inside expressions: `for x in`, `for (x, i) in`, lambda `x =>` and `(x, y) =>`. */
function localNames(tokens: readonly Token[]): Set<string> {
  const names = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'ident' && t.text === 'for') {
      const next = tokens[i + 1];
      if (next?.kind === 'ident') names.add(next.text);
      else if (isPunct(next, '(')) {
        for (let j = i + 2; j < tokens.length && !isPunct(tokens[j], ')'); j++)
          if (tokens[j]!.kind === 'ident') names.add(tokens[j]!.text);
      }
    }
    if (isPunct(t, '=>')) {
      const prev = tokens[i - 1];
      if (prev?.kind === 'ident') names.add(prev.text);
      else if (isPunct(prev, ')')) {
        for (let j = i - 2; j >= 0 && !isPunct(tokens[j], '('); j--)
          if (tokens[j]!.kind === 'ident') names.add(tokens[j]!.text);
      }
    }
  }
  return names;
}

/** Identifiers used as values (not property names, object keys, functions or keywords). */
export function references(tokens: readonly Token[]): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    for (const hole of t.holes ?? []) out.push(...references(hole));
    if (t.kind !== 'ident' || KEYWORDS.has(t.text)) continue;
    const prev = tokens[i - 1];
    const next = tokens[i + 1];
    if (isPunct(prev, '.') || isPunct(prev, '.?')) continue; // property access
    if (isPunct(next, ':') && (prev === undefined || prev.kind === 'newline' || isPunct(prev, '{'))) continue; // object key
    if (isPunct(next, '(')) continue; // function call, checked separately
    out.push(t);
  }
  return out;
}

function checkNames(file: BicepFile): void {
  const { declarations, problems } = file;
  const symbols = new Map<string, Declaration>();
  const outputs = new Set<string>();
  for (const d of declarations) {
    if (d.keyword === 'targetScope') continue;
    if (d.keyword === 'output') {
      if (outputs.has(d.name)) problems.push(`line ${d.line}: output ${d.name} is declared twice`);
      outputs.add(d.name);
      continue;
    }
    if (symbols.has(d.name)) problems.push(`line ${d.line}: ${d.name} is declared twice`);
    symbols.set(d.name, d);
    for (const dec of d.decorators)
      if (!DECORATORS.has(dec.name)) problems.push(`line ${d.line}: unknown decorator @${dec.name}`);
  }
  for (const d of declarations) {
    const exprs = [d.value, d.condition ?? [], ...d.decorators.map((x) => x.args)];
    for (const expr of exprs) {
      const all = allTokens(expr);
      const locals = localNames(all);
      for (const ref of references(expr)) {
        if (!symbols.has(ref.text) && !locals.has(ref.text) && !TYPES.has(ref.text))
          problems.push(`line ${ref.line}: ${ref.text} is not declared`);
        if (ref.text === d.name && d.keyword !== 'output')
          problems.push(`line ${ref.line}: ${d.name} refers to itself`);
      }
      for (let i = 0; i < all.length; i++) {
        const t = all[i]!;
        if (
          t.kind === 'ident' &&
          isPunct(all[i + 1], '(') &&
          !isPunct(all[i - 1], '.') &&
          !FUNCTIONS.has(t.text) &&
          !KEYWORDS.has(t.text)
        ) {
          problems.push(`line ${t.line}: unknown function ${t.text}()`);
        }
      }
    }
  }
}

/** Tokenizes and checks a Bicep file. */
export function parseBicep(src: string): BicepFile {
  const lexer = new Lexer(src);
  const tokens = lexer.lex(false);
  const problems = [...lexer.problems];
  checkBalance(tokens, problems);
  const declarations: Declaration[] = [];
  const file: BicepFile = { tokens, declarations, problems };
  if (problems.length > 0) return file;
  let decorators: Decorator[] = [];
  for (const st of statements(tokens)) {
    const head = st[0]!;
    if (isPunct(head, '@')) {
      const name = st[1];
      if (name?.kind !== 'ident' || !isPunct(st[2], '(') || matching(st, 2) !== st.length - 1) {
        problems.push(`line ${head.line}: malformed decorator`);
        continue;
      }
      decorators.push({ name: name.text, args: st.slice(3, -1) });
      continue;
    }
    if (head.kind !== 'ident') {
      problems.push(`line ${head.line}: unexpected ${JSON.stringify(head.text)} at the start of a statement`);
      decorators = [];
      continue;
    }
    const d = parseDeclaration(st, decorators, problems);
    decorators = [];
    if (d !== undefined) declarations.push(d);
  }
  if (decorators.length > 0) problems.push('a decorator at the end of the file decorates nothing');
  checkNames(file);
  return file;
}

/** The properties of the object whose `{` is `value[0]`: key → value tokens. Keys may be identifiers or strings. */
export function objectProperties(value: readonly Token[]): Map<string, Token[]> {
  if (!isPunct(value[0], '{')) throw new Error(`line ${value[0]?.line ?? '?'}: not an object`);
  const close = matching(value, 0);
  const props = new Map<string, Token[]>();
  let i = 1;
  while (i < close) {
    const t = value[i]!;
    if (t.kind === 'newline') {
      i++;
      continue;
    }
    if ((t.kind !== 'ident' && t.kind !== 'string') || !isPunct(value[i + 1], ':'))
      throw new Error(`line ${t.line}: expected a property, found ${t.text}`);
    const key =
      t.kind === 'string' && (t.holes?.length ?? 0) > 0
        ? `\${${t.holes!.map((h) => h.map((x) => x.text).join('')).join('}${')}}`
        : t.text;
    if (props.has(key)) throw new Error(`line ${t.line}: property ${key} appears twice`);
    let j = i + 2;
    let depth = 0;
    const start = j;
    for (; j < close; j++) {
      const v = value[j]!;
      if (v.kind === 'newline' && depth === 0) break;
      if (v.kind === 'punct' && v.text in OPENERS) depth++;
      if (v.kind === 'punct' && CLOSERS.has(v.text)) depth--;
    }
    const tokens = value.slice(start, j);
    if (tokens.length === 0) throw new Error(`line ${t.line}: property ${key} has no value`);
    props.set(key, tokens);
    i = j;
  }
  return props;
}

/** The items of the array whose `[` is `value[0]` (newline-separated, as Bicep writes them). */
export function arrayItems(value: readonly Token[]): Token[][] {
  if (!isPunct(value[0], '[')) throw new Error(`line ${value[0]?.line ?? '?'}: not an array`);
  const close = matching(value, 0);
  const items: Token[][] = [];
  let current: Token[] = [];
  let depth = 0;
  for (let i = 1; i < close; i++) {
    const t = value[i]!;
    if (t.kind === 'newline' && depth === 0) {
      if (current.length > 0) items.push(current);
      current = [];
      continue;
    }
    if (t.kind === 'punct' && t.text in OPENERS) depth++;
    if (t.kind === 'punct' && CLOSERS.has(t.text)) depth--;
    current.push(t);
  }
  if (current.length > 0) items.push(current);
  return items;
}

/** The value at a property path of an object expression (`['properties', 'schema', 'columns']`). */
export function property(value: readonly Token[], path: readonly string[]): Token[] {
  let current: Token[] = [...value];
  for (const key of path) {
    const found = objectProperties(current).get(key);
    if (found === undefined) throw new Error(`no property ${path.join('.')} (missing ${key})`);
    current = found;
  }
  return current;
}

/** Tokens as compact text (`dcr.properties.endpoints.logsIngestion`, `'source'`), for comparisons. */
export function text(tokens: readonly Token[]): string {
  const tight = new Set(['.', '.?', '(', ')', ',', '[', ']']);
  let out = '';
  let prev: Token | undefined;
  for (const t of tokens) {
    if (t.kind === 'newline') continue;
    const shown =
      t.kind === 'string'
        ? `'${t.parts!.map((p, i) => (i < t.holes!.length ? `${p}\${${text(t.holes![i]!)}}` : p)).join('')}'`
        : t.text;
    const glue =
      prev === undefined ||
      (prev.kind === 'punct' && tight.has(prev.text)) ||
      (t.kind === 'punct' && tight.has(t.text));
    out += (glue ? '' : ' ') + shown;
    prev = t;
  }
  return out;
}
