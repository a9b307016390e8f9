import assert from 'node:assert/strict';
import { cellText, decodeHtmlEntities, MAX_CELL_CHARS } from '../../src/commands/adhoc.js';
import { createChat, type ChatDeps } from '../../src/commands/chat.js';
import { type SubscriptionOps } from '../../src/core/conversation.js';
import { replyRows, toCsv, toJson, toText } from '../../src/commands/format.js';
import { LogAnalyticsError } from '../../src/core/errors.js';
import type { KqlRows, QuerySpec } from '../../src/core/query.js';
import type { Reply } from '../../src/core/replies.js';
import { createCaptureLogger } from '../fakes/capture-logger.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakeQueryBackend } from '../fakes/fake-query-backend.js';

const NOW = Date.parse('2026-11-29T12:00:00.000Z');
const ADMIN = { id: '29:admin', aadObjectId: 'aad-admin' };
const USER = { id: '29:user', aadObjectId: 'aad-user' };

type TableReply = Extract<Reply, { kind: 'table' }>;

/** A fake workspace: records the queries it gets, answers with `answer`, or fails with `fail`. */
function fakeKql(rowLimit = 3) {
  const fake = {
    queries: [] as string[],
    answer: {
      columns: [
        { name: 'ActionType', type: 'string' },
        { name: 'Actions', type: 'long' },
      ],
      rows: [],
    } as KqlRows,
    fail: undefined as Error | undefined,
    rowLimit,
    run(query: string): Promise<KqlRows> {
      fake.queries.push(query);
      return fake.fail ? Promise.reject(fake.fail) : Promise.resolve(fake.answer);
    },
  };
  return fake;
}

function subscriptions(admins: string[]): SubscriptionOps {
  return {
    isAdmin: (id) => id !== undefined && admins.includes(id),
    set: () => undefined,
    get: () => ({ alerts: false, digest: false }),
    list: () => [],
  };
}

function setup(
  options: {
    kql?: ReturnType<typeof fakeKql> | null;
    admins?: string[] | null;
    portalUrl?: ChatDeps['portalUrl'];
  } = {},
) {
  const kql = options.kql === null ? undefined : (options.kql ?? fakeKql());
  const backend = new FakeQueryBackend();
  const logger = createCaptureLogger();
  const admins = options.admins === undefined ? [ADMIN.aadObjectId] : options.admins;
  const chat = createChat({
    backend,
    kqlOf: (spec: QuerySpec) => `KQL(${spec.shape})`,
    clock: new FakeClock(NOW),
    logger,
    status: () => ({ facts: [], problem: null }),
    requestorNames: new Map(),
    ...(admins === null ? {} : { subscriptions: subscriptions(admins) }),
    ...(kql ? { adHocKql: kql } : {}),
    ...(options.portalUrl ? { portalUrl: options.portalUrl } : {}),
  });
  return { chat, kql, backend, logger };
}

function rowsOf(n: number): KqlRows['rows'] {
  return Array.from({ length: n }, (_, i) => ({ ActionType: `Type${i}`, Actions: 100 - i }));
}

function asTable(reply: Reply): TableReply {
  assert.equal(reply.kind, 'table', JSON.stringify(reply));
  return reply;
}

function asError(reply: Reply): Extract<Reply, { kind: 'error' }> {
  assert.equal(reply.kind, 'error', JSON.stringify(reply));
  return reply;
}

