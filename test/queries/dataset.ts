import type { MachineAction } from '../../src/core/types.js';
import type { TimeRange } from '../../src/core/query.js';
import { openSqliteStore, type SqliteAuditStore } from '../../src/store/sqlite-store.js';
import { guid, makeAction } from '../fakes/actions.js';

/**
 * A small store with known answers for every query shape. "Now" is 2026-11-30T12:00:00Z; the
 * 360-day window starts at 2025-12-05T12:00:00Z. Machines (40 hex characters):
 *
 * | machine | names carried                                  | story                                                    |
 * |---------|------------------------------------------------|----------------------------------------------------------|
 * | M1      | WS-042.contoso.com                             | isolated (1), released (2); restrict in progress (15)    |
 * | M2      | ws-042 (3), then ws-042.contoso.com (4)        | isolated by an app (3); the unisolate failed (4)         |
 * | M3      | ws-042 (6); null name on the pending isolate 5 | isolate in flight (5, Pending)                           |
 * | M4      | ws-0421.contoso.com                            | isolated at the window start (10); unisolate cancelled   |
 * | M5      | xws-042.contoso.com                            | one scan that timed out                                  |
 * | M6      | ws-042.fabrikam.com                            | package collection; quarantine failed                    |
 * | M7      | srv-sql-01.contoso.com                         | isolated 100 ns before the window (12); unisolate in flight (13) |
 * | M8      | ws-100.contoso.com                             | isolate timed out (14)                                   |
 *
 * The name `ws-042` is thus shared by M1, M2, M3 and M6 (short name) and the FQDN
 * `ws-042.contoso.com` by M1 and M2.
 */

export const NOW = '2026-11-30T12:00:00.000Z';
export const WINDOW_360_FROM = '2025-12-05T12:00:00.000Z';

export const ALEX = 'Alex.Wilber@contoso.com';
export const MEGAN = 'Megan.Bowen@contoso.com';
/** An app (client) id: app-initiated actions carry a bare GUID as requestor. */
export const APP = '2f48b784-5da5-4e61-9957-012d2630f1e4';

export const M = {
  M1: 'a1'.repeat(20),
  M2: 'b2'.repeat(20),
  M3: 'c3'.repeat(20),
  M4: 'd4'.repeat(20),
  M5: 'e5'.repeat(20),
  M6: 'f6'.repeat(20),
  M7: '07'.repeat(20),
  M8: '08'.repeat(20),
} as const;

/** Action n has id guid(n). */
export function id(n: number): string {
  return guid(n);
}

interface Row {
  n: number;
  type: string;
  status: string;
  machine: string;
  name: string | null;
  requestor: string;
  created: string;
  updated?: string;
}

