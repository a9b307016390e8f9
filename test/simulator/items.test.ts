import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MACHINE_ACTION_KEYS, type MachineAction } from '../../src/core/types.js';
import { compareTimestamps } from '../../src/core/timestamps.js';
import {
  createRandom,
  createSimulator,
  generateActions,
  generateTenant,
  loadDataset,
} from '../../src/simulator/index.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { getJson, request, simulatorPool, T0, parse } from './helpers.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const WIRE_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{0,6}[1-9]Z$/;
const HRESULT_TIMEOUT = -2145844840;
const HRESULT_CANCELLED = -2147467260;

/** 100-ns ticks since the epoch, exactly. */
function ticks(t: string): bigint {
  const seconds = BigInt(Date.parse(t.slice(0, 19) + 'Z') / 1000);
  return seconds * 10_000_000n + BigInt((/\.(\d+)Z$/.exec(t)?.[1] ?? '').padEnd(7, '0'));
}

/** Checks the invariants every generated item must satisfy. */
function checkItem(a: MachineAction): void {
  assert.deepEqual(Object.keys(a), [...MACHINE_ACTION_KEYS], 'the 20 keys in order');
  assert.match(a.id, GUID);
  assert.match(a.machineId, /^[0-9a-f]{40}$/);
  assert.equal(a.title, null);
  assert.equal(a.externalId, null);
  assert.equal(a.troubleshootInfo, null);
  assert.match(a.creationDateTimeUtc, WIRE_TS);
  assert.match(a.lastUpdateDateTimeUtc, WIRE_TS);
  assert.ok(compareTimestamps(a.lastUpdateDateTimeUtc, a.creationDateTimeUtc) >= 0, 'updated after created');
  assert.ok(Number.isInteger(a.errorHResult) && a.errorHResult >= -(2 ** 31) && a.errorHResult < 2 ** 31);
  assert.ok(['Pending', 'InProgress', 'Succeeded', 'Failed', 'TimeOut', 'Cancelled'].includes(a.status), a.status);
  assert.ok(['Portal', 'PublicApi'].includes(a.requestSource ?? ''));
  if (!a.requestor.includes('@')) {
    assert.match(a.requestor, GUID, 'app requestors are bare lower-case GUIDs');
    assert.equal(a.requestSource, 'PublicApi');
  }
  if (a.type === 'Isolate') assert.ok(['Full', 'Selective'].includes(a.scope ?? ''));
  else if (a.type === 'RunAntiVirusScan') assert.ok(['Quick', 'Full'].includes(a.scope ?? ''));
  else assert.equal(a.scope, null);
  if (a.type === 'StopAndQuarantineFile') {
    assert.ok(a.relatedFileInfo);
    assert.deepEqual(Object.keys(a.relatedFileInfo), ['fileIdentifier', 'fileIdentifierType']);
  } else assert.equal(a.relatedFileInfo, null);
  if (a.type === 'LiveResponse') assert.ok(a.commands.length > 0);
  else assert.deepEqual(a.commands, []);
  if (a.status === 'TimeOut') assert.equal(a.errorHResult, HRESULT_TIMEOUT);
  if (a.status === 'Succeeded') assert.equal(a.errorHResult, 0);
  if (a.status === 'Cancelled') {
    assert.equal(a.errorHResult, HRESULT_CANCELLED);
    assert.ok(a.cancellationRequestor && a.cancellationComment && a.cancellationDateTimeUtc);
    // cancellationDateTimeUtc = lastUpdate - 100 ns (reference sample)
    assert.equal(ticks(a.lastUpdateDateTimeUtc) - ticks(a.cancellationDateTimeUtc), 1n);
  } else {
    assert.equal(a.cancellationRequestor, null);
    assert.equal(a.cancellationComment, null);
    assert.equal(a.cancellationDateTimeUtc, null);
  }
}

