import assert from 'node:assert/strict';
import { mapKqlRows, wireTimestamp } from '../../src/queries/rows.js';
import { mapKqlRows as reexported } from '../../src/queries/sqlite-backend.js';

/** A Log Analytics row of the list/one queries: Kusto has no null strings, datetimes as Date or ISO. */
function kqlActionRow(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    type: 'Isolate',
    title: '',
    scope: 'Full',
    status: 'Succeeded',
    machineId: 'a1'.repeat(20),
    computerDnsName: 'ws-042.contoso.com',
    requestor: 'Alex.Wilber@contoso.com',
    requestorComment: 'why',
    requestSource: 'Portal',
    creationDateTimeUtc: '2026-11-29T10:00:00.1230000Z',
    lastUpdateDateTimeUtc: new Date('2026-11-29T10:05:00.500Z'),
    cancellationRequestor: '',
    cancellationComment: '',
    cancellationDateTimeUtc: null,
    errorHResult: 0,
    externalId: '',
    ...overrides,
  };
}

describe('queries/rows: mapping Log Analytics rows', () => {
  it('is the same function from the backend module', () => {
    assert.equal(reexported, mapKqlRows);
  });

  it('formats timestamps the way the API does', () => {
    assert.equal(wireTimestamp('2026-11-29T10:00:00.1230000Z'), '2026-11-29T10:00:00.123Z');
    assert.equal(wireTimestamp('2026-11-29T10:00:00Z'), '2026-11-29T10:00:00.0Z');
    assert.equal(wireTimestamp(new Date('2026-11-29T10:00:00.000Z')), '2026-11-29T10:00:00.0Z');
    assert.equal(wireTimestamp('2026-11-29T10:00:00.1234567Z'), '2026-11-29T10:00:00.1234567Z');
    assert.equal(wireTimestamp(null), null);
    assert.equal(wireTimestamp(''), null);
    assert.equal(wireTimestamp(new Date(Number.NaN)), null);
  });

  it('maps list rows, turning Kusto empty strings into nulls, and reads the total column', () => {
    const r = mapKqlRows('list', [{ ...kqlActionRow(), total: 42 }]);
    assert.deepEqual(r, {
      shape: 'list',
      total: 42,
      rows: [
        {
          id: '00000000-0000-4000-8000-000000000001',
          type: 'Isolate',
          title: null,
          scope: 'Full',
          status: 'Succeeded',
          machineId: 'a1'.repeat(20),
          computerDnsName: 'ws-042.contoso.com',
          requestor: 'Alex.Wilber@contoso.com',
          requestorComment: 'why',
          requestSource: 'Portal',
          creationDateTimeUtc: '2026-11-29T10:00:00.123Z',
          lastUpdateDateTimeUtc: '2026-11-29T10:05:00.5Z',
          cancellationRequestor: null,
          cancellationComment: null,
          cancellationDateTimeUtc: null,
          errorHResult: 0,
          externalId: null,
        },
      ],
    });
  });

  it('takes the total of an empty page from the total query, else infers it', () => {
    assert.equal((mapKqlRows('list', [], { totalRows: [{ total: 7 }], offset: 20 }) as { total: number }).total, 7);
    assert.equal((mapKqlRows('list', [kqlActionRow()], { offset: 20 }) as { total: number }).total, 21);
    assert.equal((mapKqlRows('list', []) as { total: number }).total, 0);
  });

  it('maps counts (long cells may arrive as strings) and their total', () => {
    assert.deepEqual(
      mapKqlRows('countByType', [
        { key: 'Isolate', count: 6, total: '16' },
        { key: 'Unisolate', count: '4', total: '16' },
      ]),
      {
        shape: 'countByType',
        rows: [
          { key: 'Isolate', count: 6 },
          { key: 'Unisolate', count: 4 },
        ],
        total: 16,
      },
    );
    assert.deepEqual(mapKqlRows('countByDay', [{ key: '2026-11-29', count: 2 }]), {
      shape: 'countByDay',
      rows: [{ key: '2026-11-29', count: 2 }],
      total: 2,
    });
  });

  it('maps isolation rows and one action with its history', () => {
    assert.deepEqual(
      mapKqlRows('isolation', [
        {
          machineId: 'm',
          computerDnsName: '',
          actionId: 'a',
          status: 'Pending',
          scope: 'Selective',
          requestor: 'r',
          requestorComment: '',
          since: new Date('2026-11-29T10:00:00.000Z'),
        },
      ]),
      {
        shape: 'isolation',
        rows: [
          {
            machineId: 'm',
            computerDnsName: null,
            actionId: 'a',
            status: 'Pending',
            scope: 'Selective',
            requestor: 'r',
            requestorComment: null,
            since: '2026-11-29T10:00:00.0Z',
          },
        ],
        total: 1,
      },
    );
    const one = mapKqlRows('one', [kqlActionRow()], {
      historyRows: [
        { status: 'Pending', at: '2026-11-29T10:00:00.1230000Z' },
        { status: 'Succeeded', at: new Date('2026-11-29T10:05:00.500Z') },
      ],
    });
    assert.equal(one.shape, 'one');
    assert.equal(one.row?.id, '00000000-0000-4000-8000-000000000001');
    assert.deepEqual(one.history, [
      { status: 'Pending', at: '2026-11-29T10:00:00.123Z' },
      { status: 'Succeeded', at: '2026-11-29T10:05:00.5Z' },
    ]);
    assert.deepEqual(mapKqlRows('one', []), { shape: 'one', row: null, history: [] });
  });
});
