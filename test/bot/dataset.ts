import type { MachineAction } from '../../src/core/types.js';
import { guid, makeAction } from '../fakes/actions.js';

/**
 * A small tenant with known answers for the end-to-end command tests. NOW is fixed; times are
 * relative to it.
 */
export const NOW = Date.parse('2026-11-29T12:00:00.000Z');
export const SOAR_APP = '2f48b784-5da5-4e61-9957-012d2630f1e4';
export const M_WS042_OLD = 'a000000000000000000000000000000000000001';
export const M_WS042_NEW = 'a000000000000000000000000000000000000002';
export const M_WS0421 = 'a000000000000000000000000000000000000003';
export const M_SRV = 'a000000000000000000000000000000000000004';
export const M_LAPTOP = 'a000000000000000000000000000000000000005';

const at = (daysAgo: number, extraMinutes = 0): string =>
  new Date(NOW - daysAgo * 86_400_000 + extraMinutes * 60_000).toISOString().replace('Z', '1234Z');

let n = 0;
function action(daysAgo: number, o: Partial<MachineAction>): MachineAction {
  n++;
  const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  return makeAction({
    id,
    creationDateTimeUtc: at(daysAgo),
    lastUpdateDateTimeUtc: at(daysAgo, 5),
    status: 'Succeeded',
    ...o,
  });
}

export const DATASET: MachineAction[] = [
  // WS-042: re-imaged, so two machine ids carry the name.
  action(2, {
    type: 'Isolate',
    scope: 'Full',
    machineId: M_WS042_NEW,
    computerDnsName: 'WS-042.contoso.com',
    requestor: 'Alex.Wilber@contoso.com',
    requestorComment: 'Beaconing to 203.0.113.7',
  }),
  action(3, {
    type: 'RunAntiVirusScan',
    scope: 'Quick',
    machineId: M_WS042_NEW,
    computerDnsName: 'WS-042.contoso.com',
    requestor: SOAR_APP,
    requestorComment: 'Automated scan',
    requestSource: 'PublicApi',
  }),
  action(40, {
    type: 'RunAntiVirusScan',
    scope: 'Full',
    machineId: M_WS042_OLD,
    computerDnsName: 'ws-042.contoso.com',
    requestor: 'megan.bowen@contoso.com',
    requestorComment: 'Before re-image',
  }),
  // A name that starts the same must not match "ws-042".
  action(1, {
    type: 'RunAntiVirusScan',
    scope: 'Quick',
    machineId: M_WS0421,
    computerDnsName: 'ws-0421.contoso.com',
    requestor: 'alex.wilber@contoso.com',
  }),
  // Server: isolated, then released successfully: not isolated now.
  action(10, {
    type: 'Isolate',
    scope: 'Selective',
    machineId: M_SRV,
    computerDnsName: 'srv-sql-01.contoso.com',
    requestor: SOAR_APP,
    requestSource: 'PublicApi',
  }),
  action(9, {
    type: 'Unisolate',
    scope: null,
    machineId: M_SRV,
    computerDnsName: 'srv-sql-01.contoso.com',
    requestor: 'megan.bowen@contoso.com',
  }),
  // Laptop: isolated, a release that failed: still isolated.
  action(5, {
    type: 'Isolate',
    scope: 'Full',
    machineId: M_LAPTOP,
    computerDnsName: 'lt-007.contoso.com',
    requestor: 'megan.bowen@contoso.com',
    requestorComment: 'Stolen laptop',
  }),
  action(4, {
    type: 'Unisolate',
    scope: null,
    machineId: M_LAPTOP,
    computerDnsName: 'lt-007.contoso.com',
    requestor: 'megan.bowen@contoso.com',
    status: 'Failed',
    errorHResult: -2147467259,
  }),
  // Pending and in-progress work.
  action(0.01, {
    type: 'CollectInvestigationPackage',
    scope: null,
    machineId: M_SRV,
    computerDnsName: 'srv-sql-01.contoso.com',
    requestor: 'alex.wilber@contoso.com',
    status: 'Pending',
  }),
  action(0.02, {
    type: 'RunAntiVirusScan',
    scope: 'Full',
    machineId: M_LAPTOP,
    computerDnsName: 'lt-007.contoso.com',
    requestor: SOAR_APP,
    status: 'InProgress',
    requestSource: 'PublicApi',
  }),
  // A timeout inside 7 days, and a very old failure inside 360 days but outside 90.
  action(6, {
    type: 'StopAndQuarantineFile',
    scope: null,
    machineId: M_LAPTOP,
    computerDnsName: 'lt-007.contoso.com',
    requestor: 'alex.wilber@contoso.com',
    status: 'TimeOut',
    errorHResult: -2145844840,
    relatedFileInfo: { fileIdentifier: 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d', fileIdentifierType: 'Sha1' },
  }),
  action(350, {
    type: 'Offboard',
    scope: null,
    machineId: M_SRV,
    computerDnsName: 'srv-sql-01.contoso.com',
    requestor: 'megan.bowen@contoso.com',
    status: 'Failed',
    errorHResult: -2147467259,
  }),
  // Outside 360 days.
  action(370, {
    type: 'RunAntiVirusScan',
    scope: 'Quick',
    machineId: M_SRV,
    computerDnsName: 'srv-sql-01.contoso.com',
    requestor: 'megan.bowen@contoso.com',
  }),
];

/** Chat commands covering every query the bot runs, with answers known on DATASET (compared across backends). */
export const DATASET_COMMANDS: readonly string[] = [
  'actions for device ws-042 90d',
  'actions for device ws-042 90d page 2',
  'device WS-042.CONTOSO.COM 7d',
  'actions by ALEX.WILBER@contoso.com 30d',
  'actions by SOAR playbooks',
  `actions by ${SOAR_APP.toUpperCase()} 30d`,
  'summary 360d',
  'summary 7d',
  'requestors 360d',
  'devices 30d',
  'timeline 7d',
  'timeline 360d',
  'isolated',
  'failed 360d',
  'pending',
  `action ${DATASET[10]!.id}`,
  `action ${guid(999_999)}`,
  'actions for device nosuchhost 7d',
  'device ws-042\'|take 1//" 7d',
  'digest',
];
