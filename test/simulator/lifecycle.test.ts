import assert from 'node:assert/strict';
import { compareTimestamps, timestampToMillis } from '../../src/core/timestamps.js';
import type { MachineAction } from '../../src/core/types.js';
import { createRandom, createSimulator, generateTenant, type SimMachine } from '../../src/simulator/index.js';
import { createTenant } from '../../src/simulator/state.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { T0 } from './helpers.js';

const machine = (id: string, name: string, online = true): SimMachine => ({
  id,
  computerDnsName: name,
  kind: 'workstation',
  online,
  firstSeenMs: T0 - 86_400_000,
  retiredMs: null,
});
const ONLINE = machine('a'.repeat(40), 'ws-001.contoso.com');
const OFFLINE = machine('b'.repeat(40), 'lt-1001.contoso.com', false);

function tenantOnClock(clock: FakeClock, actions: MachineAction[] = []) {
  return createTenant({
    clock,
    random: createRandom(1),
    machines: [ONLINE, OFFLINE],
    actions,
    lifecycle: { pickupMs: [2_000, 5_000], runMs: [10_000, 20_000], timeoutMs: 60_000, failureRate: 0 },
    defaultRequestor: '11111111-1111-1111-1111-111111111111',
  });
}

function assertIncreasing(stamps: string[]): void {
  for (let i = 1; i < stamps.length; i++) {
    assert.ok(compareTimestamps(stamps[i] ?? '', stamps[i - 1] ?? '') > 0, `${stamps[i]} > ${stamps[i - 1]}`);
  }
}

