import assert from 'node:assert/strict';
import type { MachineAction } from '../../src/core/types.js';
import { compileFilter, ODataQueryError, parseFilter, parseQuery, type FilterRow } from '../../src/simulator/odata.js';
import { normalizeTimestamp } from '../../src/core/timestamps.js';
import { getJson, request, simulatorPool } from './helpers.js';

/** A complete 20-key action with the given fields changed. */
function action(over: Partial<MachineAction> & { id: string }): MachineAction {
  return {
    id: over.id,
    type: over.type ?? 'RunAntiVirusScan',
    title: null,
    requestor: over.requestor ?? 'Alex.Wilber@contoso.com',
    requestorComment: 'Quick Scan',
    status: over.status ?? 'Succeeded',
    machineId: over.machineId ?? 'f46b9bb259ed4a7fb9981b73510e3cc7aa81ec1f',
    computerDnsName: 'ws-001.contoso.com',
    creationDateTimeUtc: over.creationDateTimeUtc ?? '2025-03-25T10:36:47.2968211Z',
    lastUpdateDateTimeUtc: over.lastUpdateDateTimeUtc ?? '2025-03-25T10:40:00.5Z',
    cancellationRequestor: null,
    cancellationComment: null,
    cancellationDateTimeUtc: null,
    errorHResult: 0,
    scope: 'Quick',
    externalId: null,
    requestSource: 'Portal',
    relatedFileInfo: null,
    commands: [],
    troubleshootInfo: null,
  };
}

const row = (a: MachineAction): FilterRow => ({
  action: a,
  created: normalizeTimestamp(a.creationDateTimeUtc) ?? '',
  updated: normalizeTimestamp(a.lastUpdateDateTimeUtc) ?? '',
});

const matches = (filter: string, a: MachineAction): boolean => compileFilter(parseFilter(filter))(row(a));

