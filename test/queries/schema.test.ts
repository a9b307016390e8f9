import assert from 'node:assert/strict';
import { MACHINE_ACTION_KEYS } from '../../src/core/types.js';
import {
  DCR_COLUMNS,
  DCR_TABLE,
  kustoSchemaText,
  LEGACY_COLUMNS,
  LEGACY_TABLE,
  toDcrRow,
} from '../../src/queries/schema.js';
import { makeAction } from '../fakes/actions.js';

describe('queries/schema', () => {
  it('names the two tables', () => {
    assert.equal(DCR_TABLE, 'MDEMachineActions_CL');
    assert.equal(LEGACY_TABLE, 'MDATPAdminAuditLog_CL');
  });

  it('declares the DCR columns of the design, with Log Analytics types', () => {
    assert.deepEqual(
      DCR_COLUMNS.map((c) => `${c.name}:${c.type}`),
      [
        'TimeGenerated:datetime',
        'ActionId:string',
        'ActionType:string',
        'ActionTitle:string',
        'Requestor:string',
        'RequestorComment:string',
        'Status:string',
        'MachineId:string',
        'ComputerDnsName:string',
        'CreationDateTimeUtc:datetime',
        'LastUpdateDateTimeUtc:datetime',
        'CancellationRequestor:string',
        'CancellationComment:string',
        'CancellationDateTimeUtc:datetime',
        'ErrorHResult:long',
        'Scope:string',
        'ExternalId:string',
        'RequestSource:string',
        'RelatedFileInfo:dynamic',
        'Commands:dynamic',
        'TroubleshootInfo:dynamic',
      ],
    );
    // Every MachineAction field has exactly one column; TimeGenerated has none.
    assert.deepEqual(
      DCR_COLUMNS.map((c) => c.source)
        .filter((s) => s !== null)
        .sort(),
      [...MACHINE_ACTION_KEYS].sort(),
    );
    for (const c of DCR_COLUMNS) {
      assert.match(c.name, /^[A-Za-z][A-Za-z0-9_]{0,44}$/, 'Log Analytics column name rules');
      assert.ok(
        !['id', 'type', 'title', 'tenantid', 'uniqueid', '_resourceid', '_subscriptionid'].includes(
          c.name.toLowerCase(),
        ),
        `${c.name} is reserved`,
      );
    }
  });

  it('marks which legacy columns may be absent', () => {
    assert.deepEqual(
      LEGACY_COLUMNS.filter((c) => !c.maybeAbsent)
        .map((c) => c.name)
        .sort(),
      ['TimeGenerated', 'creationDateTimeUtc_t', 'id_g', 'machineId_s', 'status_s', 'type_s'].sort(),
    );
    for (const name of [
      'requestor_s',
      'requestor_g',
      'title_s',
      'cancellationRequestor_g',
      'errorHResult_d',
      'computerDnsName_s',
    ]) {
      assert.equal(LEGACY_COLUMNS.find((c) => c.name === name)?.maybeAbsent, true, name);
    }
    // Suffixes follow the Data Collector API's inferred types.
    const suffixType: Record<string, string> = { _s: 'string', _g: 'guid', _t: 'datetime', _d: 'real' };
    for (const c of LEGACY_COLUMNS) {
      if (c.name === 'TimeGenerated') continue;
      assert.equal(c.type, suffixType[c.name.slice(-2)], c.name);
    }
  });

  it('writes a Kusto schema text', () => {
    assert.equal(kustoSchemaText(DCR_COLUMNS.slice(0, 2)), '(TimeGenerated:datetime, ActionId:string)');
  });

  it('converts an action to a DCR row: TimeGenerated = last update, 7-digit timestamps, dynamic values kept', () => {
    const action = makeAction({
      id: '5382f7ea-7557-4ab7-9782-d50480024a4e',
      type: 'StopAndQuarantineFile',
      creationDateTimeUtc: '2025-04-03T10:20:00.154974Z',
      lastUpdateDateTimeUtc: '2025-04-03T10:25:00Z',
      cancellationDateTimeUtc: null,
      relatedFileInfo: { fileIdentifier: 'abc', fileIdentifierType: 'Sha1' },
      commands: [{ index: 0 }],
      errorHResult: -2147467260,
    });
    const row = toDcrRow(action);
    assert.deepEqual(
      Object.keys(row),
      DCR_COLUMNS.map((c) => c.name),
    );
    assert.equal(row.TimeGenerated, '2025-04-03T10:25:00.0000000Z');
    assert.equal(row.LastUpdateDateTimeUtc, '2025-04-03T10:25:00.0000000Z');
    assert.equal(row.CreationDateTimeUtc, '2025-04-03T10:20:00.1549740Z');
    assert.equal(row.CancellationDateTimeUtc, null);
    assert.equal(row.ActionId, action.id);
    assert.equal(row.ActionType, 'StopAndQuarantineFile');
    assert.equal(row.ActionTitle, null);
    assert.equal(row.ErrorHResult, -2147467260);
    assert.deepEqual(row.RelatedFileInfo, { fileIdentifier: 'abc', fileIdentifierType: 'Sha1' });
    assert.deepEqual(row.Commands, [{ index: 0 }]);
    assert.equal(row.TroubleshootInfo, null);
    assert.equal(row.Requestor, action.requestor);
    assert.equal(row.ComputerDnsName, action.computerDnsName);
  });
});
