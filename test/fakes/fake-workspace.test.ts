import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { createHttpHeaders, createPipelineRequest, type RequestBodyType } from '@azure/core-rest-pipeline';
import { toDcrRow } from '../../src/queries/schema.js';
import { makeAction } from './actions.js';
import {
  createFakeWorkspace,
  MAX_INGEST_BODY_BYTES,
  parseQueryTimespan,
  type FakeWorkspace,
} from './fake-workspace.js';

const NOW = new Date('2026-11-30T12:00:00.000Z');
const DCE = 'https://dce.example.invalid';
const LA = 'https://la.example.invalid/v1';

interface Reply {
  status: number;
  headers: Record<string, string>;
  json: unknown;
}

async function send(
  ws: FakeWorkspace,
  url: string,
  body: RequestBodyType,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const request = createPipelineRequest({
    url,
    method: 'POST',
    headers: createHttpHeaders({ authorization: 'Bearer test-token', 'content-type': 'application/json', ...headers }),
    body,
  });
  const response = await ws.httpClient.sendRequest(request);
  const text = response.bodyAsText;
  return {
    status: response.status,
    headers: response.headers.toJSON(),
    json: text === undefined || text === null ? undefined : (JSON.parse(text) as unknown),
  };
}

function ingestUrl(ws: FakeWorkspace, dcr = ws.dcrImmutableId, stream = ws.streamName): string {
  // The SDK percent-encodes the hyphen of api-version.
  return `${DCE}/dataCollectionRules/${dcr}/streams/${stream}?api%2Dversion=2023-01-01`;
}

function upload(ws: FakeWorkspace, rows: unknown, gzip = true): Promise<Reply> {
  const json = JSON.stringify(rows);
  return gzip
    ? send(ws, ingestUrl(ws), gzipSync(Buffer.from(json)), { 'content-encoding': 'gzip' })
    : send(ws, ingestUrl(ws), json);
}

function query(ws: FakeWorkspace, kql: string, timespan?: string, workspaceId = ws.workspaceId): Promise<Reply> {
  return send(
    ws,
    `${LA}/workspaces/${workspaceId}/query`,
    JSON.stringify(timespan === undefined ? { query: kql } : { query: kql, timespan }),
  );
}

