import assert from 'node:assert/strict';
import type { QueryResult, QueryShape, QuerySpec } from '../../src/core/query.js';
import { compileKql } from '../../src/queries/kql.js';
import { compileSql, type CompiledSql } from '../../src/queries/sql.js';
import { createSqliteQueryBackend } from '../../src/queries/sqlite-backend.js';
import { deviceMatch } from '../../src/queries/spec.js';
import type { SqliteAuditStore } from '../../src/store/sqlite-store.js';
import { datasetStore } from './dataset.js';
import { kqlDiagnostics, kqlTokens, stringLiteralKind } from './kusto.js';
import { WORKSPACES } from './kql-tables.js';

/**
 * Hostile user text in every field that reaches a query (device, requestor, machineId, actionId):
 * in KQL it must stay exactly one string literal whose decoded value is the input (for devices:
 * the trimmed, lower-cased input the matching rule uses), leave the rest of the query token for
 * token identical, and keep the query free of diagnostics; in SQL it must only ever be a bound
 * parameter, and running the statement must return nothing and throw nothing.
 */

const FIXED: readonly string[] = [
  "'",
  '"',
  '\\',
  'trailing backslash\\',
  "\\'",
  "x' or 1==1 or '",
  "'; drop table actions; --",
  "') | take 1 //",
  '") | take 1 //',
  "ws-042' | union (MDEMachineActions_CL) | where '1'=='1",
  '// comment',
  'a // b\n| take 1',
  '/* not a comment in KQL */',
  'line1\nline2',
  'cr\rlf\r\n',
  'tab\there',
  'nul\u0000byte',
  '\u0001\u0002\u0003\u001f\u007f\u0085',
  '| where 1 == 1',
  '|',
  ';',
  '```multi```',
  "@'verbatim'",
  "h'obfuscated'",
  '{"json": true}',
  '$(whoami)',
  '%_*?[]',
  'rtl \u202eevil\u202c mark \u200f\u200e',
  'bidi isolate \u2066x\u2069',
  'line sep \u2028 para sep \u2029',
  'bom \ufeff zwsp \u200b soft\u00adhyphen',
  'emoji 😀🔥 flags 🇫🇷',
  'lone surrogate \ud800 x \udfff',
  'İstanbul ß ǅ',
  "中文名.例子.com'",
  "WS-042.contoso.com'",
  "ws-042'",
  " ws-042'\t",
  '.',
  "'.'",
  "a.b'",
  '\\u0027',
  '\\x27',
  "'" + 'x'.repeat(20_000) + "'",
  '\\'.repeat(1001),
  "'".repeat(1001),
];

/** mulberry32: a small deterministic generator. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  "'",
  '"',
  '\\',
  '\n',
  '\r',
  '\t',
  '\u0000',
  '\u0007',
  '\u001b',
  '\u007f',
  '\u0085',
  '|',
  '/',
  '//',
  ';',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '`',
  '```',
  '@',
  'h',
  'H',
  '$',
  '%',
  '*',
  ' ',
  '.',
  '-',
  '=',
  '==',
  '=~',
  '!',
  '\u200f',
  '\u202e',
  '\u2028',
  '\u2029',
  '\ufeff',
  '😀',
  '\ud800',
  '\udc00',
  'é',
  'İ',
  'ß',
  '中',
  'a',
  'z',
  'A',
  'Z',
  '0',
  '9',
  'ws-042',
  'take',
  'where',
  'let',
  'union',
  'drop',
  'or',
  'and',
  'datetime(',
  'ago(',
  "dynamic(['",
  'TimeGenerated',
];

/** True when the text has a quote, backslash, pipe or C0 control character (none of which a stored name, id or requestor has). */
function hasHostileCharacter(text: string): boolean {
  return [...text].some((ch) => ch === "'" || ch === '"' || ch === '\\' || ch === '|' || ch.charCodeAt(0) < 0x20);
}

/** Hostile strings that can never match a stored name, id or requestor: each carries a quote, backslash, pipe or control character. */
function generated(count: number, seed: number): string[] {
  const next = random(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const length = Math.floor(next() * 24);
    let s = '';
    for (let j = 0; j < length; j++) s += PIECES[Math.floor(next() * PIECES.length)];
    if (!hasHostileCharacter(s)) s += ["'", '"', '\\', '|', '\n'][Math.floor(next() * 5)];
    out.push(s);
  }
  return out;
}

const PAYLOADS: readonly string[] = [...new Set([...FIXED, ...generated(100, 20261130)])];

type Field = 'device' | 'requestor' | 'machineId' | 'actionId';
const FIELDS: readonly Field[] = ['device', 'requestor', 'machineId', 'actionId'];

/** The value the query must carry for a payload: devices are trimmed and lower-cased by the matching rule. */
function carried(field: Field, payload: string): string {
  if (field !== 'device') return payload;
  const m = deviceMatch(payload);
  return m.kind === 'fqdn' ? m.full : m.short;
}

/** A harmless value of the same kind (a device FQDN stays an FQDN), to compare query structure with. */
function placeholder(field: Field, payload: string): string {
  return field === 'device' && deviceMatch(payload).kind === 'fqdn' ? 'zzplaceholder.example' : 'zzplaceholder';
}

function specFor(shape: QueryShape, field: Field, value: string): QuerySpec {
  return { shape, [field]: value, limit: 10, offset: 0 };
}

