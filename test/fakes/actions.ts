import type { MachineAction } from '../../src/core/types.js';
import type { PageWrite } from '../../src/store/types.js';

/** A complete MachineAction in wire format (all 20 keys, explicit nulls); override what matters. */
export function makeAction(overrides: Partial<MachineAction> & { id: string }): MachineAction {
  const { id, ...rest } = overrides;
  return {
    id,
    type: 'Isolate',
    title: null,
    requestor: 'Alex.Wilber@contoso.com',
    requestorComment: 'Isolating a device to prevent access to the external network',
    status: 'Pending',
    machineId: 'dc909e4a81d1bfa3abcdefabcdefe6f8ec7d3506',
    computerDnsName: 'ws-042.contoso.com',
    creationDateTimeUtc: '2026-11-29T10:00:00.1234567Z',
    lastUpdateDateTimeUtc: '2026-11-29T10:00:00.1234567Z',
    cancellationRequestor: null,
    cancellationComment: null,
    cancellationDateTimeUtc: null,
    errorHResult: 0,
    scope: 'Full',
    externalId: null,
    requestSource: 'Portal',
    relatedFileInfo: null,
    commands: [],
    troubleshootInfo: null,
    ...rest,
  };
}

/** A GUID-shaped id from a number (stable, sortable in tests). */
export function guid(n: number): string {
  const h = n.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${h}`;
}

/** A page as the ingest writes it: run 1, observed 2026-11-29T12:00:00Z, not a backfill, no cursor move, unless overridden. */
export function page(items: PageWrite['items'], extra: Partial<PageWrite> = {}): PageWrite {
  return {
    runId: 1,
    items,
    quarantined: [],
    observedAt: '2026-11-29T12:00:00.000Z',
    backfill: false,
    cursor: null,
    ...extra,
  };
}
