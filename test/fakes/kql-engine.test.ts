import assert from 'node:assert/strict';
import { kqlString } from '../../src/queries/kql.js';
import {
  kqlDatetimeText,
  kqlRowObjects,
  KqlError,
  kqlValue,
  parseKqlDatetime,
  runKql,
  type KqlTable,
  type KqlValue,
} from './kql-engine.js';

const NOW = new Date('2026-11-30T12:00:00.000Z');

/** Events: names in mixed case, a null time, a null number, ties on N. */
const EVENTS: KqlTable = {
  columns: [
    { name: 'Name', type: 'string' },
    { name: 'At', type: 'datetime' },
    { name: 'N', type: 'long' },
    { name: 'Machine', type: 'string' },
    { name: 'Info', type: 'dynamic' },
  ],
  rows: [
    ['Alpha', '2026-11-29T10:00:00.1234567Z', 3, 'm1', { a: 1 }],
    ['alpha', '2026-11-29T10:00:00.1234568Z', 3, 'm1', null],
    ['BETA.contoso.com', null, 5, 'm2', [1, 2]],
    ['beta', '2025-12-05T11:59:59.9999999Z', null, 'm3', 'text'],
    ['', '2026-11-30T11:00:00Z', 1, 'm4', null],
  ],
};

const MACHINES: KqlTable = {
  columns: [
    { name: 'Machine', type: 'string' },
    { name: 'Owner', type: 'string' },
    { name: 'Since', type: 'datetime' },
  ],
  rows: [
    ['m1', 'ann', '2026-01-01T00:00:00Z'],
    ['m2', 'bob', null],
  ],
};

const TABLES = { Events: EVENTS, Machines: MACHINES };

function run(query: string, tables: Readonly<Record<string, KqlTable>> = TABLES): KqlTable {
  return runKql(query, tables, { now: NOW });
}

/** The single value of a one-row, one-column result. */
function scalar(expression: string): KqlValue {
  const result = run(`print v = ${expression}`);
  assert.equal(result.rows.length, 1);
  return result.rows[0]![0]!;
}

function column(result: KqlTable, name: string): KqlValue[] {
  const i = result.columns.findIndex((c) => c.name === name);
  assert.ok(i >= 0, `no column ${name}`);
  return result.rows.map((r) => r[i]!);
}

function types(result: KqlTable): string[] {
  return result.columns.map((c) => `${c.name}:${c.type}`);
}

function throwsKql(query: string, kind: 'syntax' | 'semantic', pattern: RegExp): void {
  assert.throws(
    () => run(query),
    (err: unknown) => err instanceof KqlError && err.kind === kind && pattern.test(err.message),
    query,
  );
}