describe('simulator: served items and the generator', () => {
  const pool = simulatorPool();
  afterEach(() => pool.stopAll());

  it('serves items with the 20 keys in order, explicit nulls, 1-7 fractional digits, UPN and GUID requestors', async () => {
    const { endpoint, token, sim } = await pool.start({ generate: { devices: 60, days: 30, actionsPerDay: 40 } });
    const r = await request(endpoint, '/api/machineactions', { token });
    assert.equal(r.status, 200);
    const body = parse(r.text) as { value: MachineAction[] };
    assert.deepEqual(Object.keys(body), ['@odata.context', 'value']);
    assert.equal(body.value.length, sim.tenant.size());
    assert.ok(body.value.length > 1000);
    // Explicit nulls on the wire, not omitted keys.
    assert.match(r.text, /"title":null,/);
    assert.match(r.text, /"troubleshootInfo":null\}/);
    const digits = new Set<number>();
    const statuses = new Set<string>();
    const types = new Set<string>();
    let upn = 0;
    let guid = 0;
    for (const a of body.value) {
      checkItem(a);
      digits.add((/\.(\d+)Z$/.exec(a.creationDateTimeUtc)?.[1] ?? '').length);
      digits.add((/\.(\d+)Z$/.exec(a.lastUpdateDateTimeUtc)?.[1] ?? '').length);
      statuses.add(a.status);
      types.add(a.type);
      if (a.requestor.includes('@')) upn++;
      else guid++;
    }
    assert.deepEqual([...digits].sort(), [1, 2, 3, 4, 5, 6, 7]);
    assert.ok(upn > 0 && guid > 0);
    assert.ok(
      body.value.some((a) => /[A-Z]/.test(a.requestor) && a.requestor.includes('@')),
      'mixed-case UPNs',
    );
    for (const s of ['Succeeded', 'Failed', 'TimeOut', 'Cancelled', 'Pending']) assert.ok(statuses.has(s), s);
    for (const t of [
      'RunAntiVirusScan',
      'Isolate',
      'Unisolate',
      'RestrictCodeExecution',
      'UnrestrictCodeExecution',
      'CollectInvestigationPackage',
      'StopAndQuarantineFile',
      'LiveResponse',
    ]) {
      assert.ok(types.has(t), t);
    }
    // Timeouts come about 3 days after creation.
    const timeout = body.value.find((a) => a.status === 'TimeOut');
    assert.ok(timeout);
    const hours =
      (Date.parse(timeout.lastUpdateDateTimeUtc.slice(0, 19) + 'Z') -
        Date.parse(timeout.creationDateTimeUtc.slice(0, 19) + 'Z')) /
      3_600_000;
    assert.ok(hours >= 72 && hours < 73, `${hours} h`);
    // Live response commands carry the documented item shape.
    const lr = body.value.find((a) => a.type === 'LiveResponse' && a.status === 'Succeeded');
    assert.ok(lr);
    assert.deepEqual(Object.keys(lr.commands[0] as object), [
      'index',
      'startTime',
      'endTime',
      'commandStatus',
      'errors',
      'command',
    ]);
  });

  it('reuses device names across machine ids (re-imaged devices), with FQDN names', () => {
    const g = generateTenant({ devices: 60, days: 30 }, createRandom(5), T0);
    const byName = new Map<string, Set<string>>();
    for (const m of g.machines) {
      assert.match(m.computerDnsName, /^(ws-\d{3}|lt-\d{4}|srv-[a-z]+-\d{2})\.contoso\.com$/);
      byName.set(m.computerDnsName, (byName.get(m.computerDnsName) ?? new Set()).add(m.id));
    }
    assert.equal(byName.size, 60);
    const reused = [...byName.values()].filter((ids) => ids.size > 1);
    assert.ok(reused.length >= 2, 'a few names belong to 2-3 machine ids');
    assert.ok(reused.every((ids) => ids.size <= 3));
    // Actions show the same name under different machine ids.
    const idsPerName = new Map<string, Set<string>>();
    for (const a of g.actions)
      if (a.computerDnsName)
        idsPerName.set(a.computerDnsName, (idsPerName.get(a.computerDnsName) ?? new Set()).add(a.machineId));
    assert.ok([...idsPerName.values()].some((ids) => ids.size > 1));
  });

  it('is deterministic: same seed and clock give identical output, another seed differs', () => {
    const a = generateTenant({ devices: 20, days: 7 }, createRandom(42), T0);
    const b = generateTenant({ devices: 20, days: 7 }, createRandom(42), T0);
    const c = generateTenant({ devices: 20, days: 7 }, createRandom(43), T0);
    assert.deepEqual(a.actions, b.actions);
    assert.deepEqual(a.machines, b.machines);
    assert.notDeepEqual(a.actions, c.actions);
    const s1 = createSimulator({ clock: new FakeClock(T0), seed: 3 });
    const s2 = createSimulator({ clock: new FakeClock(T0), seed: 3 });
    assert.deepEqual(s1.tenant.all(), s2.tenant.all());
    assert.deepEqual(generateActions(500, { seed: 8 }), generateActions(500, { seed: 8 }));
  });

  it('generateActions: exact count, unique ids, valid items, all before now', () => {
    const nowMs = Date.parse('2025-06-01T12:00:00Z');
    const actions = generateActions(20_000, { devices: 300, days: 90, seed: 4, nowMs });
    assert.equal(actions.length, 20_000);
    assert.equal(new Set(actions.map((a) => a.id)).size, 20_000);
    for (const a of actions) {
      checkItem(a);
      assert.ok(Date.parse(a.creationDateTimeUtc.slice(0, 19) + 'Z') < nowMs);
    }
  });

  describe('dataset mode', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'sim-dataset-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('serves exactly the objects of the file: deep-equal, same key order, odd values untouched', async () => {
      const base = generateActions(40, { seed: 2 });
      // Odd but possible: unknown type/status/source, a different key order, extra key, 9 fractional digits.
      const odd = {
        ...base[0],
        type: 'ContainDevice',
        status: 'Queued',
        requestSource: 'AutomatedInvestigation',
      } as MachineAction;
      const reordered = Object.fromEntries(
        Object.entries(base[1] as MachineAction).reverse(),
      ) as unknown as MachineAction;
      const extra = { ...base[2], newField: { a: 1 } } as unknown as MachineAction;
      const malformed = { ...base[3], lastUpdateDateTimeUtc: '2025-05-31T12:00:00.000000000Z' } as MachineAction;
      const items = [odd, reordered, extra, malformed, ...base.slice(4)];
      const file = join(dir, 'dataset.json');
      writeFileSync(file, JSON.stringify(items));
      const loaded = await loadDataset(file);
      const { endpoint, token, sim } = await pool.start({ dataset: loaded });
      assert.equal(sim.tenant.size(), items.length);
      const r = await request(endpoint, '/api/machineactions', { token });
      const served = (parse(r.text) as { value: MachineAction[] }).value;
      const byId = new Map(served.map((a) => [a.id, a]));
      for (const item of items) {
        const s = byId.get(item.id);
        assert.deepEqual(s, item);
        assert.deepEqual(Object.keys(s as object), Object.keys(item), 'same key order');
        // Byte-for-byte: the served JSON of the item is the file's JSON of the item.
        assert.ok(r.text.includes(JSON.stringify(item)));
      }
      // Single-entity reads serve the same object.
      const one = await getJson(endpoint, `/api/machineactions/${reordered.id}`, token);
      const { ['@odata.context']: context, ...rest } = one.body;
      assert.equal(context, `${endpoint.baseUrl}/api/$metadata#MachineActions/$entity`);
      assert.deepEqual(Object.keys(rest), Object.keys(reordered));
    });

    it('loadDataset reports bad input with the index', async () => {
      const write = (name: string, text: string): string => {
        const f = join(dir, name);
        writeFileSync(f, text);
        return f;
      };
      const good = generateActions(3, { seed: 1 });
      await assert.rejects(loadDataset(write('a.json', '{"not":"array"}')), /expected a JSON array/);
      await assert.rejects(loadDataset(write('b.json', '[1,')), /is not valid JSON/);
      const { commands: _omit, ...missing } = good[1] as MachineAction;
      await assert.rejects(
        loadDataset(write('c.json', JSON.stringify([good[0], missing]))),
        /item 1 lacks key\(s\) commands/,
      );
      await assert.rejects(
        loadDataset(write('d.json', JSON.stringify([good[0], { ...good[1], id: 7 }]))),
        /item 1 has no string id/,
      );
      await assert.rejects(
        loadDataset(write('e.json', JSON.stringify([good[0], good[1], good[0]]))),
        /item 2 repeats id/,
      );
      await assert.rejects(loadDataset(write('f.json', JSON.stringify([null]))), /item 0 is not an object/);
      assert.equal((await loadDataset(write('g.json', JSON.stringify(good)))).length, 3);
    });
  });
});