interface WireTable {
  name: string;
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

function firstTable(reply: Reply): WireTable {
  assert.equal(reply.status, 200, JSON.stringify(reply.json));
  const body = reply.json as { tables: WireTable[] };
  assert.equal(body.tables.length, 1);
  return body.tables[0]!;
}

function errorOf(reply: Reply): { code: string; message: string; innererror?: { code: string; message: string } } {
  return (reply.json as { error: { code: string; message: string; innererror?: { code: string; message: string } } })
    .error;
}

const ACTION = makeAction({
  id: '00000000-0000-4000-8000-000000000001',
  creationDateTimeUtc: '2026-11-29T10:00:00Z',
  lastUpdateDateTimeUtc: '2026-11-29T10:00:00.1234567Z',
  relatedFileInfo: { fileIdentifier: 'abc', fileIdentifierType: 'Sha1' },
});

describe('fakes/fake workspace', () => {
  let ws: FakeWorkspace;
  beforeEach(() => {
    ws = createFakeWorkspace({ now: () => NOW });
  });

  describe('ingestion', () => {
    it('accepts a gzip JSON array (204), records it, and the rows are queryable', async () => {
      const rows = [
        toDcrRow(ACTION),
        toDcrRow({ ...ACTION, id: '00000000-0000-4000-8000-000000000002', status: 'Succeeded' }),
      ];
      const reply = await upload(ws, rows);
      assert.equal(reply.status, 204);
      assert.equal(reply.json, undefined);
      assert.equal(ws.uploads.length, 1);
      assert.equal(ws.uploads[0]!.gzip, true);
      assert.equal(ws.uploads[0]!.bytes, gzipSync(Buffer.from(JSON.stringify(rows))).length);
      assert.deepEqual(ws.uploads[0]!.rows, JSON.parse(JSON.stringify(rows)));
      assert.deepEqual(
        ws.requests.map((r) => [r.api, r.method, r.status]),
        [['ingest', 'POST', 204]],
      );

      const table = firstTable(
        await query(
          ws,
          'MDEMachineActions_CL | project ActionId, Status, TimeGenerated, RelatedFileInfo, Commands, Title = ActionTitle | sort by ActionId asc',
        ),
      );
      assert.deepEqual(table.rows, [
        [
          '00000000-0000-4000-8000-000000000001',
          'Pending',
          '2026-11-29T10:00:00.1234567Z',
          '{"fileIdentifier":"abc","fileIdentifierType":"Sha1"}',
          '[]',
          '',
        ],
        [
          '00000000-0000-4000-8000-000000000002',
          'Succeeded',
          '2026-11-29T10:00:00.1234567Z',
          '{"fileIdentifier":"abc","fileIdentifierType":"Sha1"}',
          '[]',
          '',
        ],
      ]);
      // Stored exactly, to 100 ns.
      assert.equal(ws.table('MDEMachineActions_CL').rows[0]![0], '2026-11-29T10:00:00.1234567Z');
    });

    it('accepts a plain string body and a stream body; a row without TimeGenerated gets the ingestion time', async () => {
      assert.equal((await upload(ws, [{ ActionId: 'plain' }], false)).status, 204);
      const stream = Readable.from([Buffer.from('[{"ActionId":'), Buffer.from('"streamed"}]')]);
      assert.equal((await send(ws, ingestUrl(ws), stream)).status, 204);
      assert.deepEqual(
        ws.uploads.map((u) => u.gzip),
        [false, false],
      );
      const table = firstTable(await query(ws, 'MDEMachineActions_CL | project ActionId, TimeGenerated, ErrorHResult'));
      assert.deepEqual(table.rows, [
        ['plain', '2026-11-30T12:00:00Z', null],
        ['streamed', '2026-11-30T12:00:00Z', null],
      ]);
    });

    it('enforces the 1 MB limit on the body as sent: 1,000,000 bytes pass, one more is 413', async () => {
      const row = (comment: string) => [{ ActionId: 'big', RequestorComment: comment }];
      const overhead = JSON.stringify(row('')).length;
      const exact = JSON.stringify(row('x'.repeat(MAX_INGEST_BODY_BYTES - overhead)));
      assert.equal(Buffer.byteLength(exact), MAX_INGEST_BODY_BYTES);
      assert.equal((await send(ws, ingestUrl(ws), exact)).status, 204);
      const over = await send(ws, ingestUrl(ws), JSON.stringify(row('x'.repeat(MAX_INGEST_BODY_BYTES - overhead + 1))));
      assert.equal(over.status, 413);
      assert.equal(errorOf(over).code, 'ContentLengthLimitExceeded');
      // Compressed, the same rows are far below the limit: the limit applies to what is sent.
      assert.equal((await upload(ws, row('x'.repeat(3 * MAX_INGEST_BODY_BYTES)))).status, 204);
      assert.deepEqual(
        ws.uploads.map((u) => u.rows.length),
        [1, 1],
      );
    });

    it('rejects undeclared columns and bodies that are not arrays of objects (400 InvalidStream), adding nothing', async () => {
      const unknown = await upload(ws, [{ ActionId: 'a' }, { ActionId: 'b', id: 'x' }]);
      assert.equal(unknown.status, 400);
      assert.equal(errorOf(unknown).code, 'InvalidStream');
      assert.match(errorOf(unknown).message, /Row 1: .*'id'/);
      for (const body of [{ ActionId: 'a' }, [1, 2], ['a'], [[]]]) {
        const reply = await upload(ws, body);
        assert.equal(reply.status, 400, JSON.stringify(body));
        assert.equal(errorOf(reply).code, 'InvalidStream');
      }
      assert.deepEqual(ws.uploads, []);
      assert.deepEqual(ws.table('MDEMachineActions_CL').rows, []);
    });

    it('answers 404 for another DCR or stream, 400 without api-version', async () => {
      assert.equal((await send(ws, ingestUrl(ws, 'dcr-ffffffffffffffffffffffffffffffff'), '[]')).status, 404);
      assert.equal((await send(ws, ingestUrl(ws, ws.dcrImmutableId, 'Custom-Other_CL'), '[]')).status, 404);
      const noVersion = await send(
        ws,
        `${DCE}/dataCollectionRules/${ws.dcrImmutableId}/streams/${ws.streamName}`,
        '[]',
      );
      assert.equal(noVersion.status, 400);
      assert.equal(
        (
          await send(
            ws,
            `${DCE}/dataCollectionRules/${ws.dcrImmutableId}/streams/${ws.streamName}?api-version=2023-01-01`,
            '[]',
          )
        ).status,
        204,
      );
    });

    it('answers 401 without a bearer token, for both APIs', async () => {
      const none = await ws.httpClient.sendRequest(
        createPipelineRequest({ url: ingestUrl(ws), method: 'POST', body: '[]' }),
      );
      assert.equal(none.status, 401);
      const basic = await send(ws, ingestUrl(ws), '[]', { authorization: 'Basic dXNlcjpwYXNz' });
      assert.equal(basic.status, 401);
      const q = await send(ws, `${LA}/workspaces/${ws.workspaceId}/query`, JSON.stringify({ query: 'print 1' }), {
        authorization: '',
      });
      assert.equal(q.status, 401);
      assert.equal(errorOf(q).code, 'AuthenticationFailed');
      assert.deepEqual(
        ws.requests.map((r) => [r.api, r.status]),
        [
          ['ingest', 401],
          ['ingest', 401],
          ['query', 401],
        ],
      );
    });
  });

  describe('query', () => {
    beforeEach(() => {
      ws.setTable('Samples', {
        columns: [
          { name: 'TimeGenerated', type: 'datetime' },
          { name: 'Name', type: 'string' },
          { name: 'N', type: 'long' },
          { name: 'R', type: 'real' },
          { name: 'B', type: 'bool' },
          { name: 'D', type: 'dynamic' },
          { name: 'G', type: 'guid' },
          { name: 'Cancelled', type: 'datetime' },
        ],
        rows: [
          ['2026-11-29T10:00:00Z', 'whole', 1, 0.5, true, { a: 1 }, '2F48B784-5DA5-4E61-9957-012D2630F1E4', null],
          ['2026-11-30T11:00:00.1234567Z', 'ticks', 2, 2, false, [1, 'x'], null, '2026-11-30T11:30:00.5Z'],
          ['2026-11-30T11:59:00.1200000Z', 'millis', null, null, null, null, null, null],
        ],
      });
    });

    it('answers in the wire format: trimmed datetimes, numbers, booleans, dynamic as JSON text, nulls', async () => {
      const reply = await query(ws, 'Samples');
      assert.equal(reply.headers['content-type'], 'application/json');
      const table = firstTable(reply);
      assert.equal(table.name, 'PrimaryResult');
      assert.deepEqual(table.columns, [
        { name: 'TimeGenerated', type: 'datetime' },
        { name: 'Name', type: 'string' },
        { name: 'N', type: 'long' },
        { name: 'R', type: 'real' },
        { name: 'B', type: 'bool' },
        { name: 'D', type: 'dynamic' },
        { name: 'G', type: 'guid' },
        { name: 'Cancelled', type: 'datetime' },
      ]);
      assert.deepEqual(table.rows, [
        ['2026-11-29T10:00:00Z', 'whole', 1, 0.5, true, '{"a":1}', '2f48b784-5da5-4e61-9957-012d2630f1e4', null],
        ['2026-11-30T11:00:00.1234567Z', 'ticks', 2, 2, false, '[1,"x"]', null, '2026-11-30T11:30:00.5Z'],
        ['2026-11-30T11:59:00.12Z', 'millis', null, null, null, null, null, null],
      ]);
      assert.deepEqual(ws.requests.at(-1), {
        api: 'query',
        method: 'POST',
        url: `${LA}/workspaces/${ws.workspaceId}/query`,
        status: 200,
        body: { query: 'Samples' },
      });
    });

    it('restricts every table to the timespan (inclusive bounds) before the query runs', async () => {
      const names = async (timespan: string) =>
        firstTable(await query(ws, 'Samples | project Name', timespan)).rows.map((r) => r[0]);
      assert.deepEqual(await names('PT1H'), ['ticks', 'millis']);
      assert.deepEqual(await names('P1D'), ['ticks', 'millis']);
      assert.deepEqual(await names('P2D'), ['whole', 'ticks', 'millis']);
      assert.deepEqual(await names('PT0.9S'), []);
      assert.deepEqual(await names('2026-11-29T10:00:00.000Z/2026-11-30T11:00:00.000Z'), ['whole']);
      assert.deepEqual(await names('2026-11-29T10:00:00Z/2026-11-30T11:00:00.1234567Z'), ['whole', 'ticks']);
      assert.deepEqual(await names('2026-11-30T11:00:00Z/PT1H'), ['ticks', 'millis']);
      assert.deepEqual(await names('PT2M/2026-11-30T12:00:00Z'), ['millis']);
      // The query still sees all of the timespan's rows, whatever it asks.
      assert.deepEqual(firstTable(await query(ws, 'Samples | count', 'PT1H')).rows, [[2]]);
      const bad = await query(ws, 'Samples', 'yesterday');
      assert.equal(bad.status, 400);
      assert.equal(errorOf(bad).code, 'BadArgumentError');
    });

    it('parses the timespan forms the SDK sends', () => {
      assert.deepEqual(parseQueryTimespan('P7D', NOW), {
        from: '2026-11-23T12:00:00.0000000Z',
        to: '2026-11-30T12:00:00.0000000Z',
      });
      assert.deepEqual(parseQueryTimespan('PT24H', NOW), {
        from: '2026-11-29T12:00:00.0000000Z',
        to: '2026-11-30T12:00:00.0000000Z',
      });
      assert.deepEqual(parseQueryTimespan('P1DT2H30M', NOW)?.from, '2026-11-29T09:30:00.0000000Z');
      assert.equal(parseQueryTimespan('P1M', NOW), null);
      assert.equal(parseQueryTimespan('P', NOW), null);
      assert.equal(parseQueryTimespan('2026-11-30T00:00:00Z/2026-11-29T00:00:00Z', NOW), null);
    });

    it('answers 400 BadArgumentError for semantic and syntax errors', async () => {
      const semantic = await query(ws, 'Samples | where Missing == 1');
      assert.equal(semantic.status, 400);
      const e = errorOf(semantic);
      assert.equal(e.code, 'BadArgumentError');
      assert.equal(e.innererror?.code, 'SemanticError');
      assert.match(e.innererror?.message ?? '', /Failed to resolve scalar expression named 'Missing'/);
      const syntax = await query(ws, "Samples | where Name == 'x");
      assert.equal(syntax.status, 400);
      assert.equal(errorOf(syntax).innererror?.code, 'SyntaxError');
      const unknownTable = await query(ws, 'Nope | take 1');
      assert.equal(errorOf(unknownTable).innererror?.code, 'SemanticError');
      const notJson = await send(ws, `${LA}/workspaces/${ws.workspaceId}/query`, 'query=Samples');
      assert.equal(notJson.status, 400);
    });

    it('answers 404 PathNotFoundError for another workspace', async () => {
      const reply = await query(ws, 'Samples', undefined, '00000000-0000-0000-0000-000000000000');
      assert.equal(reply.status, 404);
      assert.equal(errorOf(reply).code, 'PathNotFoundError');
    });
  });

  describe('scripted failures', () => {
    it('failNext: 429 with Retry-After, as many times as asked, then normal answers', async () => {
      ws.failNext({ api: 'ingest', status: 429, retryAfterSeconds: 7, times: 2 });
      const first = await upload(ws, [{ ActionId: 'a' }]);
      assert.equal(first.status, 429);
      assert.equal(first.headers['retry-after'], '7');
      assert.equal(errorOf(first).code, 'TooManyRequests');
      // Queries are not affected by an ingestion failure.
      assert.equal((await query(ws, 'MDEMachineActions_CL | count')).status, 200);
      assert.equal((await upload(ws, [{ ActionId: 'a' }])).status, 429);
      assert.equal((await upload(ws, [{ ActionId: 'a' }])).status, 204);
      assert.equal(ws.uploads.length, 1);
      assert.deepEqual(
        ws.requests.map((r) => `${r.api} ${r.status}`),
        ['ingest 429', 'query 200', 'ingest 429', 'ingest 204'],
      );
    });

    it('failNext: 403 with the ingestion text, 500/503 for queries, custom bodies', async () => {
      ws.failNext({ api: 'ingest', status: 403 });
      const denied = await upload(ws, [{ ActionId: 'a' }]);
      assert.equal(denied.status, 403);
      assert.equal(
        errorOf(denied).message,
        `The authentication token provided does not have access to ingest data for the data collection rule with immutable Id '${ws.dcrImmutableId}'.`,
      );
      ws.failNext({ api: 'query', status: 503, retryAfterSeconds: 1 });
      ws.failNext({ api: 'query', status: 500, body: { error: { code: 'Custom', message: 'boom' } } });
      const unavailable = await query(ws, 'MDEMachineActions_CL | count');
      assert.equal(unavailable.status, 503);
      assert.equal(unavailable.headers['retry-after'], '1');
      const custom = await query(ws, 'MDEMachineActions_CL | count');
      assert.deepEqual([custom.status, custom.json], [500, { error: { code: 'Custom', message: 'boom' } }]);
      assert.equal((await query(ws, 'MDEMachineActions_CL | count')).status, 200);
    });

    it('partialNext: the next query answers 200 with its tables and an error member, once', async () => {
      ws.partialNext({ code: 'QueryExecutionLimitExceeded', message: 'Result truncated' });
      const reply = await query(ws, 'MDEMachineActions_CL | count');
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.json, {
        tables: [{ name: 'PrimaryResult', columns: [{ name: 'Count', type: 'long' }], rows: [[0]] }],
        error: {
          code: 'PartialError',
          message: 'There were some errors when processing your query.',
          details: [{ code: 'QueryExecutionLimitExceeded', message: 'Result truncated' }],
        },
      });
      const next = await query(ws, 'MDEMachineActions_CL | count');
      assert.equal((next.json as { error?: unknown }).error, undefined);
    });
  });

  describe('inspection', () => {
    it('addRows converts values like ingestion; table() returns a copy; unknown names throw', () => {
      ws.addRows('MDEMachineActions_CL', [
        { ActionId: 'x', CreationDateTimeUtc: '2026-11-29T10:00:00.5Z', ErrorHResult: '-5', Commands: [{ a: 1 }] },
      ]);
      const table = ws.table('MDEMachineActions_CL');
      const row = Object.fromEntries(table.columns.map((c, i) => [c.name, table.rows[0]![i]]));
      assert.equal(row.TimeGenerated, '2026-11-30T12:00:00.0000000Z');
      assert.equal(row.CreationDateTimeUtc, '2026-11-29T10:00:00.5000000Z');
      assert.equal(row.ErrorHResult, -5);
      assert.equal(row.ActionTitle, '');
      assert.deepEqual(row.Commands, [{ a: 1 }]);
      table.rows.length = 0;
      assert.equal(ws.table('MDEMachineActions_CL').rows.length, 1);
      assert.throws(() => ws.addRows('MDEMachineActions_CL', [{ Nope: 1 }]), /no column Nope/);
      assert.throws(() => ws.table('Nope'), /no table Nope/);
    });

    it('honours custom ids and starting tables', async () => {
      const custom = createFakeWorkspace({
        now: () => NOW,
        workspaceId: 'ws-1',
        dcrImmutableId: 'dcr-1',
        streamName: 'Custom-Other_CL',
        tables: { Seed: { columns: [{ name: 'X', type: 'long' }], rows: [[1], [2]] } },
      });
      assert.deepEqual(firstTable(await query(custom, 'Seed | summarize sum(X)')).rows, [[3]]);
      assert.equal(
        (
          await send(
            custom,
            `${DCE}/dataCollectionRules/dcr-1/streams/Custom-Other_CL?api-version=2023-01-01`,
            '[{"ActionId":"a"}]',
          )
        ).status,
        204,
      );
      assert.deepEqual(firstTable(await query(custom, 'Other_CL | project ActionId')).rows, [['a']]);
    });
  });
});