describe('simulator: lifecycle', () => {
  it('step() moves Pending -> InProgress -> Succeeded on the clock, with increasing lastUpdate', async () => {
    const clock = new FakeClock(T0);
    const tenant = tenantOnClock(clock);
    const created = tenant.create({
      machineId: ONLINE.id,
      type: 'RunAntiVirusScan',
      comment: 'scan',
      scope: 'Quick',
      computerDnsName: null,
    });
    assert.equal(created.status, 'Pending');
    assert.equal(created.creationDateTimeUtc, created.lastUpdateDateTimeUtc);
    assert.equal(created.computerDnsName, null);
    assert.equal(created.requestSource, 'PublicApi');
    assert.equal(created.requestor, '11111111-1111-1111-1111-111111111111');
    await clock.advance(1_999);
    assert.deepEqual(tenant.step(), [], 'nothing due before the earliest pickup');
    await clock.advance(3_001);
    const [inProgress, ...none] = tenant.step();
    assert.equal(none.length, 0);
    assert.equal(inProgress?.status, 'InProgress');
    assert.equal(inProgress?.computerDnsName, ONLINE.computerDnsName, 'the device name arrives with pickup');
    await clock.advance(20_000);
    const [done] = tenant.step();
    assert.equal(done?.status, 'Succeeded');
    assert.equal(done?.errorHResult, 0);
    assertIncreasing([
      created.lastUpdateDateTimeUtc,
      inProgress?.lastUpdateDateTimeUtc ?? '',
      done?.lastUpdateDateTimeUtc ?? '',
    ]);
    assert.equal(done?.creationDateTimeUtc, created.creationDateTimeUtc);
    assert.deepEqual(tenant.step(), []);
    assert.deepEqual(tenant.get(created.id), done);
  });

  it('offline devices end in TimeOut with errorHResult -2145844840; a late clock jump applies both steps in order', async () => {
    const clock = new FakeClock(T0);
    const tenant = tenantOnClock(clock);
    const stuck = tenant.create({ machineId: OFFLINE.id, type: 'Isolate', comment: 'x', scope: 'Full' });
    const ok = tenant.create({ machineId: ONLINE.id, type: 'CollectInvestigationPackage', comment: 'y' });
    await clock.advance(10 * 60_000);
    const changed = tenant.step();
    assert.deepEqual(
      changed.map((a) => [a.id, a.status]),
      [
        [ok.id, 'InProgress'],
        [ok.id, 'Succeeded'],
        [stuck.id, 'TimeOut'],
      ],
    );
    assertIncreasing(changed.map((a) => a.lastUpdateDateTimeUtc));
    assert.equal(tenant.get(stuck.id)?.errorHResult, -2145844840);
  });

  it('lastUpdate strictly increases in sub-millisecond ticks when the clock does not move', () => {
    const clock = new FakeClock(T0);
    const tenant = tenantOnClock(clock);
    const stamps: string[] = [];
    const a = tenant.create({ machineId: ONLINE.id, type: 'RunAntiVirusScan', comment: 'x', scope: 'Quick' });
    stamps.push(a.lastUpdateDateTimeUtc);
    for (const status of ['InProgress', 'Failed']) stamps.push(tenant.transition(a.id, status).lastUpdateDateTimeUtc);
    for (let i = 0; i < 20; i++)
      stamps.push(tenant.create({ machineId: ONLINE.id, type: 'Offboard', comment: String(i) }).lastUpdateDateTimeUtc);
    assertIncreasing(stamps);
    // All within the same millisecond of the frozen clock.
    assert.ok(
      stamps.every((s) => timestampToMillis(s) - T0 <= 1),
      'within a millisecond or two of the frozen clock',
    );
    assert.equal(tenant.get(a.id)?.errorHResult, -2147467259, 'Failed carries an HRESULT (E_FAIL by default)');
  });

  it('new stamps come after every lastUpdate of the initial data, even one in the future', () => {
    const clock = new FakeClock(T0);
    const future = generateTenant({ devices: 2, days: 1, actionsPerDay: 3 }, createRandom(3), T0 + 3_600_000).actions;
    const tenant = tenantOnClock(clock, future);
    const latest =
      future
        .map((a) => a.lastUpdateDateTimeUtc)
        .sort(compareTimestamps)
        .at(-1) ?? '';
    const created = tenant.create({ machineId: ONLINE.id, type: 'Unisolate', comment: 'x' });
    assert.ok(compareTimestamps(created.lastUpdateDateTimeUtc, latest) > 0);
  });

  it('transition() to Cancelled and TimeOut fills the reference fields; extra overrides', () => {
    const clock = new FakeClock(T0);
    const tenant = tenantOnClock(clock);
    const a = tenant.create({ machineId: ONLINE.id, type: 'Isolate', comment: 'x', scope: 'Selective' });
    const c = tenant.transition(a.id, 'Cancelled', { cancellationRequestor: 'Megan.Bowen@contoso.com' });
    assert.equal(c.status, 'Cancelled');
    assert.equal(c.errorHResult, -2147467260);
    assert.equal(c.cancellationRequestor, 'Megan.Bowen@contoso.com');
    assert.equal(c.cancellationComment, 'Machine action was canceled by automation');
    assert.ok(c.cancellationDateTimeUtc);
    assert.ok(compareTimestamps(c.cancellationDateTimeUtc, c.lastUpdateDateTimeUtc) < 0);
    assert.deepEqual(tenant.step(), [], 'a cancelled action has no more planned steps');
    const b = tenant.create({ machineId: ONLINE.id, type: 'Isolate', comment: 'y' });
    assert.equal(tenant.transition(b.id, 'TimeOut').errorHResult, -2145844840);
    assert.throws(() => tenant.transition('no-such-id', 'Succeeded'), /unknown machine action/);
  });

  it('generated non-final history actions keep evolving when time passes (TimeOut about 3 days after creation)', async () => {
    const clock = new FakeClock(T0);
    const sim = createSimulator({ clock, seed: 12, generate: { devices: 30, days: 10, actionsPerDay: 60 } });
    const open = sim.tenant.all().filter((a) => a.status === 'Pending' || a.status === 'InProgress');
    assert.ok(open.length > 0, 'the generated tenant has actions in flight');
    await clock.advance(4 * 86_400_000);
    const changed = sim.tenant.step();
    assert.ok(changed.length >= open.length);
    for (const a of open) {
      const now = sim.tenant.get(a.id);
      assert.ok(now && ['Succeeded', 'Failed', 'TimeOut', 'Cancelled'].includes(now.status), `${a.id}: ${now?.status}`);
      assert.ok(compareTimestamps(now.lastUpdateDateTimeUtc, a.lastUpdateDateTimeUtc) > 0);
    }
  });

  it('live activity: actions arrive on clock timers and move to final states; stopLive clears the timers; deterministic', async () => {
    const run = async (): Promise<MachineAction[]> => {
      const clock = new FakeClock(T0);
      const sim = createSimulator({
        clock,
        seed: 5,
        generate: { devices: 20, days: 1, actionsPerDay: 0 },
        lifecycle: { pickupMs: [1_000, 3_000], runMs: [2_000, 8_000], timeoutMs: 30_000 },
      });
      sim.startLive({ tickMs: 1_000, newActionsPerMinute: 30 });
      await clock.advance(3 * 60_000);
      sim.stopLive();
      assert.equal(clock.pending(), 0, 'no timers left');
      const all = sim.tenant.all();
      assert.ok(all.length >= 60 && all.length <= 100, `${all.length} arrivals in 3 minutes at 30/min`);
      assert.ok(all.some((a) => a.status === 'Succeeded'));
      assert.ok(all.some((a) => a.status === 'Failed'));
      assert.ok(all.filter((a) => a.status === 'Pending' || a.status === 'InProgress').length < 20);
      assert.ok(all.every((a) => ['PublicApi', 'Portal'].includes(a.requestSource ?? '')));
      return all;
    };
    const a = await run();
    assert.deepEqual(a, await run());
  });
});
