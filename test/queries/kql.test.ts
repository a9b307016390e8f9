import assert from 'node:assert/strict';
import type { KqlSchema, QueryShape, QuerySpec, TimeRange } from '../../src/core/query.js';
import { UsageError } from '../../src/core/errors.js';
import { compileKql, compileKqlQueries, kqlString } from '../../src/queries/kql.js';
import { DCR_TABLE, LEGACY_COLUMNS, LEGACY_TABLE } from '../../src/queries/schema.js';
import { kqlDiagnostics, kqlResultColumns, kqlTokens, stringLiteralKind } from './kusto.js';
import { expectedColumns, WORKSPACES } from './kql-tables.js';

const SHAPES: readonly QueryShape[] = [
  'list',
  'countByType',
  'countByStatus',
  'countByRequestor',
  'countByDevice',
  'countByMachine',
  'countByDay',
  'isolation',
  'one',
];

const AGO_7: TimeRange = { from: '2026-11-23T12:00:00.000Z', source: { kind: 'ago', days: 7 }, label: 'last 7 days' };
const SINCE: TimeRange = {
  from: '2026-01-01T00:00:00.000Z',
  source: { kind: 'since', date: '2026-01-01' },
  label: 'since 2026-01-01',
};
const ABSOLUTE: TimeRange = {
  from: '2026-11-22T12:00:00.000Z',
  to: '2026-11-29T00:00:00.500Z',
  source: { kind: 'absolute' },
  label: 'a week',
};
const AGO_WITH_TO: TimeRange = { ...AGO_7, to: '2026-11-30T00:00:00.000Z' };

/** Filter combinations: none, each alone, and all together, with every range form. */
const FILTERS: readonly Omit<QuerySpec, 'shape'>[] = [
  {},
  { range: AGO_7 },
  { range: SINCE },
  { range: ABSOLUTE },
  { range: AGO_WITH_TO },
  { device: 'ws-042' },
  { device: 'WS-042.contoso.com' },
  { machineId: 'a1'.repeat(20) },
  { requestor: 'Alex.Wilber@contoso.com' },
  { requestor: '2f48b784-5da5-4e61-9957-012d2630f1e4' },
  { types: ['Isolate'] },
  { types: ['Isolate', 'Unisolate'] },
  { statuses: ['Pending', 'InProgress'] },
  { statuses: ['Failed', 'TimeOut'] },
  { actionId: '00000000-0000-4000-8000-000000000003' },
  { limit: 11 },
  { limit: 10, offset: 20 },
  { offset: 5 },
  { limit: 0 },
  { top: 5 },
  {
    range: ABSOLUTE,
    device: 'ws-042',
    machineId: 'b2'.repeat(20),
    requestor: "o'brien@contoso.com",
    types: ['Isolate', 'RunAntiVirusScan'],
    statuses: ['Succeeded', 'Pending'],
    limit: 25,
    offset: 50,
    top: 10,
  },
  {
    range: AGO_WITH_TO,
    device: 'ws-042.contoso.com',
    requestor: 'x',
    statuses: ['Failed'],
    types: ['Unisolate'],
    limit: 5,
  },
];

function allQueries(spec: QuerySpec, schema: KqlSchema): [string, string][] {
  return Object.entries(compileKqlQueries(spec, schema)).filter((e): e is [string, string] => typeof e[1] === 'string');
}