describe('commands/kql (ad hoc KQL)', () => {
  describe('parsing', () => {
    it('takes everything after "kql" as the query, pipes and quotes included, any case', () => {
      const { chat } = setup();
      const p = chat.parse(
        'KQL MDEMachineActions_CL | where ActionType == "Isolate" and Requestor !has \'svc\' | summarize count() by Status',
      );
      assert.equal(p.command?.name, 'kql');
      assert.deepEqual(p.planned, {
        kind: 'kql',
        query:
          'MDEMachineActions_CL | where ActionType == "Isolate" and Requestor !has \'svc\' | summarize count() by Status',
      });
      assert.deepEqual(p.queries, [], 'no spec: nothing for the spec backends to compile');
    });

    it('decodes the HTML entities Teams puts in message text, once', () => {
      const { chat } = setup();
      const p = chat.parse(
        'kql T | where A &lt; 5 and B &gt;= 2 and C == &quot;x&quot; and D == &#39;y&#39; and E has &quot;&amp;lt;&quot; and F == &quot;a&amp;b&quot;&nbsp;| take 1',
      );
      assert.deepEqual(p.planned, {
        kind: 'kql',
        query: 'T | where A < 5 and B >= 2 and C == "x" and D == \'y\' and E has "&lt;" and F == "a&b" | take 1',
      });
      assert.equal(decodeHtmlEntities('&amp;amp; &AMP; &unknown; &#60;'), '&amp; & &unknown; &#60;');
    });

    it('collapses newlines and strips the bot mention', () => {
      const { chat } = setup();
      const p = chat.parse(
        '<at>Defender Audit</at> kql MDEMachineActions_CL\n| where Status == "Failed"\r\n\n|   take 3 ',
      );
      assert.deepEqual(p.planned, { kind: 'kql', query: 'MDEMachineActions_CL | where Status == "Failed" | take 3' });
    });

    it('"kql" alone is not a command: help, suggesting kql', async () => {
      const { chat } = setup();
      const r = await chat.handle('kql');
      assert.ok(r.kind === 'help' && r.suggestion === 'kql', JSON.stringify(r));
    });

    it('is listed in help: admins only, workspace mode, read-only, with the row limit when known', async () => {
      const inWorkspace = await setup({ kql: fakeKql(20) }).chat.handle('help');
      assert.ok(inWorkspace.kind === 'help');
      const kql = inWorkspace.commands.find((c) => c.name === 'kql');
      assert.equal(kql?.usage, 'kql QUERY');
      assert.match(
        kql?.description ?? '',
        /^Admins only, Log Analytics workspace mode \(QUERY_BACKEND=log-analytics\): runs a read-only KQL query and shows the first 20 rows\.$/,
      );
      const inSqlite = await setup({ kql: null }).chat.handle('help');
      assert.ok(inSqlite.kind === 'help');
      assert.match(inSqlite.commands.find((c) => c.name === 'kql')?.description ?? '', /shows the first rows\.$/);
    });
  });

  describe('refusals', () => {
    it('in SQLite mode: says that kql needs the workspace mode, and how to see the KQL of a command', async () => {
      const { chat, backend } = setup({ kql: null });
      for (const user of [ADMIN, undefined]) {
        const e = asError(await chat.handle('kql MDEMachineActions_CL | take 5', user));
        assert.equal(e.reason, 'usage');
        assert.match(e.message, /needs the Log Analytics workspace mode \(QUERY_BACKEND=log-analytics\)/);
        assert.match(e.message, /answers from its SQLite store/);
        assert.ok(e.message.includes('defender-audit-bot ask --format kql "<command>"'), e.message);
      }
      assert.equal(backend.specs.length, 0);
    });

    it('in Teams, only admins may run it; without an admin list nobody may', async () => {
      const { chat, kql } = setup();
      const e = asError(await chat.handle('kql MDEMachineActions_CL | take 5', USER));
      assert.equal(e.title, 'Admins only');
      assert.equal(e.reason, 'usage');
      assert.equal(kql?.queries.length, 0, 'nothing ran');
      // The admin's object id as the channel user id, with no aadObjectId: the channel id is no Entra identity.
      assert.equal(
        asError(await chat.handle('kql MDEMachineActions_CL | take 5', { id: ADMIN.aadObjectId })).title,
        'Admins only',
      );
      assert.equal(kql?.queries.length, 0, 'nothing ran');
      const none = setup({ admins: null });
      asError(await none.chat.handle('kql MDEMachineActions_CL | take 5', ADMIN));
      assert.equal(none.kql?.queries.length, 0);
      asTable(await chat.handle('kql MDEMachineActions_CL | take 5', ADMIN));
      assert.equal(kql?.queries.length, 1);
    });

    it('the CLI (no user) may run it', async () => {
      const { chat, kql } = setup({ admins: null });
      asTable(await chat.handle('kql MDEMachineActions_CL | take 5'));
      assert.equal(kql?.queries.length, 1);
    });

    it('refuses control commands (text starting with a dot), even from admins and when entity-encoded', async () => {
      const { chat, kql } = setup();
      for (const text of [
        'kql .show tables',
        'kql    .drop table MDEMachineActions_CL',
        'kql &nbsp;.set-or-append T <| print 1',
        'KQL .create table X (a:string)',
      ]) {
        const e = asError(await chat.handle(text, ADMIN));
        assert.equal(e.reason, 'usage');
        assert.match(e.message, /read-only: control commands are not allowed/, text);
      }
      assert.equal(kql?.queries.length, 0);
      assert.equal(
        chat.parse('kql .show tables').planned.kind,
        'reply',
        'refused at parse time, so `ask --format kql` says so too',
      );
    });

    it('text over the length limit is refused before anything runs', async () => {
      const { chat, kql } = setup();
      asError(await chat.handle(`kql T | where A == "${'x'.repeat(600)}"`, ADMIN));
      assert.equal(kql?.queries.length, 0);
    });
  });

  describe('running', () => {
    it('asks for rowLimit + 1 rows on a line of its own, to learn whether more exist', async () => {
      const { chat, kql } = setup({ kql: fakeKql(3) });
      kql!.answer = { ...kql!.answer, rows: rowsOf(4) };
      const r = asTable(
        await chat.handle('kql MDEMachineActions_CL | summarize Actions = count() by ActionType // by type', ADMIN),
      );
      assert.deepEqual(kql?.queries, [
        'MDEMachineActions_CL | summarize Actions = count() by ActionType // by type\n| take 4',
      ]);
      assert.equal(r.truncated, true);
      assert.equal(r.rows.length, 3);
      assert.equal(r.subtitle, 'first 3 rows');
      assert.deepEqual(r.columns, ['ActionType', 'Actions']);
      assert.deepEqual(r.rows[0], ['Type0', '100']);
      assert.equal(
        r.query.kql,
        'MDEMachineActions_CL | summarize Actions = count() by ActionType // by type',
        'the query as written, without the row limit',
      );
    });

    it('shows every row when there are at most rowLimit, and says how many', async () => {
      const { chat, kql } = setup({ kql: fakeKql(3) });
      const subtitles: string[] = [];
      for (const n of [3, 2, 1, 0]) {
        kql!.answer = { ...kql!.answer, rows: rowsOf(n) };
        const r = asTable(await chat.handle('kql T', ADMIN));
        assert.equal(r.truncated, false);
        assert.equal(r.rows.length, n);
        subtitles.push(r.subtitle);
      }
      assert.deepEqual(subtitles, ['3 rows', '2 rows', '1 row', 'no rows']);
    });

    it('keeps the decoded query for "Show query" and adds the portal link in workspace mode', async () => {
      const { chat } = setup({ portalUrl: (kql) => `https://portal.azure.com/#q/${encodeURIComponent(kql)}` });
      const r = asTable(await chat.handle('kql T | where A &lt; 5', ADMIN));
      assert.equal(r.query.kql, 'T | where A < 5');
      assert.equal(r.query.portalUrl, 'https://portal.azure.com/#q/T%20%7C%20where%20A%20%3C%205');
    });

    it('renders cells as text: datetimes as ISO, dynamic as compact JSON, null as empty; clipped', async () => {
      const { chat, kql } = setup({ kql: fakeKql(5) });
      kql!.answer = {
        columns: [
          { name: 'When', type: 'datetime' },
          { name: 'Text', type: 'datetime' },
          { name: 'Bag', type: 'dynamic' },
          { name: 'BagText', type: 'dynamic' },
          { name: 'Nothing', type: 'string' },
          { name: 'N', type: 'real' },
          { name: 'Flag', type: 'bool' },
          { name: 'Long', type: 'string' },
        ],
        rows: [
          {
            When: new Date('2026-11-29T10:00:00.123Z'),
            Text: '2026-11-29T10:00:00.1234567Z',
            Bag: { a: [1, 2], b: { c: null } },
            BagText: '{ "a" : [ 1, 2 ] }',
            Nothing: null,
            N: 1.5,
            Flag: true,
            Long: 'x'.repeat(5000),
          },
          { When: undefined, Text: null, Bag: 'not json', BagText: '[oops', N: -3, Flag: false, Long: '' },
        ],
      };
      const r = asTable(await chat.handle('kql T', ADMIN));
      const [first, second] = r.rows;
      assert.deepEqual(first?.slice(0, 7), [
        '2026-11-29T10:00:00.123Z',
        '2026-11-29T10:00:00.1234567Z',
        '{"a":[1,2],"b":{"c":null}}',
        '{"a":[1,2]}',
        '',
        '1.5',
        'true',
      ]);
      assert.equal(first?.[7]?.length, MAX_CELL_CHARS);
      assert.ok(first?.[7]?.endsWith('…'));
      assert.deepEqual(second, ['', '', 'not json', '[oops', '', '-3', 'false', '']);
      assert.equal(cellText(12n, 'long'), '12');
      assert.equal(cellText({ big: 12n }, 'dynamic'), '{"big":"12"}');
    });

    it('workspace errors flow through the error funnel with their fix', async () => {
      const { chat, kql, logger } = setup();
      kql!.fail = new LogAnalyticsError(
        'LOG_ANALYTICS_BAD_REQUEST',
        "Log Analytics rejected the query: 'where' operator: Failed to resolve column named 'Nope'.",
        {
          status: 400,
          fix: 'Check the query in the Log Analytics editor.',
        },
      );
      const e = asError(await chat.handle('kql T | where Nope == 1', ADMIN));
      assert.equal(e.reason, 'failed');
      assert.equal(
        e.message,
        "I could not answer that: Log Analytics rejected the query: 'where' operator: Failed to resolve column named 'Nope'. Fix: Check the query in the Log Analytics editor.",
      );
      assert.ok(logger.lines.some((l) => l.level === 'error' && l.msg === 'command failed'));
    });

    it('logs who ran which query', async () => {
      const { chat, logger } = setup();
      await chat.handle('kql T | take 1', ADMIN);
      const line = logger.lines.find((l) => l.msg === 'ad hoc KQL query');
      assert.equal(line?.fields.user, ADMIN.aadObjectId);
      assert.equal(line?.fields.query, 'T | take 1');
    });
  });

  describe('CLI formats', () => {
    const reply: TableReply = {
      kind: 'table',
      title: 'KQL query',
      subtitle: 'first 2 rows',
      columns: ['ActionType', 'Actions', 'Comment', 'Actions'],
      rows: [
        ['Isolate', '12', '=HYPERLINK("http://x")', 'a'],
        ['RunAntiVirusScan', '-3', 'line one\nline "two", three', ''],
      ],
      truncated: true,
      query: { kql: 'T | summarize count() by ActionType' },
    };

    it('text: aligned columns, the truncation note and the query', () => {
      const text = toText(reply, new Map());
      const lines = text.split('\n');
      assert.deepEqual(lines.slice(0, 6), [
        'KQL query',
        'first 2 rows',
        '  ActionType        Actions  Comment                     Actions',
        '  ----------------  -------  --------------------------  -------',
        '  Isolate           12       =HYPERLINK("http://x")      a',
        '  RunAntiVirusScan  -3       line one line "two", three',
      ]);
      assert.match(text, /more rows exist; showing the first 2 rows\. Narrow the query/);
      assert.match(text, /Query \(KQL\):\nT \| summarize count\(\) by ActionType\n$/);
      assert.match(
        toText({ ...reply, rows: [], truncated: false, subtitle: 'no rows' }, new Map()),
        /no rows\n {2}\(no rows\)/,
      );
    });

    it('text clips very long cells', () => {
      const text = toText({ ...reply, rows: [['x'.repeat(500), '1', '', '']] }, new Map());
      assert.ok(
        text.split('\n').every((l) => l.length < 200),
        'no 500-character line',
      );
      assert.ok(text.includes(`${'x'.repeat(49)}…`));
    });

    it('json: one object per row keyed by column (duplicate names made unique)', () => {
      assert.deepEqual(JSON.parse(toJson(reply)), [
        { ActionType: 'Isolate', Actions: '12', Comment: '=HYPERLINK("http://x")', Actions_2: 'a' },
        { ActionType: 'RunAntiVirusScan', Actions: '-3', Comment: 'line one\nline "two", three', Actions_2: '' },
      ]);
      assert.equal(replyRows(reply).length, 2);
    });

    it('csv: header from the columns, quoted, formulas defused, numbers left alone; a header even without rows', () => {
      const csv = toCsv(reply);
      assert.equal(
        csv,
        'ActionType,Actions,Comment,Actions_2\r\nIsolate,12,"\'=HYPERLINK(""http://x"")",a\r\nRunAntiVirusScan,-3,"line one\nline ""two"", three",\r\n',
      );
      assert.equal(toCsv({ ...reply, rows: [] }), 'ActionType,Actions,Comment,Actions_2\r\n');
    });
  });
});