const KQL_SHAPES: readonly QueryShape[] = ['list', 'countByRequestor', 'isolation', 'one'];

describe('queries/fuzz: hostile user text', function () {
  this.timeout(600_000);

  it(`has ${PAYLOADS.length} distinct payloads; the generated ones each carry a quote, backslash, pipe or control character`, () => {
    assert.ok(PAYLOADS.length > FIXED.length + 90);
    for (const p of generated(100, 20261130)) assert.ok(hasHostileCharacter(p), JSON.stringify(p));
  });

  describe('KQL', () => {
    const literal = stringLiteralKind();

    it('the structural check catches an unescaped value (it is not vacuous)', () => {
      const tables = WORKSPACES[0]!.tables;
      const benign = compileKql(specFor('list', 'requestor', 'zzplaceholder'), 'dcr');
      for (const raw of ["x') | take 1 //", "x'\n| take 1", "x' or '1'=='1"]) {
        const injected = benign.replace("'zzplaceholder'", `'${raw}'`);
        const a = kqlTokens(injected, tables);
        const b = kqlTokens(benign, tables);
        const same = a.length === b.length && a.every((t, i) => t.kind === b[i]!.kind && t.trivia === b[i]!.trivia);
        assert.ok(!same, raw);
      }
    });

    for (const schema of ['dcr', 'legacy'] as const) {
      const tables = WORKSPACES.find((w) => w.schema === schema)!.tables;

      it(`${schema}: each payload is exactly one string literal decoding to the input; the rest of the query is unchanged`, () => {
        let checked = 0;
        for (const field of FIELDS) {
          for (const shape of KQL_SHAPES) {
            if ((field === 'actionId') !== (shape === 'one')) continue;
            for (const payload of PAYLOADS) {
              const label = `${schema} ${shape} ${field} ${JSON.stringify(payload).slice(0, 80)}`;
              const hostile = kqlTokens(compileKql(specFor(shape, field, payload), schema), tables);
              const benign = kqlTokens(compileKql(specFor(shape, field, placeholder(field, payload)), schema), tables);
              assert.equal(hostile.length, benign.length, `${label}: token count`);
              const differing: number[] = [];
              hostile.forEach((t, i) => {
                const b = benign[i]!;
                assert.equal(t.kind, b.kind, `${label}: token ${i} kind`);
                assert.equal(t.trivia, b.trivia, `${label}: trivia (whitespace/comments) before token ${i}`);
                if (t.text !== b.text) differing.push(i);
              });
              assert.equal(differing.length, 1, `${label}: exactly one token carries the payload`);
              const token = hostile[differing[0]!]!;
              assert.equal(token.kind, literal, `${label}: the payload token is a string literal`);
              assert.equal(token.value, carried(field, payload), `${label}: decoded value`);
              checked++;
            }
          }
        }
        assert.ok(checked >= PAYLOADS.length * 4);
      });

      it(`${schema}: queries with hostile values have no diagnostics`, () => {
        for (const field of FIELDS) {
          const shape: QueryShape = field === 'actionId' ? 'one' : 'list';
          for (const payload of PAYLOADS) {
            const query = compileKql(specFor(shape, field, payload), schema);
            assert.deepEqual(
              kqlDiagnostics(query, tables),
              [],
              `${schema} ${field} ${JSON.stringify(payload).slice(0, 80)}`,
            );
          }
        }
      });
    }
  });

  describe('SQL', () => {
    let store: SqliteAuditStore;
    before(() => {
      store = datasetStore();
    });
    after(() => store.close());

    const SQL_SHAPES: readonly QueryShape[] = [
      'list',
      'countByType',
      'countByDevice',
      'countByDay',
      'isolation',
      'one',
    ];

    function texts(c: CompiledSql): string[] {
      return [c.main.sql, c.total?.sql ?? '', c.history?.sql ?? ''];
    }

    it('each payload is only a bound parameter: the SQL text is the same as for a harmless value', () => {
      for (const field of FIELDS) {
        for (const shape of SQL_SHAPES) {
          for (const payload of PAYLOADS) {
            const label = `${shape} ${field} ${JSON.stringify(payload).slice(0, 80)}`;
            const hostile = compileSql(specFor(shape, field, payload));
            const benign = compileSql(specFor(shape, field, placeholder(field, payload)));
            assert.deepEqual(texts(hostile), texts(benign), label);
            if ((field === 'actionId') === (shape === 'one')) {
              assert.ok(hostile.main.params.includes(carried(field, payload)), `${label}: value bound as a parameter`);
            }
          }
        }
      }
    });

    it('running the statements returns no rows and throws nothing', async () => {
      const backend = createSqliteQueryBackend(store);
      const empty = (r: QueryResult): boolean =>
        r.shape === 'one'
          ? r.row === null && r.history.length === 0
          : r.shape === 'isolation'
            ? r.rows.length === 0
            : r.rows.length === 0 && r.total === 0;
      for (const field of FIELDS) {
        for (const shape of SQL_SHAPES) {
          if (field === 'actionId' && shape !== 'one') continue;
          for (const payload of PAYLOADS) {
            const r = await backend.run(specFor(shape, field, payload));
            assert.ok(
              empty(r),
              `${shape} ${field} ${JSON.stringify(payload).slice(0, 80)}: ${JSON.stringify(r).slice(0, 200)}`,
            );
          }
        }
      }
    });
  });
});