const ROWS: Row[] = [
  {
    n: 1,
    type: 'Isolate',
    status: 'Succeeded',
    machine: M.M1,
    name: 'WS-042.contoso.com',
    requestor: ALEX,
    created: '2026-11-20T08:00:00.1234567Z',
    updated: '2026-11-20T08:05:00.5Z',
  },
  {
    n: 2,
    type: 'Unisolate',
    status: 'Succeeded',
    machine: M.M1,
    name: 'WS-042.contoso.com',
    requestor: 'alex.wilber@CONTOSO.COM',
    created: '2026-11-21T09:00:00Z',
  },
  {
    n: 3,
    type: 'Isolate',
    status: 'Succeeded',
    machine: M.M2,
    name: 'ws-042',
    requestor: APP,
    created: '2026-11-25T10:00:00Z',
    updated: '2026-11-25T10:04:00.1234567Z',
  },
  {
    n: 4,
    type: 'Unisolate',
    status: 'Failed',
    machine: M.M2,
    name: 'ws-042.contoso.com',
    requestor: MEGAN,
    created: '2026-11-26T10:00:00Z',
  },
  {
    n: 5,
    type: 'Isolate',
    status: 'Pending',
    machine: M.M3,
    name: null,
    requestor: MEGAN,
    created: '2026-11-29T10:00:00Z',
  },
  {
    n: 6,
    type: 'RunAntiVirusScan',
    status: 'Succeeded',
    machine: M.M3,
    name: 'ws-042',
    requestor: ALEX,
    created: '2026-11-28T00:00:00Z',
  },
  {
    n: 7,
    type: 'RunAntiVirusScan',
    status: 'Succeeded',
    machine: M.M4,
    name: 'ws-0421.contoso.com',
    requestor: MEGAN,
    created: '2026-11-27T08:00:00Z',
  },
  {
    n: 8,
    type: 'RunAntiVirusScan',
    status: 'TimeOut',
    machine: M.M5,
    name: 'xws-042.contoso.com',
    requestor: APP.toUpperCase(),
    created: '2026-11-27T12:00:00Z',
  },
  {
    n: 9,
    type: 'CollectInvestigationPackage',
    status: 'Succeeded',
    machine: M.M6,
    name: 'ws-042.fabrikam.com',
    requestor: ALEX,
    created: '2026-11-28T06:00:00Z',
  },
  {
    n: 10,
    type: 'Isolate',
    status: 'Succeeded',
    machine: M.M4,
    name: 'ws-0421.contoso.com',
    requestor: MEGAN,
    created: '2025-12-05T12:00:00Z',
  },
  {
    n: 11,
    type: 'Unisolate',
    status: 'Cancelled',
    machine: M.M4,
    name: 'ws-0421.contoso.com',
    requestor: MEGAN,
    created: '2026-01-10T00:00:00Z',
  },
  {
    n: 12,
    type: 'Isolate',
    status: 'Succeeded',
    machine: M.M7,
    name: 'srv-sql-01.contoso.com',
    requestor: ALEX,
    created: '2025-12-05T11:59:59.9999999Z',
  },
  {
    n: 13,
    type: 'Unisolate',
    status: 'InProgress',
    machine: M.M7,
    name: 'srv-sql-01.contoso.com',
    requestor: APP,
    created: '2026-11-30T11:00:00Z',
  },
  {
    n: 14,
    type: 'Isolate',
    status: 'TimeOut',
    machine: M.M8,
    name: 'ws-100.contoso.com',
    requestor: MEGAN,
    created: '2026-11-10T00:00:00Z',
  },
  {
    n: 15,
    type: 'RestrictCodeExecution',
    status: 'InProgress',
    machine: M.M1,
    name: 'WS-042.contoso.com',
    requestor: ALEX,
    created: '2026-11-29T11:00:00Z',
  },
  {
    n: 16,
    type: 'StopAndQuarantineFile',
    status: 'Failed',
    machine: M.M6,
    name: 'ws-042.fabrikam.com',
    requestor: APP,
    created: '2026-11-30T09:00:00Z',
  },
];

export const ACTION_COUNT = ROWS.length;

/** The final version of every action of the dataset. */
export function datasetActions(): MachineAction[] {
  return ROWS.map((r) =>
    makeAction({
      id: id(r.n),
      type: r.type,
      status: r.status,
      machineId: r.machine,
      computerDnsName: r.name,
      requestor: r.requestor,
      creationDateTimeUtc: r.created,
      lastUpdateDateTimeUtc: r.updated ?? r.created,
      scope: r.type === 'Isolate' ? 'Full' : null,
      requestorComment: `comment ${r.n}`,
      errorHResult: r.status === 'TimeOut' ? -2145844840 : 0,
    }),
  );
}

/**
 * Opens an in-memory store with the dataset. Action 3 is written in three versions (Pending,
 * InProgress, Succeeded), so its status history has three entries.
 */
export function datasetStore(): SqliteAuditStore {
  const store = openSqliteStore({ path: ':memory:' });
  const page = (items: MachineAction[], runId: number) => ({
    runId,
    items,
    quarantined: [],
    observedAt: NOW,
    backfill: false,
    cursor: null,
  });
  const final = datasetActions();
  const three = final.find((a) => a.id === id(3))!;
  store.applyPage(page([{ ...three, status: 'Pending', lastUpdateDateTimeUtc: '2026-11-25T10:00:00Z' }], 1));
  store.applyPage(page([{ ...three, status: 'InProgress', lastUpdateDateTimeUtc: '2026-11-25T10:01:00.25Z' }], 2));
  store.applyPage(page(final, 3));
  return store;
}

/** A time range as commands build it. */
export function range(from: string, to?: string, source: TimeRange['source'] = { kind: 'absolute' }): TimeRange {
  return to === undefined ? { from, source, label: 'test' } : { from, to, source, label: 'test' };
}