describe('simulator: OData subset', () => {
  describe('parser and evaluator', () => {
    const a = action({ id: 'a1', status: 'Pending', type: 'Isolate', requestor: "O'Brien@contoso.com" });

    it('evaluates each comparison operator on strings (case-insensitive) and dates', () => {
      assert.equal(matches("status eq 'Pending'", a), true);
      assert.equal(matches("status eq 'pending'", a), true, 'eq ignores case');
      assert.equal(matches("status ne 'Pending'", a), false);
      assert.equal(matches("status ne 'Succeeded'", a), true);
      assert.equal(matches("type gt 'Hello'", a), true);
      assert.equal(matches("type ge 'isolate'", a), true);
      assert.equal(matches("type lt 'Isolate'", a), false);
      assert.equal(matches("type le 'ISOLATE'", a), true);
      assert.equal(matches('creationDateTimeUtc gt 2025-03-25T10:36:47Z', a), true);
      assert.equal(matches('creationDateTimeUtc lt 2025-03-25T10:36:47Z', a), false);
      assert.equal(matches('creationDateTimeUtc ge 2025-03-25T10:36:47.2968211Z', a), true);
      assert.equal(matches('creationDateTimeUtc le 2025-03-25T10:36:47.2968211Z', a), true);
      assert.equal(matches('creationDateTimeUtc eq 2025-03-25T10:36:47.2968211Z', a), true);
      assert.equal(matches('creationDateTimeUtc ne 2025-03-25T10:36:47.2968211Z', a), false);
      assert.equal(matches("'Pending' eq status", a), true, 'literal on the left');
      assert.equal(matches('2025-03-25T10:36:48Z gt creationDateTimeUtc', a), true);
    });

    it('compares date-times as instants at 100 ns precision, whatever the digit counts', () => {
      const b = action({ id: 'b', lastUpdateDateTimeUtc: '2025-04-03T10:20:00.154974Z' }); // 6 digits = .1549740
      assert.equal(matches('lastUpdateDateTimeUtc eq 2025-04-03T10:20:00.1549740Z', b), true);
      assert.equal(matches('lastUpdateDateTimeUtc gt 2025-04-03T10:20:00.1549739Z', b), true);
      assert.equal(matches('lastUpdateDateTimeUtc gt 2025-04-03T10:20:00.1549741Z', b), false);
      assert.throws(
        () => matches('lastUpdateDateTimeUtc lt 2025-04-03T10:20:00.15497401Z', b),
        /DateTimeOffset text/,
        'more than 7 digits',
      );
    });

    it('gives and precedence over or, honours parentheses and not', () => {
      // status eq 'Succeeded' or (type eq 'Isolate' and status eq 'Pending')
      assert.equal(matches("status eq 'Succeeded' or type eq 'Isolate' and status eq 'Pending'", a), true);
      assert.equal(matches("(status eq 'Succeeded' or type eq 'Isolate') and status eq 'Failed'", a), false);
      assert.equal(matches("status eq 'Failed' and type eq 'Isolate' or requestor eq 'x'", a), false);
      assert.equal(matches("status eq 'Failed' and (type eq 'Isolate' or status eq 'Pending')", a), false);
      assert.equal(matches("not (status eq 'Failed')", a), true);
      assert.equal(matches("not startswith(type,'Iso')", a), false);
    });

    it("supports startswith and '' quote escaping", () => {
      assert.equal(matches("startswith(requestor,'o''brien')", a), true);
      assert.equal(matches("requestor eq 'O''Brien@contoso.com'", a), true);
      assert.equal(matches("startswith(requestor,'Alex')", a), false);
      assert.equal(matches("startswith(machineId,'F46B')", a), true);
    });

    it('parses $top, $skip and $orderby', () => {
      const q = parseQuery(new URLSearchParams('$top=5&$skip=10&$orderby=lastUpdateDateTimeUtc desc, id&foo=bar'));
      assert.equal(q.top, 5);
      assert.equal(q.skip, 10);
      assert.deepEqual(q.orderBy, [
        { field: 'lastUpdateDateTimeUtc', direction: 'desc' },
        { field: 'id', direction: 'asc' },
      ]);
      assert.equal(parseQuery(new URLSearchParams('')).top, undefined);
    });

    it('rejects what the service rejects, with OData messages', () => {
      const bad: [string, RegExp][] = [
        ['$stop=10', /^Custom query option '\$stop' that starts with '\$' is not supported\.$/],
        [
          '$top=10001',
          /^The limit of '10000' for Top query has been exceeded\. The value from the incoming request is '10001'\.$/,
        ],
        ['$top=abc', /^Invalid value 'abc' for \$top query option found/],
        ['$top=-1', /^Invalid value '-1' for \$top/],
        ['$top=1.5', /^Invalid value '1.5' for \$top/],
        ['$skip=x', /^Invalid value 'x' for \$skip/],
        ['$top=1&$top=2', /specified more than once/],
        ["$filter=foo eq 'x'", /^Could not find a property named 'foo' on type 'MachineAction'\.$/],
        [
          "$filter=computerDnsName eq 'x'",
          /^The property 'computerDnsName' cannot be used in the \$filter query option\.$/,
        ],
        ["$filter=status eq 'x", /unterminated string literal/],
        ['$filter=status eq', /Expression expected/],
        ["$filter=status EQ 'x'", /^Syntax error at position 7/],
        ["$filter=(status eq 'x'", /'\)' or operator expected/],
        ["$filter=status eq 'x' )", /^Syntax error/],
        [
          "$filter=creationDateTimeUtc gt '2025-01-01T00:00:00Z'",
          /incompatible types.*'Edm\.DateTimeOffset' and 'Edm\.String'.*'GreaterThan'/,
        ],
        ['$filter=status eq 2025-01-01T00:00:00Z', /incompatible types/],
        ['$filter=creationDateTimeUtc gt 2025-02-30T00:00:00Z', /DateTimeOffset text/],
        ["$filter=contains(status,'x')", /unknown function with name 'contains'/],
        ['$orderby=foo', /Could not find a property named 'foo'/],
        ['$orderby=status sideways', /Syntax error/],
      ];
      for (const [query, message] of bad) {
        assert.throws(
          () => parseQuery(new URLSearchParams(query)),
          (e: unknown) => e instanceof ODataQueryError && message.test(e.message),
          query,
        );
      }
      assert.throws(
        () =>
          parseQuery(new URLSearchParams('$filter=lastUpdateDateTimeUtc gt 2025-01-01T00:00:00Z'), {
            rejectLastUpdate: true,
          }),
        /Could not find a property named 'lastUpdateDateTimeUtc'/,
      );
    });

    it('converts date literals with offsets to UTC', () => {
      assert.equal(matches('creationDateTimeUtc eq 2025-03-25T12:36:47.2968211+02:00', action({ id: 'x' })), true);
    });
  });

  describe('over HTTP', () => {
    const pool = simulatorPool();
    afterEach(() => pool.stopAll());

    const dataset = [
      action({
        id: 'id-1',
        status: 'Succeeded',
        creationDateTimeUtc: '2025-01-01T00:00:01.1Z',
        lastUpdateDateTimeUtc: '2025-01-01T00:00:09.1234567Z',
      }),
      action({
        id: 'id-2',
        status: 'Pending',
        type: 'Isolate',
        creationDateTimeUtc: '2025-01-01T00:00:02.12Z',
        lastUpdateDateTimeUtc: '2025-01-01T00:00:09.123456Z',
      }),
      action({
        id: 'id-3',
        status: 'Failed',
        creationDateTimeUtc: '2025-01-01T00:00:03Z'.replace('Z', '.5Z'),
        lastUpdateDateTimeUtc: '2025-01-01T00:00:09.12346Z',
      }),
      action({
        id: 'id-4',
        status: 'TimeOut',
        requestor: '2f48b784-5da5-4e61-9957-012d2630f1e4',
        creationDateTimeUtc: '2025-01-01T00:00:04.9999999Z',
        lastUpdateDateTimeUtc: '2025-01-01T00:00:08Z'.replace('Z', '.9Z'),
      }),
      action({
        id: 'id-5',
        status: 'Cancelled',
        creationDateTimeUtc: '2025-01-01T00:00:05.05Z',
        lastUpdateDateTimeUtc: '2025-01-01T00:00:10.0000001Z',
      }),
    ];
    const ids = (body: { value: MachineAction[] }): string[] => body.value.map((a) => a.id);

    it('filters, orders, skips and tops; default order is newest creation first', async () => {
      const { endpoint, token } = await pool.start({ dataset });
      const list = async (q: string): Promise<string[]> => {
        const r = await getJson(endpoint, `/api/machineactions${q}`, token);
        assert.equal(r.status, 200, `${q}: ${JSON.stringify(r.body)}`);
        assert.match(r.headers['content-type'] ?? '', /^application\/json; odata\.metadata=minimal/);
        assert.equal(r.body['@odata.context'], `${endpoint.baseUrl}/api/$metadata#MachineActions`);
        return ids(r.body);
      };
      assert.deepEqual(await list(''), ['id-5', 'id-4', 'id-3', 'id-2', 'id-1']);
      // 7-digit precision with mixed digit counts: .1234567 > .123460 > .123456
      assert.deepEqual(await list('?$orderby=lastUpdateDateTimeUtc asc'), ['id-4', 'id-2', 'id-1', 'id-3', 'id-5']);
      assert.deepEqual(await list('?$orderby=lastUpdateDateTimeUtc desc'), ['id-5', 'id-3', 'id-1', 'id-2', 'id-4']);
      assert.deepEqual(
        await list('?$filter=lastUpdateDateTimeUtc gt 2025-01-01T00:00:09.123456Z&$orderby=lastUpdateDateTimeUtc asc'),
        ['id-1', 'id-3', 'id-5'],
      );
      assert.deepEqual(
        await list(
          '?$filter=lastUpdateDateTimeUtc ge 2025-01-01T00:00:09.1234560Z&$orderby=lastUpdateDateTimeUtc asc&$top=2',
        ),
        ['id-2', 'id-1'],
      );
      assert.deepEqual(
        await list(
          '?$filter=lastUpdateDateTimeUtc ge 2025-01-01T00:00:09.1234560Z&$orderby=lastUpdateDateTimeUtc asc&$top=2&$skip=2',
        ),
        ['id-3', 'id-5'],
      );
      assert.deepEqual(
        await list(
          '?$filter=creationDateTimeUtc ge 2025-01-01T00:00:03Z and creationDateTimeUtc lt 2025-01-01T00:00:05.05Z',
        ),
        ['id-4', 'id-3'],
      );
      assert.deepEqual(await list("?$filter=status eq 'pending' or status eq 'FAILED'&$orderby=id desc"), [
        'id-3',
        'id-2',
      ]);
      assert.deepEqual(await list("?$filter=startswith(requestor,'2f48')"), ['id-4']);
      assert.deepEqual(await list("?$filter=id eq 'ID-3'"), ['id-3']);
      assert.deepEqual(await list('?$orderby=status asc,creationDateTimeUtc desc&$skip=1&$top=3'), [
        'id-3',
        'id-2',
        'id-1',
      ]);
      assert.deepEqual(await list('?$top=0'), []);
      assert.deepEqual(await list('?$skip=10'), []);
    });

    it('returns the exact 400 bodies for OData errors', async () => {
      const { endpoint, token } = await pool.start({ dataset });
      const stop = await request(endpoint, '/api/machineactions?$stop=10', { token });
      assert.equal(stop.status, 400);
      assert.equal(
        stop.text,
        `{"error":{"code":"","message":"The query specified in the URI is not valid. Custom query option '$stop' that starts with '$' is not supported.","details":[]}}`,
      );
      for (const q of ['$top=10001', "$filter=foo eq 'x'", '$filter=status eq', '$top=ten']) {
        const r = await getJson(endpoint, `/api/v1.0/machineactions?${q}`, token);
        assert.equal(r.status, 400, q);
        assert.deepEqual(Object.keys(r.body.error), ['code', 'message', 'details']);
        assert.equal(r.body.error.code, '');
        assert.ok(
          r.body.error.message.startsWith('The query specified in the URI is not valid. '),
          r.body.error.message,
        );
        assert.deepEqual(r.body.error.details, []);
      }
    });

    it('rejectLastUpdateFilter: $filter or $orderby on lastUpdateDateTimeUtc is a 400, creation time still works', async () => {
      const { endpoint, token } = await pool.start({ dataset, rejectLastUpdateFilter: true });
      for (const q of ['$filter=lastUpdateDateTimeUtc gt 2025-01-01T00:00:00Z', '$orderby=lastUpdateDateTimeUtc asc']) {
        const r = await getJson(endpoint, `/api/machineactions?${q}`, token);
        assert.equal(r.status, 400);
        assert.equal(r.body.error.code, '');
        assert.match(
          r.body.error.message,
          /^The query specified in the URI is not valid\. Could not find a property named 'lastUpdateDateTimeUtc'/,
        );
      }
      const ok = await getJson(
        endpoint,
        '/api/machineactions?$filter=creationDateTimeUtc ge 2025-01-01T00:00:03Z&$orderby=creationDateTimeUtc asc',
        token,
      );
      assert.deepEqual(ids(ok.body), ['id-3', 'id-4', 'id-5']);
    });
  });
});