describe('fakes/kql engine', () => {
  describe('string literals', () => {
    it('decodes backslash escapes in single and double quotes', () => {
      assert.equal(scalar(String.raw`'a\\b\'c\"d\n\r\t\u0041'`), 'a\\b\'c"d\n\r\tA');
      assert.equal(scalar(String.raw`"say \"hi\" it's"`), 'say "hi" it\'s');
      assert.equal(scalar("@'C:\\path''s'"), "C:\\path's");
      assert.equal(scalar("h'secret'"), 'secret');
      assert.equal(scalar('```multi\nline```'), 'multi\nline');
    });

    it('reads back every value kqlString writes', () => {
      const values = [
        '',
        "o'brien",
        'a\\b',
        'trailing\\',
        'l1\nl2\r\tx',
        'nul\u0000 del\u007f',
        'rtl\u202e bom\ufeff',
        'say "hi" | take 1 // x',
        'emoji 😀 é',
        'lone \ud800',
      ];
      for (const v of values) assert.equal(scalar(kqlString(v)), v, JSON.stringify(v));
    });

    it('rejects raw line breaks, unknown escapes and unterminated literals', () => {
      throwsKql("print v = 'a\nb'", 'syntax', /line 1, column 13: a string literal cannot contain a raw line break/);
      throwsKql(String.raw`print v = 'a\qb'`, 'syntax', /unknown escape sequence \\q/);
      throwsKql("print v = 'abc", 'syntax', /unterminated string literal/);
    });
  });

  describe('comparisons', () => {
    it('== is case-sensitive, =~ and !~ are not', () => {
      assert.deepEqual(column(run("Events | where Name == 'alpha' | project Name"), 'Name'), ['alpha']);
      assert.deepEqual(column(run("Events | where Name =~ 'ALPHA' | project Name"), 'Name'), ['Alpha', 'alpha']);
      assert.deepEqual(column(run("Events | where Name !~ 'alpha' | project Name"), 'Name'), [
        'BETA.contoso.com',
        'beta',
        '',
      ]);
      assert.deepEqual(column(run("Events | where Name != 'alpha' | project Name"), 'Name'), [
        'Alpha',
        'BETA.contoso.com',
        'beta',
        '',
      ]);
    });

    it('startswith, contains and has ignore case; the _cs forms do not; has matches whole terms', () => {
      assert.deepEqual(column(run("Events | where Name startswith 'beta.' | project Name"), 'Name'), [
        'BETA.contoso.com',
      ]);
      assert.deepEqual(column(run("Events | where Name startswith_cs 'beta' | project Name"), 'Name'), ['beta']);
      assert.deepEqual(column(run("Events | where Name contains 'ETA' | project Name"), 'Name'), [
        'BETA.contoso.com',
        'beta',
      ]);
      assert.deepEqual(column(run("Events | where Name has 'contoso' | project Name"), 'Name'), ['BETA.contoso.com']);
      assert.deepEqual(column(run("Events | where Name has 'conto' | project Name"), 'Name'), []);
      assert.deepEqual(
        column(run("Events | where Name !has 'contoso' and Name !contains 'alp' | project Name"), 'Name'),
        ['beta', ''],
      );
    });

    it('in and !in compare exactly, in~ ignores case; in accepts a tabular let', () => {
      assert.deepEqual(column(run("Events | where Name in ('alpha', 'beta') | project Name"), 'Name'), [
        'alpha',
        'beta',
      ]);
      assert.deepEqual(column(run("Events | where Name in~ ('ALPHA') | project Name"), 'Name'), ['Alpha', 'alpha']);
      assert.deepEqual(column(run("Events | where Name !in ('alpha', 'beta', '') | project Name"), 'Name'), [
        'Alpha',
        'BETA.contoso.com',
      ]);
      const q =
        'let owned = Machines | where isnotempty(Owner) | distinct Machine;\nEvents | where Machine in (owned) | project Name';
      assert.deepEqual(column(run(q), 'Name'), ['Alpha', 'alpha', 'BETA.contoso.com']);
      assert.deepEqual(
        column(
          run('let owned = Machines | distinct Machine;\nEvents | where Machine !in (owned) | project Name'),
          'Name',
        ),
        ['beta', ''],
      );
    });

    it('keeps datetimes exact to 100 ns', () => {
      assert.deepEqual(
        column(run('Events | where At > datetime(2026-11-29T10:00:00.1234567Z) | project Name'), 'Name'),
        ['alpha', ''],
      );
      assert.deepEqual(column(run('Events | where At < datetime(2025-12-05T12:00:00Z) | project Name'), 'Name'), [
        'beta',
      ]);
      assert.deepEqual(column(run('Events | where At >= ago(360d) | project Name'), 'Name'), ['Alpha', 'alpha', '']);
      assert.equal(scalar('ago(7d)'), '2026-11-23T12:00:00.0000000Z');
      assert.equal(scalar('ago(1.5h)'), '2026-11-30T10:30:00.0000000Z');
      assert.equal(scalar('now()'), '2026-11-30T12:00:00.0000000Z');
      assert.equal(scalar('datetime(2026-11-22T12:00:00.5Z)'), '2026-11-22T12:00:00.5000000Z');
      assert.equal(scalar('datetime(2026-01-01)'), '2026-01-01T00:00:00.0000000Z');
      assert.equal(scalar('datetime(2026-01-01 01:02:03.123456789)'), '2026-01-01T01:02:03.1234567Z');
    });

    it('rejects comparing values of different types', () => {
      throwsKql("Events | where At == '2026-11-29'", 'semantic', /Cannot compare values of types datetime and string/);
      throwsKql("Events | where N > 'x'", 'semantic', /Cannot compare values of types long and string/);
    });
  });

  describe('nulls', () => {
    it('strings are never null; tostring(null) is empty; comparisons with null are false', () => {
      assert.equal(scalar('tostring(datetime(null))'), '');
      assert.equal(scalar('isnull(tostring(datetime(null)))'), false);
      assert.equal(scalar("isempty('')"), true);
      assert.equal(scalar('isempty(datetime(null))'), true);
      assert.equal(scalar('isnotnull(long(null))'), false);
      assert.equal(scalar('datetime(null) == datetime(null)'), false);
      assert.equal(scalar('long(null) != 1'), false);
      assert.equal(scalar('long(null) < 1'), false);
      assert.equal(scalar('iff(long(null) > 1, "yes", "no")'), 'no');
      assert.deepEqual(column(run('Events | where N != 3 | project Name'), 'Name'), ['BETA.contoso.com', '']);
    });

    it('coalesce takes the first non-null value (non-empty for strings)', () => {
      assert.equal(scalar("coalesce('', 'b', 'c')"), 'b');
      assert.equal(scalar('coalesce(datetime(null), datetime(2026-01-01))'), '2026-01-01T00:00:00.0000000Z');
      assert.equal(scalar('coalesce(long(null), long(null))'), null);
    });
  });

  describe('column_ifexists and unknown names', () => {
    it('reads the column when it exists (with its type), else the default', () => {
      const r = run(
        'Events | take 1 | project a = column_ifexists("N", real(0)), b = column_ifexists("Missing", real(0)), c = tostring(column_ifexists("Gone", ""))',
      );
      assert.deepEqual(types(r), ['a:long', 'b:real', 'c:string']);
      assert.deepEqual(r.rows, [[3, 0, '']]);
    });

    it('fails on a column, table or function that does not exist, saying what and where', () => {
      throwsKql(
        'Events\n| where Missing == 1',
        'semantic',
        /line 2, column 9.*Failed to resolve scalar expression named 'Missing'/,
      );
      throwsKql('Nope | take 1', 'semantic', /Failed to resolve table or column expression named 'Nope'/);
      throwsKql('Events | extend x = frobnicate(N)', 'semantic', /Unknown function: 'frobnicate'/);
      throwsKql('Events | project-away Missing', 'semantic', /project-away: Failed to resolve column 'Missing'/);
      // An empty input does not hide the error (the check is semantic, before any row).
      throwsKql('Events | take 0 | where Missing == 1', 'semantic', /Missing/);
    });

    it('reports syntax errors and unsupported constructs', () => {
      throwsKql('Events | where', 'syntax', /line 1, column 15: expected an expression but found the end of the query/);
      throwsKql('Events | mv-expand Info', 'syntax', /unsupported query operator 'mv'/);
      throwsKql('Events | project Info.a', 'syntax', /member access/);
      throwsKql('let x = 1;', 'syntax', /no tabular expression/);
      throwsKql('Events | join kind=fullouter (Machines) on Machine', 'semantic', /kind=fullouter is not supported/);
      throwsKql('Events | summarize count() by Name | where count() > 1', 'semantic', /only allowed in summarize/);
    });
  });

  describe('summarize', () => {
    it('puts the by columns first and names aggregates as Kusto does', () => {
      const r = run('Events | summarize count(), sum(N), max(At), dcount(Name) by Machine');
      assert.deepEqual(types(r), [
        'Machine:string',
        'count_:long',
        'sum_N:long',
        'max_At:datetime',
        'dcount_Name:long',
      ]);
      assert.deepEqual(r.rows[0], ['m1', 2, 6, '2026-11-29T10:00:00.1234568Z', 2]);
      // Nulls are skipped; a group without values gives null.
      assert.deepEqual(r.rows[1], ['m2', 1, 5, null, 1]);
      assert.deepEqual(r.rows[2], ['m3', 1, null, '2025-12-05T11:59:59.9999999Z', 1]);
    });

    it('counts zero rows without by as one row', () => {
      assert.deepEqual(run('Events | where N > 100 | summarize count()').rows, [[0]]);
      assert.deepEqual(run('Events | where N > 100 | summarize count() by Name').rows, []);
      assert.deepEqual(run('Events | count'), { columns: [{ name: 'Count', type: 'long' }], rows: [[5]] });
    });

    it('arg_max picks the first row on ties, ignores null keys and keeps types; * adds the other columns', () => {
      const r = run('Events | summarize arg_max(N, *) by Machine');
      assert.deepEqual(types(r), ['Machine:string', 'N:long', 'Name:string', 'At:datetime', 'Info:dynamic']);
      assert.deepEqual(r.rows[0], ['m1', 3, 'Alpha', '2026-11-29T10:00:00.1234567Z', { a: 1 }]);
      // m3's only row has a null key: the group remains, with empty values.
      assert.deepEqual(r.rows[2], ['m3', null, '', null, null]);
      const latest = run('Events | summarize arg_max(At, Name) by Machine | where Machine == "m1"');
      assert.deepEqual(latest.rows, [['m1', '2026-11-29T10:00:00.1234568Z', 'alpha']]);
      const min = run('Events | summarize arg_min(N, Name)');
      assert.deepEqual(min.rows, [[1, '']]);
    });

    it('groups by named expressions and bin()', () => {
      const r = run(
        'Events | where isnotnull(At) | summarize n = count() by key = tolower(Name), day = bin(At, 1d) | sort by key asc',
      );
      assert.deepEqual(types(r), ['key:string', 'day:datetime', 'n:long']);
      assert.deepEqual(r.rows, [
        ['', '2026-11-30T00:00:00.0000000Z', 1],
        ['alpha', '2026-11-29T00:00:00.0000000Z', 2],
        ['beta', '2025-12-05T00:00:00.0000000Z', 1],
      ]);
      assert.deepEqual(types(run('Events | summarize count() by bin(At, 1h)')), ['At:datetime', 'count_:long']);
      assert.deepEqual(
        run("Events | summarize n = count() by d = format_datetime(At, 'yyyy-MM-dd') | sort by d asc").rows,
        [
          ['', 1],
          ['2025-12-05', 1],
          ['2026-11-29', 2],
          ['2026-11-30', 1],
        ],
      );
    });
  });

  describe('sort, take, row_number', () => {
    it('sorts descending by default, nulls last when descending and first when ascending', () => {
      assert.deepEqual(column(run('Events | sort by N | project N'), 'N'), [5, 3, 3, 1, null]);
      assert.deepEqual(column(run('Events | sort by N asc | project N'), 'N'), [null, 1, 3, 3, 5]);
      assert.deepEqual(column(run('Events | order by N asc nulls last | project N'), 'N'), [1, 3, 3, 5, null]);
      assert.deepEqual(column(run('Events | sort by At desc | project Name'), 'Name'), [
        '',
        'alpha',
        'Alpha',
        'beta',
        'BETA.contoso.com',
      ]);
      // Strings in ordinal order: upper case before lower case.
      assert.deepEqual(column(run('Events | sort by Name asc | project Name'), 'Name'), [
        '',
        'Alpha',
        'BETA.contoso.com',
        'alpha',
        'beta',
      ]);
      assert.deepEqual(column(run('Events | sort by N desc, Name asc | take 3 | project Name'), 'Name'), [
        'BETA.contoso.com',
        'Alpha',
        'alpha',
      ]);
      assert.deepEqual(column(run('Events | top 2 by At asc | project Name'), 'Name'), ['BETA.contoso.com', 'beta']);
    });

    it('row_number() numbers the sorted rows from 1, for paging; it needs sorted input', () => {
      const page = run(
        'Events | sort by Name asc | extend _row = row_number() | where _row > 1 and _row <= 3 | project-away _row',
      );
      assert.deepEqual(column(page, 'Name'), ['Alpha', 'BETA.contoso.com']);
      assert.deepEqual(column(run('Events | sort by Name asc | extend r = row_number(10) | take 2'), 'r'), [10, 11]);
      throwsKql('Events | extend r = row_number()', 'semantic', /row_number.*not serialized/);
    });
  });

  describe('join', () => {
    it('leftouter keeps unmatched left rows, pads them (strings empty), and suffixes clashing right columns with 1', () => {
      const r = run('Events | project Name, Machine | join kind=leftouter (Machines) on Machine');
      assert.deepEqual(types(r), [
        'Name:string',
        'Machine:string',
        'Machine1:string',
        'Owner:string',
        'Since:datetime',
      ]);
      assert.deepEqual(r.rows, [
        ['Alpha', 'm1', 'm1', 'ann', '2026-01-01T00:00:00.0000000Z'],
        ['alpha', 'm1', 'm1', 'ann', '2026-01-01T00:00:00.0000000Z'],
        ['BETA.contoso.com', 'm2', 'm2', 'bob', null],
        ['beta', 'm3', '', '', null],
        ['', 'm4', '', '', null],
      ]);
    });

    it('inner, innerunique (the default), leftsemi and leftanti', () => {
      assert.equal(run('Events | join kind=inner (Machines) on Machine').rows.length, 3);
      assert.equal(run('Events | join (Machines) on Machine').rows.length, 2);
      assert.deepEqual(column(run('Events | join kind=leftanti (Machines) on Machine'), 'Name'), ['beta', '']);
      assert.deepEqual(types(run('Events | join kind=leftsemi (Machines) on Machine')), types(EVENTS));
    });
  });

  describe('operators and functions', () => {
    it('project renames and brackets keyword names; extend replaces a column in place; distinct', () => {
      const r = run("Events | take 1 | project ['title'] = Name, ['count'] = N | extend ['count'] = ['count'] * 2");
      assert.deepEqual(r, {
        columns: [
          { name: 'title', type: 'string' },
          { name: 'count', type: 'long' },
        ],
        rows: [['Alpha', 6]],
      });
      assert.deepEqual(run('Events | distinct Machine').rows.length, 4);
      assert.deepEqual(run('Events | distinct N, Machine | count').rows, [[4]]);
    });

    it('types the results as Kusto does', () => {
      const r = run(
        "Events | take 1 | project a = format_datetime(At, 'yyyy-MM-dd HH:mm:ss.fffffff'), b = tostring(N), c = tolong(N), d = toint('7'), e = todatetime('2026-01-01'), f = strcat(Name, 1), g = iff(true, 1, 2.5), h = not(true), i = tostring(Info), j = tostring(At)",
      );
      assert.deepEqual(types(r), [
        'a:string',
        'b:string',
        'c:long',
        'd:int',
        'e:datetime',
        'f:string',
        'g:real',
        'h:bool',
        'i:string',
        'j:string',
      ]);
      assert.deepEqual(r.rows[0], [
        '2026-11-29 10:00:00.1234567',
        '3',
        3,
        7,
        '2026-01-01T00:00:00.0000000Z',
        'Alpha1',
        1,
        false,
        '{"a":1}',
        '2026-11-29T10:00:00.1234567Z',
      ]);
    });

    it('converts numbers', () => {
      assert.equal(scalar('tolong(real(-2145844840))'), -2145844840);
      assert.equal(scalar('tolong(2.9)'), 2);
      assert.equal(scalar("tolong('x')"), null);
      assert.equal(scalar('7 / 2'), 3);
      assert.equal(scalar('7 / 2.0'), 3.5);
      assert.equal(scalar('toupper("ab")'), 'AB');
    });

    it('let binds scalars, materialized tables and toscalar; a column shadows a let of the same name', () => {
      const q = [
        "let _name = 'alpha';",
        'let _from = datetime(2026-01-01);',
        'let _rows = materialize(Events | where At >= _from);',
        'let _total = toscalar(_rows | count);',
        'let Machine = "not used";',
        '_rows | where Name =~ _name | extend total = _total | project Name, Machine, total',
      ].join('\n');
      assert.deepEqual(run(q).rows, [
        ['Alpha', 'm1', 3],
        ['alpha', 'm1', 3],
      ]);
      assert.equal(scalar('toscalar(Events | where N > 100 | project Name)'), '');
      assert.equal(scalar('toscalar(Events | where N > 100 | project N)'), null);
    });
  });

  describe('values', () => {
    it('normalises input cells by column type', () => {
      assert.equal(kqlValue('datetime', '2026-11-29T10:00:00Z'), '2026-11-29T10:00:00.0000000Z');
      assert.equal(kqlValue('datetime', '2026-11-29T10:00:00.123456789+01:00'), '2026-11-29T09:00:00.1234567Z');
      assert.equal(kqlValue('datetime', 'soon'), null);
      assert.equal(kqlValue('string', null), '');
      assert.equal(kqlValue('guid', '2F48B784-5DA5-4E61-9957-012D2630F1E4'), '2f48b784-5da5-4e61-9957-012d2630f1e4');
      assert.equal(kqlValue('long', 2.7), 2);
      assert.equal(kqlValue('long', 'abc'), null);
      assert.deepEqual(kqlValue('dynamic', { a: [1, null] }), { a: [1, null] });
      assert.equal(parseKqlDatetime('2026-02-30'), null);
      assert.equal(kqlDatetimeText('2026-11-29T10:00:00.0000000Z'), '2026-11-29T10:00:00Z');
      assert.equal(kqlDatetimeText('2026-11-29T10:00:00.1230000Z'), '2026-11-29T10:00:00.123Z');
    });

    it('returns rows as objects for the row mapper', () => {
      assert.deepEqual(kqlRowObjects(run('Machines | take 1')), [
        { Machine: 'm1', Owner: 'ann', Since: '2026-01-01T00:00:00.0000000Z' },
      ]);
    });

    it('does not change the input tables', () => {
      const before = JSON.stringify(TABLES);
      run('Events | extend N = N + 1 | sort by N asc | join kind=leftouter (Machines) on Machine');
      assert.equal(JSON.stringify(TABLES), before);
    });
  });
});
