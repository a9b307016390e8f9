import assert from 'node:assert/strict';
import { MACHINE_ACTION_KEYS } from '../../src/core/types.js';
import { compareTimestamps } from '../../src/core/timestamps.js';
import { getJson, postJson, request, simulatorPool } from './helpers.js';

const ALL_ACTION_ROLES = [
  'Machine.Read.All',
  'Machine.Isolate',
  'Machine.Scan',
  'Machine.RestrictExecution',
  'Machine.CollectForensics',
  'Machine.StopAndQuarantine',
  'Machine.Offboard',
  'Machine.LiveResponse',
];
const CLIENT_ID = '11111111-1111-1111-1111-111111111111';
/** Devices but no history: no earlier Pending action can collide with the POSTs under test. */
const EMPTY = { devices: 12, days: 1, actionsPerDay: 0 };

describe('simulator: machine actions, cancel and machines', () => {
  const pool = simulatorPool();
  afterEach(() => pool.stopAll());

  it('each action POST returns 201 with a Pending MachineAction requested by the app', async () => {
    const { endpoint, token, sim, clock } = await pool.start({ roles: ALL_ACTION_ROLES, generate: EMPTY });
    const online = sim.tenant.machines().map((m) => m.id);
    const cases: [string, Record<string, unknown>, string, string | null][] = [
      ['isolate', { Comment: 'Isolate', IsolationType: 'Selective' }, 'Isolate', 'Selective'],
      ['unisolate', { Comment: 'Release' }, 'Unisolate', null],
      ['runAntiVirusScan', { Comment: 'Scan', ScanType: 'Full' }, 'RunAntiVirusScan', 'Full'],
      ['restrictCodeExecution', { Comment: 'Restrict' }, 'RestrictCodeExecution', null],
      ['unrestrictCodeExecution', { Comment: 'Unrestrict' }, 'UnrestrictCodeExecution', null],
      ['collectInvestigationPackage', { Comment: 'Collect' }, 'CollectInvestigationPackage', null],
      [
        'StopAndQuarantineFile',
        { Comment: 'Quarantine', Sha1: 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d' },
        'StopAndQuarantineFile',
        null,
      ],
      ['offboard', { Comment: 'Offboard' }, 'Offboard', null],
      [
        'runliveresponse',
        { Comment: 'LR', Commands: [{ type: 'RunScript', params: [{ key: 'ScriptName', value: 'x.ps1' }] }] },
        'LiveResponse',
        null,
      ],
    ];
    let previous = '';
    for (const [i, [route, body, type, scope]] of cases.entries()) {
      await clock.advance(1); // distinct creation instants
      const machineId = online[i % online.length] ?? '';
      const r = await postJson(endpoint, `/api/machines/${machineId}/${route}`, body, token);
      assert.equal(r.status, 201, `${route}: ${JSON.stringify(r.body)}`);
      const { ['@odata.context']: context, ...a } = r.body;
      assert.equal(context, `${endpoint.baseUrl}/api/$metadata#MachineActions/$entity`);
      assert.deepEqual(Object.keys(a), [...MACHINE_ACTION_KEYS]);
      assert.equal(a.type, type);
      assert.equal(a.status, 'Pending');
      assert.equal(a.requestor, CLIENT_ID);
      assert.equal(a.requestSource, 'PublicApi');
      assert.equal(a.requestorComment, body['Comment']);
      assert.equal(a.machineId, machineId);
      assert.equal(a.computerDnsName, null, 'no device name right after an API POST (XSOAR sample)');
      assert.equal(a.scope, scope);
      assert.equal(a.creationDateTimeUtc, a.lastUpdateDateTimeUtc);
      if (previous) assert.ok(compareTimestamps(a.creationDateTimeUtc, previous) > 0);
      previous = a.creationDateTimeUtc;
      if (type === 'StopAndQuarantineFile')
        assert.deepEqual(a.relatedFileInfo, {
          fileIdentifier: 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d',
          fileIdentifierType: 'Sha1',
        });
      if (type === 'LiveResponse') assert.equal(a.commands.length, 1);
      else assert.deepEqual(a.commands, []);
      assert.deepEqual(sim.tenant.get(a.id), a);
    }
    // A machine can also be addressed by its computer name: machine 0 got the isolate above.
    const named = sim.tenant.machines()[0];
    assert.ok(named);
    const byName = await postJson(
      endpoint,
      `/api/machines/${named.computerDnsName}/isolate`,
      { Comment: 'by name', IsolationType: 'Full' },
      token,
    );
    assert.equal(byName.status, 400, 'already in progress from the loop above');
    assert.equal(sim.tenant.size(), cases.length);
  });

  it('validates bodies with case-sensitive keys', async () => {
    const { endpoint, token, sim } = await pool.start({ roles: ALL_ACTION_ROLES, generate: EMPTY });
    const id = sim.tenant.machines()[1]?.id ?? '';
    const post = (route: string, body: unknown) => postJson(endpoint, `/api/machines/${id}/${route}`, body, token);
    const expectError = async (route: string, body: unknown, code: string): Promise<void> => {
      const r = await post(route, body);
      assert.equal(r.status, 400, `${route} ${JSON.stringify(body)}`);
      assert.deepEqual(Object.keys(r.body.error), ['code', 'message', 'target']);
      assert.equal(r.body.error.code, code, `${route} ${JSON.stringify(body)}: ${r.body.error.message}`);
    };
    await expectError('isolate', { comment: 'x', IsolationType: 'Full' }, 'InvalidRequestBody');
    await expectError('isolate', { Comment: 'x', isolationType: 'Full' }, 'InvalidRequestBody');
    await expectError('isolate', { Comment: 'x' }, 'MissingRequiredParameter');
    await expectError('isolate', { IsolationType: 'Full' }, 'MissingRequiredParameter');
    await expectError('isolate', { Comment: 'x', IsolationType: 'full' }, 'InvalidRequestBody');
    await expectError('runAntiVirusScan', { Comment: 'x' }, 'MissingRequiredParameter');
    await expectError('runAntiVirusScan', { Comment: 'x', scanType: 'Quick' }, 'InvalidRequestBody');
    await expectError('runAntiVirusScan', { Comment: 'x', ScanType: 'Deep' }, 'InvalidRequestBody');
    await expectError(
      'StopAndQuarantineFile',
      { Comment: 'x', SHA1: 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d' },
      'InvalidRequestBody',
    );
    await expectError('StopAndQuarantineFile', { Comment: 'x', Sha1: 'nothex' }, 'InvalidRequestBody');
    await expectError('offboard', {}, 'MissingRequiredParameter');
    await expectError('offboard', '{"Comment":', 'InvalidRequestBody');
    await expectError('offboard', '[]', 'InvalidRequestBody');
    const missing = await postJson(
      endpoint,
      '/api/machines/0000000000000000000000000000000000000000/offboard',
      { Comment: 'x' },
      token,
    );
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'ResourceNotFound');
    assert.equal(missing.body.error.message, 'Machine 0000000000000000000000000000000000000000 was not found');
    assert.equal(sim.tenant.all().filter((a) => a.requestor === CLIENT_ID).length, 0, 'nothing was created');
  });

  it('a second Pending/InProgress action of the same type on a device is 400 "Action is already in progress"', async () => {
    const { endpoint, token, sim } = await pool.start({ roles: ALL_ACTION_ROLES, generate: EMPTY });
    const id = sim.tenant.machines()[2]?.id ?? '';
    const first = await postJson(
      endpoint,
      `/api/machines/${id}/isolate`,
      { Comment: 'a', IsolationType: 'Full' },
      token,
    );
    assert.equal(first.status, 201);
    const dup = await postJson(endpoint, `/api/machines/${id}/isolate`, { Comment: 'b', IsolationType: 'Full' }, token);
    assert.equal(dup.status, 400);
    assert.equal(dup.body.error.code, 'BadRequest');
    assert.equal(dup.body.error.message, 'Action is already in progress');
    sim.tenant.transition(first.body.id, 'InProgress');
    assert.equal(
      (await postJson(endpoint, `/api/machines/${id}/isolate`, { Comment: 'c', IsolationType: 'Full' }, token)).status,
      400,
    );
    // Another type is fine; after completion the same type is fine again.
    assert.equal(
      (await postJson(endpoint, `/api/machines/${id}/runAntiVirusScan`, { Comment: 'd', ScanType: 'Quick' }, token))
        .status,
      201,
    );
    sim.tenant.transition(first.body.id, 'Succeeded');
    assert.equal(
      (await postJson(endpoint, `/api/machines/${id}/isolate`, { Comment: 'e', IsolationType: 'Full' }, token)).status,
      201,
    );
    const lr = { Comment: 'lr', Commands: [{ type: 'GetFile', params: [{ key: 'Path', value: 'C:\\x' }] }] };
    assert.equal((await postJson(endpoint, `/api/machines/${id}/runliveresponse`, lr, token)).status, 201);
    const lr2 = await postJson(endpoint, `/api/machines/${id}/runliveresponse`, lr, token);
    assert.equal(lr2.status, 400);
    assert.equal(lr2.body.error.code, 'ActiveRequestAlreadyExists');
  });

  it('action POSTs need the action permission', async () => {
    const { endpoint, token, sim } = await pool.start({ roles: ['Machine.Read.All', 'Machine.Scan'], generate: EMPTY });
    const id = sim.tenant.machines()[0]?.id ?? '';
    const denied = await postJson(
      endpoint,
      `/api/machines/${id}/isolate`,
      { Comment: 'x', IsolationType: 'Full' },
      token,
    );
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.code, 'Forbidden');
    assert.match(denied.body.error.message, /Machine\.Isolate/);
    assert.equal(
      (await postJson(endpoint, `/api/machines/${id}/runAntiVirusScan`, { Comment: 'x', ScanType: 'Quick' }, token))
        .status,
      201,
    );
  });

  it('cancel: 200 with Cancelled and cancellation fields; final state 400; unknown 404', async () => {
    const { endpoint, token, sim, clock } = await pool.start({ roles: ALL_ACTION_ROLES, generate: EMPTY });
    const id = sim.tenant.machines()[0]?.id ?? '';
    const created = await postJson(
      endpoint,
      `/api/machines/${id}/runAntiVirusScan`,
      { Comment: 'x', ScanType: 'Quick' },
      token,
    );
    await clock.advance(5_000);
    const r = await postJson(
      endpoint,
      `/api/machineactions/${created.body.id}/cancel`,
      { Comment: 'Machine action was canceled by automation' },
      token,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const { ['@odata.context']: context, ...a } = r.body;
    assert.equal(context, `${endpoint.baseUrl}/api/$metadata#MachineActions/$entity`);
    assert.deepEqual(Object.keys(a), [...MACHINE_ACTION_KEYS]);
    assert.equal(a.status, 'Cancelled');
    assert.equal(a.errorHResult, -2147467260);
    assert.equal(a.cancellationRequestor, CLIENT_ID);
    assert.equal(a.cancellationComment, 'Machine action was canceled by automation');
    assert.ok(compareTimestamps(a.lastUpdateDateTimeUtc, created.body.lastUpdateDateTimeUtc) > 0);
    // cancellationDateTimeUtc is lastUpdate minus 100 ns.
    assert.ok(compareTimestamps(a.cancellationDateTimeUtc ?? '', a.lastUpdateDateTimeUtc) < 0);
    assert.equal(compareTimestamps(a.cancellationDateTimeUtc ?? '', created.body.lastUpdateDateTimeUtc), 1);
    assert.deepEqual(sim.tenant.get(a.id), a);

    const again = await postJson(endpoint, `/api/machineactions/${a.id}/cancel`, { Comment: 'again' }, token);
    assert.equal(again.status, 400);
    assert.equal(again.body.error.code, 'BadRequest');
    const missingComment = await postJson(endpoint, `/api/machineactions/${a.id}/cancel`, { comment: 'x' }, token);
    assert.equal(missingComment.body.error.code, 'InvalidRequestBody');
    const unknown = await postJson(
      endpoint,
      '/api/machineactions/00000000-0000-4000-8000-000000000000/cancel',
      { Comment: 'x' },
      token,
    );
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'ResourceNotFound');
    // Cancelling needs one of the action permissions, not just read.
    const readOnly = await pool.start({ generate: EMPTY });
    const pending = readOnly.sim.tenant.create({
      machineId: readOnly.sim.tenant.machines()[0]?.id ?? '',
      type: 'Isolate',
      comment: 'x',
    });
    assert.equal(
      (await postJson(readOnly.endpoint, `/api/machineactions/${pending.id}/cancel`, { Comment: 'x' }, readOnly.token))
        .status,
      403,
    );
  });

  it('GET one action (entity) and GET machine by id or name; 404s with ResourceNotFound', async () => {
    const { endpoint, token, sim } = await pool.start();
    const some = sim.tenant.all()[7];
    assert.ok(some);
    const one = await getJson(endpoint, `/api/machineactions/${some.id}`, token);
    assert.equal(one.status, 200);
    assert.equal(Object.keys(one.body)[0], '@odata.context');
    const { ['@odata.context']: _c, ...rest } = one.body;
    assert.deepEqual(rest, some);
    const none = await getJson(endpoint, '/api/machineactions/00000000-0000-4000-8000-000000000000', token);
    assert.equal(none.status, 404);
    assert.equal(none.body.error.code, 'ResourceNotFound');

    const m = sim.tenant.machines()[0];
    assert.ok(m);
    const byId = await getJson(endpoint, `/api/machines/${m.id}`, token);
    assert.equal(byId.status, 200);
    assert.equal(byId.body['@odata.context'], `${endpoint.baseUrl}/api/$metadata#Machines/$entity`);
    for (const key of [
      'id',
      'computerDnsName',
      'firstSeen',
      'lastSeen',
      'osPlatform',
      'version',
      'osProcessor',
      'lastIpAddress',
      'lastExternalIpAddress',
      'osBuild',
      'healthStatus',
      'rbacGroupId',
      'rbacGroupName',
      'riskScore',
      'exposureLevel',
      'isAadJoined',
      'aadDeviceId',
      'machineTags',
      'onboardingStatus',
      'deviceValue',
      'ipAddresses',
      'osArchitecture',
    ]) {
      assert.ok(key in byId.body, key);
    }
    assert.equal(byId.body.id, m.id);
    const byName = await getJson(endpoint, `/api/machines/${m.computerDnsName.toUpperCase()}`, token);
    assert.equal(byName.status, 200);
    assert.equal(byName.body.computerDnsName, m.computerDnsName);
    const missing = await getJson(endpoint, '/api/machines/123123123', token);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.message, 'Machine 123123123 was not found');
    // Unknown routes and methods.
    assert.equal((await request(endpoint, '/api/alerts', { token })).status, 404);
    assert.equal((await request(endpoint, '/api/machineactions', { token, method: 'DELETE' })).status, 405);
  });
});