describe('queries/kql compiler', () => {
  describe('Kusto parser and analyser', function () {
    this.timeout(120_000);

    for (const ws of WORKSPACES) {
      it(`every shape × filter combination has no diagnostic against ${ws.label}`, () => {
        let checked = 0;
        for (const shape of SHAPES) {
          for (const filter of FILTERS) {
            for (const [part, query] of allQueries({ shape, ...filter }, ws.schema)) {
              assert.deepEqual(
                kqlDiagnostics(query, ws.tables),
                [],
                `${shape} ${part} ${JSON.stringify(filter)}\n${query}`,
              );
              checked++;
            }
          }
        }
        assert.ok(checked >= SHAPES.length * FILTERS.length);
      });
    }

    it('the bounded isolation list ("isolated" asks for the newest 100) parses in every workspace', () => {
      for (const ws of WORKSPACES) {
        const q = compileKql({ shape: 'isolation', limit: 100 }, ws.schema);
        assert.match(q, /\| take 100\n\| extend total = _total$/);
        assert.deepEqual(kqlDiagnostics(q, ws.tables), [], `${ws.label}\n${q}`);
      }
    });

    it('reports problems when they exist (the check is not vacuous)', () => {
      const [dcr, legacy] = WORKSPACES;
      assert.notDeepEqual(kqlDiagnostics(`${DCR_TABLE} | where NoSuchColumn == 1`, dcr!.tables), []);
      assert.notDeepEqual(kqlDiagnostics(`${LEGACY_TABLE} | where requestor_g == ''`, WORKSPACES.at(-1)!.tables), []);
      assert.notDeepEqual(kqlDiagnostics(`${DCR_TABLE} | where ActionId == 'x`, dcr!.tables), []);
      assert.notDeepEqual(kqlDiagnostics(`${DCR_TABLE}\n\n| take 1`, dcr!.tables), []);
      // The DCR queries do not run against the legacy table, and the reverse.
      assert.notDeepEqual(kqlDiagnostics(compileKql({ shape: 'list' }, 'dcr'), legacy!.tables), []);
    });

    it('every query returns the MDE API column names and types, identical for both schemas', () => {
      for (const ws of WORKSPACES) {
        for (const shape of SHAPES) {
          for (const filter of [{}, FILTERS.at(-2)!]) {
            for (const [part, query] of allQueries({ shape, ...filter }, ws.schema)) {
              assert.deepEqual(
                kqlResultColumns(query, ws.tables),
                expectedColumns(shape, part),
                `${ws.label} ${shape} ${part}\n${query}`,
              );
            }
          }
        }
      }
    });
  });

  describe('text', () => {
    it('writes the range as the user said it: ago(), a date, or an instant; the end is exclusive', () => {
      assert.match(compileKql({ shape: 'list', range: AGO_7 }, 'dcr'), /^let _from = ago\(7d\);$/m);
      assert.match(compileKql({ shape: 'list', range: SINCE }, 'dcr'), /^let _from = datetime\(2026-01-01\);$/m);
      const abs = compileKql({ shape: 'list', range: ABSOLUTE }, 'legacy');
      assert.match(abs, /^let _from = datetime\(2026-11-22T12:00:00Z\);$/m);
      assert.match(abs, /^let _to = datetime\(2026-11-29T00:00:00\.5Z\);$/m);
      assert.match(abs, /\| where creationDateTimeUtc_t >= _from and creationDateTimeUtc_t < _to$/m);
      // A "since" date that disagrees with `from`, or odd day counts, fall back to the instant.
      assert.match(
        compileKql({ shape: 'list', range: { ...SINCE, source: { kind: 'since', date: '2025-01-01' } } }, 'dcr'),
        /datetime\(2026-01-01T00:00:00Z\)/,
      );
      assert.match(
        compileKql({ shape: 'list', range: { ...AGO_7, source: { kind: 'ago', days: -1 } } }, 'dcr'),
        /datetime\(2026-11-23T12:00:00Z\)/,
      );
      assert.match(
        compileKql({ shape: 'list', range: { ...AGO_7, source: { kind: 'ago', days: 1e-7 } } }, 'dcr'),
        /datetime\(2026-11-23T12:00:00Z\)/,
      );
      assert.match(
        compileKql({ shape: 'list', range: { ...AGO_7, source: { kind: 'ago', days: 1.5 } } }, 'dcr'),
        /ago\(1\.5d\)/,
      );
    });

    it('pre-filters TimeGenerated with the range start (never the end) for partition pruning', () => {
      for (const schema of ['dcr', 'legacy'] as const) {
        const q = compileKql({ shape: 'countByType', range: AGO_WITH_TO }, schema);
        assert.match(q, /^\| where TimeGenerated >= _from$/m, schema);
        assert.doesNotMatch(q, /TimeGenerated <|TimeGenerated >= _to/, schema);
        assert.doesNotMatch(compileKql({ shape: 'countByType' }, schema), /TimeGenerated >=/, schema);
      }
    });

    it('keeps only the latest version of each action', () => {
      assert.match(compileKql({ shape: 'list' }, 'dcr'), /^\| summarize arg_max\(lastUpdateDateTimeUtc, \*\) by id\b/m);
      const legacy = compileKql({ shape: 'list' }, 'legacy');
      assert.match(legacy, /_ingested = TimeGenerated/);
      assert.match(legacy, /^\| summarize arg_max\(_ingested, \*\) by id$/m);
      assert.match(legacy, /^\| project-away _ingested\b/m);
    });

    it('filters fields that change (status, device name) only after deduplication', () => {
      for (const schema of ['dcr', 'legacy'] as const) {
        const q = compileKql(
          {
            shape: 'list',
            statuses: ['Pending'],
            device: 'ws-042',
            machineId: 'm',
            requestor: 'r',
            types: ['Isolate'],
          },
          schema,
        );
        const dedup = q.indexOf('| summarize arg_max(');
        assert.ok(dedup > 0);
        for (const after of ['| where status in', '| where isnotempty(computerDnsName)'])
          assert.ok(q.indexOf(after) > dedup, `${schema}: ${after}`);
        for (const before of ['| where machineId ==', '| where requestor =~', '| where type in']) {
          const at = q.indexOf(before);
          assert.ok(at > 0 && at < dedup, `${schema}: ${before}`);
        }
      }
    });

    it('reads every maybe-absent legacy column only through column_ifexists', () => {
      const text = SHAPES.flatMap((shape) =>
        FILTERS.flatMap((f) => allQueries({ shape, ...f }, 'legacy').map(([, q]) => q)),
      ).join('\n');
      for (const column of LEGACY_COLUMNS.filter((c) => c.maybeAbsent)) {
        const all = text.split(column.name).length - 1;
        const guarded = text.split(`column_ifexists("${column.name}", `).length - 1;
        assert.ok(all > 0, `${column.name} is read`);
        assert.equal(guarded, all, `${column.name} read outside column_ifexists`);
      }
      assert.match(
        text,
        /requestor = strcat\(tostring\(column_ifexists\("requestor_s", ""\)\), tostring\(column_ifexists\("requestor_g", ""\)\)\)/,
      );
    });

    it('pages a list with take (first page) or row_number (later pages), and binds user values once in let statements', () => {
      assert.match(
        compileKql({ shape: 'list', limit: 11 }, 'dcr'),
        /^\| sort by creationDateTimeUtc desc, id asc\n\| take 11$/m,
      );
      const page = compileKql({ shape: 'list', limit: 10, offset: 20 }, 'dcr');
      assert.match(
        page,
        /^\| sort by creationDateTimeUtc desc, id asc\n\| extend _row = row_number\(\)\n\| where _row > 20 and _row <= 30$/m,
      );
      const q = compileKql({ shape: 'isolation', device: 'ws-042', requestor: 'a@b.c' }, 'legacy');
      assert.equal(q.split("'ws-042'").length - 1, 1);
      assert.equal(q.split("'a@b.c'").length - 1, 1);
      assert.match(q, /^let _device = 'ws-042';$/m);
      assert.doesNotMatch(q, /\n\s*\n/, 'no empty line');
      const queries = compileKqlQueries({ shape: 'list', limit: 10, offset: 20 }, 'dcr');
      assert.match(queries.total!, /\| count\n\| project total = Count$/);
      assert.equal(compileKqlQueries({ shape: 'countByType' }, 'dcr').total, undefined);
      assert.match(
        compileKqlQueries({ shape: 'one', actionId: 'x' }, 'dcr').history!,
        /summarize at = min\(LastUpdateDateTimeUtc\) by status = Status/,
      );
    });

    it('matches a device by short name (whole name or before the first dot) or by exact FQDN, never by substring', () => {
      const short = compileKql({ shape: 'list', device: '  WS-042 ' }, 'dcr');
      assert.match(short, /^let _device = 'ws-042';$/m);
      assert.match(short, /computerDnsName =~ _device or computerDnsName startswith strcat\(_device, '\.'\)/);
      const fqdn = compileKql({ shape: 'list', device: 'WS-042.Contoso.com' }, 'dcr');
      assert.match(fqdn, /^let _device = 'ws-042\.contoso\.com';$/m);
      assert.match(fqdn, /^\| where computerDnsName =~ _device\b/m);
      assert.doesNotMatch(short + fqdn, /contains|has|matches regex/);
    });

    it('rejects numbers and timestamps that would have to be written into the query', () => {
      assert.throws(() => compileKql({ shape: 'list', limit: 1.5 }, 'dcr'), UsageError);
      assert.throws(() => compileKql({ shape: 'list', offset: -1 }, 'dcr'), UsageError);
      assert.throws(() => compileKql({ shape: 'countByType', top: Infinity }, 'dcr'), UsageError);
      assert.throws(
        () => compileKql({ shape: 'list', range: { ...AGO_7, from: '2026-11-23) | take 1 //' } }, 'dcr'),
        UsageError,
      );
      assert.throws(() => compileKql({ shape: 'list', range: { ...AGO_7, to: 'now' } }, 'legacy'), UsageError);
    });
  });

  describe('kqlString', () => {
    const decode = (literal: string): string => {
      const tokens = kqlTokens(`print x = ${literal}`, []).filter((t) => t.kind === stringLiteralKind());
      assert.equal(tokens.length, 1, literal);
      return tokens[0]!.value;
    };

    it('escapes backslash, quote and control characters; keeps the rest as it is', () => {
      assert.equal(kqlString(''), "''");
      assert.equal(kqlString('plain'), "'plain'");
      assert.equal(kqlString("o'brien"), "'o\\'brien'");
      assert.equal(kqlString('a\\b'), "'a\\\\b'");
      assert.equal(kqlString('trailing\\'), "'trailing\\\\'");
      assert.equal(kqlString('l1\nl2\r\tx'), "'l1\\nl2\\r\\tx'");
      assert.equal(kqlString('nul\u0000 bel\u0007 del\u007f'), "'nul\\u0000 bel\\u0007 del\\u007f'");
      assert.equal(kqlString('rtl\u202e ltr\u200e bom\ufeff ls\u2028'), "'rtl\\u202e ltr\\u200e bom\\ufeff ls\\u2028'");
      assert.equal(kqlString('say "hi" | take 1 // x'), '\'say "hi" | take 1 // x\'');
      assert.equal(kqlString('emoji 😀 é 中'), "'emoji 😀 é 中'");
      assert.equal(kqlString('lone \ud800 and \udc00'), "'lone \\ud800 and \\udc00'");
    });

    it('round-trips through the Kusto parser for every BMP code unit', () => {
      let all = '';
      for (let code = 0; code < 0x10000; code++) all += String.fromCharCode(code);
      for (let i = 0; i < all.length; i += 4096) {
        const chunk = all.slice(i, i + 4096);
        assert.equal(decode(kqlString(chunk)), chunk, `chunk at ${i}`);
      }
      assert.equal(decode(kqlString("😀\\'")), "😀\\'");
    });
  });
});

describe('queries/kql: periods in hours', () => {
  it('36h compiles to ago(36h) and parses in every workspace schema', () => {
    const nowMs = Date.parse('2026-11-29T12:00:00.000Z');
    const range: TimeRange = {
      from: new Date(nowMs - 36 * 3_600_000).toISOString(),
      source: { kind: 'ago', days: 1.5, hours: 36 },
      label: 'last 36 hours',
    };
    for (const ws of WORKSPACES) {
      const q = compileKql({ shape: 'countByType', range }, ws.schema);
      assert.match(q, /ago\(36h\)/);
      assert.deepEqual(kqlDiagnostics(q, ws.tables), [], `${ws.label}\n${q}`);
    }
  });
});
