/**
 * Realistic sample replies for every reply kind, and sample models for the alert, storm, backfill,
 * digest and subscriptions cards, with edge cases. Shared: card tests render and
 * validate all of them; screenshot tooling can render the same set.
 *
 * Everything is deterministic: times are fixed (UTC), ids are derived from counters.
 */
import type {
  AlertCardModel,
  BackfillCardModel,
  DigestModel,
  StormCardModel,
  SubscriptionRow,
} from '../../src/core/alerts.js';
import type { ActionRow, CountRow, IsolationRow, StatusHistoryRow } from '../../src/core/query.js';
import type { Reply, ShownQuery } from '../../src/core/replies.js';

type ReplyOf<K extends Reply['kind']> = Extract<Reply, { kind: K }>;

/** "Now" for every sample (ISO 8601 UTC). */
export const SAMPLE_NOW = '2026-11-29T13:00:00.000Z';

/** An app registered in the requestor name list ("Sentinel isolation playbook"). */
export const KNOWN_APP_GUID = '2f48b784-5da5-4e61-9957-012d2630f1e4';
/** An app GUID that is not in the list (shown as "app <guid>"). */
export const UNKNOWN_APP_GUID = 'e062d1f9-2398-4234-a024-12345673a25a';
export const KNOWN_APP_NAME = 'Sentinel isolation playbook';

/** App GUID (lower case) → friendly name, as configured. */
export const SAMPLE_REQUESTOR_NAMES: ReadonlyMap<string, string> = new Map([
  [KNOWN_APP_GUID, KNOWN_APP_NAME],
  ['7b1c3f0e-91a4-4c55-8f0e-2b9d1c6a4e10', 'SOAR containment runbook'],
]);

/** Two machine ids that carry the name WS-042 (the device was re-imaged). */
export const WS042_OLD = 'dc909e4a81d1bfa3abcdefabcdefe6f8ec7d3506';
export const WS042_NEW = 'f46b9bb259ed4a7fb9981b73510e3cc7aa81ec1f';

/** Hostile text: Markdown link, template syntax, host date function, quotes, newlines, bidi, a control character, emoji. */
export const HOSTILE_COMMENT =
  'Isolated per ticket "INC-4711" [click here](http://evil.example/phish) ${title} ${$root.title} {{DATE(2026-11-29T10:00:00Z, SHORT)}}\n' +
  "- not a list\n# not a heading\n**not bold** <at>Everyone</at> \u202Egnp.exe\u202C 🚨🔒👩‍💻 'single' `code` back\\slash \u0007bell";

/** A 5 KB comment. */
export const LONG_COMMENT = `${'Contained after lateral movement from the jump host; see the incident timeline. '.repeat(64)}END`;

export const SAMPLE_KQL = [
  'MDEMachineActions_CL',
  '| where CreationDateTimeUtc >= ago(30d)',
  '| where ComputerDnsName =~ "ws-042" or ComputerDnsName startswith "ws-042."',
  '| summarize arg_max(TimeGenerated, *) by ActionId',
  '| project ActionId, ActionType, Scope, Status, MachineId, ComputerDnsName, Requestor, RequestorComment, CreationDateTimeUtc',
  '| order by CreationDateTimeUtc desc',
  '| take 26',
].join('\n');

export const SAMPLE_PORTAL_URL =
  'https://portal.azure.com/#@contoso.onmicrosoft.com/blade/Microsoft_OperationsManagementSuite_Workspace/Logs.ReactView/resourceId/%2Fsubscriptions%2F00000000-0000-0000-0000-000000000000%2FresourceGroups%2Fsecops%2Fproviders%2FMicrosoft.OperationalInsights%2Fworkspaces%2Fsecops-law/source/LogsBlade.AnalyticsShareLinkToQuery/q/H4sIAAAAAAAAA0WMQQrCMBBF9z3F0JWC';

/** A KQL text of about 30 KB (a backend that inlines many ids). */
export const LONG_KQL = `MDEMachineActions_CL\n| where ActionId in (${Array.from({ length: 800 }, (_, i) => `"${actionId(i)}"`).join(', ')})\n| order by CreationDateTimeUtc desc`;

function query(kql = SAMPLE_KQL, portal = true): ShownQuery {
  return portal ? { kql, portalUrl: SAMPLE_PORTAL_URL } : { kql };
}

/** A GUID-shaped action id from a counter. */
export function actionId(n: number): string {
  return `5382f7ea-7557-4ab7-9782-${n.toString(16).padStart(12, '0')}`;
}

/** A complete ActionRow (MDE API field names); override what matters. */
export function makeActionRow(overrides: Partial<ActionRow> = {}): ActionRow {
  return {
    id: actionId(1),
    type: 'Isolate',
    title: null,
    scope: 'Full',
    status: 'Succeeded',
    machineId: WS042_NEW,
    computerDnsName: 'ws-042.contoso.com',
    requestor: 'Alex.Wilber@contoso.com',
    requestorComment: 'Isolating a device to prevent access to the external network',
    requestSource: 'Portal',
    creationDateTimeUtc: '2026-11-29T10:00:00.1234567Z',
    lastUpdateDateTimeUtc: '2026-11-29T10:02:11.9876543Z',
    cancellationRequestor: null,
    cancellationComment: null,
    cancellationDateTimeUtc: null,
    errorHResult: 0,
    externalId: null,
    ...overrides,
  };
}

const TYPES: [string, string | null][] = [
  ['Isolate', 'Full'],
  ['Unisolate', null],
  ['RunAntiVirusScan', 'Quick'],
  ['CollectInvestigationPackage', null],
  ['Isolate', 'Selective'],
  ['RestrictCodeExecution', null],
  ['StopAndQuarantineFile', null],
  ['RunAntiVirusScan', 'Full'],
];
const STATUSES = ['Succeeded', 'Succeeded', 'Failed', 'Pending', 'InProgress', 'Succeeded', 'TimeOut', 'Cancelled'];
const REQUESTORS = [
  'Alex.Wilber@contoso.com',
  KNOWN_APP_GUID,
  'Megan.Bowen@contoso.com',
  UNKNOWN_APP_GUID,
  'Lee.Gu@contoso.com',
];

/** `n` varied rows, newest first, one every 37 minutes back from 2026-11-29 12:40 UTC. */
export function manyActionRows(n: number): ActionRow[] {
  const start = Date.parse('2026-11-29T12:40:00.000Z');
  return Array.from({ length: n }, (_, i) => {
    const [type, scope] = TYPES[i % TYPES.length]!;
    const created = new Date(start - i * 37 * 60_000).toISOString().replace('Z', '1234Z');
    return makeActionRow({
      id: actionId(1000 + i),
      type,
      scope,
      status: STATUSES[i % STATUSES.length]!,
      machineId: (i * 7919).toString(16).padStart(40, 'a'),
      computerDnsName: i % 23 === 5 ? null : `ws-${String(100 + (i % 300)).padStart(3, '0')}.contoso.com`,
      requestor: REQUESTORS[i % REQUESTORS.length]!,
      requestorComment:
        i % 4 === 0
          ? `Ticket INC-${10_000 + i}: suspicious PowerShell download cradle on the device, containment approved by the on-call lead`
          : 'Quick Scan',
      requestSource: i % 2 === 0 ? 'Portal' : 'PublicApi',
      creationDateTimeUtc: created,
      lastUpdateDateTimeUtc: created,
    });
  });
}

/** Rows of a device page: mixed statuses, an app requestor with and without a name, a row without device name. */
export const DEVICE_ROWS: ActionRow[] = [
  makeActionRow({
    id: actionId(11),
    type: 'Unisolate',
    scope: null,
    status: 'Pending',
    creationDateTimeUtc: '2026-11-29T12:55:03.5Z',
    lastUpdateDateTimeUtc: '2026-11-29T12:55:03.5Z',
    requestorComment: 'Release after reimage check',
  }),
  makeActionRow({
    id: actionId(10),
    status: 'Succeeded',
    requestor: KNOWN_APP_GUID,
    requestSource: 'PublicApi',
    requestorComment: 'Automated containment: incident 8841 (high severity)',
  }),
  makeActionRow({
    id: actionId(9),
    type: 'RunAntiVirusScan',
    scope: 'Quick',
    status: 'Failed',
    requestor: UNKNOWN_APP_GUID,
    requestSource: 'PublicApi',
    requestorComment: 'Quick Scan',
    creationDateTimeUtc: '2026-11-28T22:14:59.2968211Z',
    errorHResult: -2147467259,
  }),
  makeActionRow({
    id: actionId(8),
    type: 'CollectInvestigationPackage',
    scope: null,
    status: 'TimeOut',
    creationDateTimeUtc: '2026-11-25T08:00:00.154974Z',
    errorHResult: -2145844840,
    requestorComment: 'Collect forensics',
  }),
  makeActionRow({
    id: actionId(7),
    type: 'Isolate',
    scope: 'Selective',
    status: 'Cancelled',
    requestor: 'Megan.Bowen@contoso.com',
    creationDateTimeUtc: '2026-11-20T16:30:00.1Z',
    cancellationRequestor: UNKNOWN_APP_GUID,
    cancellationComment: 'Machine action was canceled by automation',
    cancellationDateTimeUtc: '2026-11-21T07:25:33.9337696Z',
    errorHResult: -2147467260,
  }),
  makeActionRow({
    id: actionId(6),
    type: 'Isolate',
    scope: 'Full',
    status: 'InProgress',
    machineId: 'de693d7fbdabcdefabcdefcfc9cf40b5bf2da1d8',
    computerDnsName: null,
    requestor: KNOWN_APP_GUID,
    requestorComment: null,
    creationDateTimeUtc: '2026-11-19T09:00:00Z',
  }),
];

function actionsReply(overrides: Partial<ReplyOf<'actions'>>): ReplyOf<'actions'> {
  return {
    kind: 'actions',
    title: 'Actions for device ws-042',
    subtitle: 'last 30 days · 42 actions',
    rows: DEVICE_ROWS,
    total: 42,
    offset: 0,
    moreCommand: 'actions for device ws-042 last 30 days page 2',
    query: query(),
    ...overrides,
  };
}

const SHARED_ROWS: ActionRow[] = [
  makeActionRow({
    id: actionId(21),
    machineId: WS042_NEW,
    computerDnsName: 'WS-042.contoso.com',
    type: 'Isolate',
    status: 'Succeeded',
    creationDateTimeUtc: '2026-11-29T09:00:00Z',
  }),
  makeActionRow({
    id: actionId(20),
    machineId: WS042_OLD,
    computerDnsName: 'WS-042.contoso.com',
    type: 'Offboard',
    scope: null,
    status: 'Succeeded',
    creationDateTimeUtc: '2026-11-27T15:00:00Z',
    requestorComment: 'Decommissioned before re-image',
  }),
  makeActionRow({
    id: actionId(19),
    machineId: WS042_NEW,
    computerDnsName: 'WS-042.contoso.com',
    type: 'RunAntiVirusScan',
    scope: 'Full',
    status: 'Succeeded',
    creationDateTimeUtc: '2026-11-26T11:00:00Z',
  }),
  makeActionRow({
    id: actionId(18),
    machineId: WS042_OLD,
    computerDnsName: 'WS-042',
    type: 'Isolate',
    status: 'Failed',
    creationDateTimeUtc: '2026-11-20T08:00:00Z',
    errorHResult: -2147467259,
  }),
];

const HOSTILE_ROWS: ActionRow[] = [
  makeActionRow({
    id: actionId(31),
    requestorComment: HOSTILE_COMMENT,
    computerDnsName: 'ws-[evil](http://evil.example)-${title}',
  }),
  makeActionRow({
    id: actionId(32),
    requestorComment: LONG_COMMENT,
    status: 'Failed',
    requestor: '"Mallory" <mallory@contoso.com> [x](http://evil.example)',
  }),
  makeActionRow({
    id: actionId(33),
    requestorComment: '   \n\n\t  ',
    type: 'LiveResponse',
    scope: null,
    status: 'Weird${status}',
  }),
];

export const COUNT_TYPE_ROWS: CountRow[] = [
  { key: 'RunAntiVirusScan', count: 412 },
  { key: 'Isolate', count: 57 },
  { key: 'Unisolate', count: 49 },
  { key: 'CollectInvestigationPackage', count: 21 },
  { key: 'StopAndQuarantineFile', count: 9 },
  { key: 'RestrictCodeExecution', count: 3 },
  { key: 'LiveResponse', count: 1 },
];

export const COUNT_STATUS_ROWS: CountRow[] = [
  { key: 'Succeeded', count: 488 },
  { key: 'Failed', count: 22 },
  { key: 'TimeOut', count: 17 },
  { key: 'Cancelled', count: 11 },
  { key: 'Pending', count: 3 },
  { key: 'InProgress', count: 11 },
];

function countsReply(dimension: ReplyOf<'counts'>['dimension'], rows: CountRow[], title: string): ReplyOf<'counts'> {
  const total = rows.reduce((s, r) => s + r.count, 0);
  return {
    kind: 'counts',
    title,
    subtitle: `last 30 days · ${total} actions`,
    dimension,
    rows,
    total,
    query: query(SAMPLE_KQL.replace('| take 26', '| summarize count() by Key')),
  };
}

/** UTC days from `first`, `n` of them, with a weekday pattern and a spike. */
export function dayRows(first: string, n: number): CountRow[] {
  const start = Date.parse(`${first}T00:00:00Z`);
  return Array.from({ length: n }, (_, i) => ({
    key: new Date(start + i * 86_400_000).toISOString().slice(0, 10),
    count: i % 7 === 5 || i % 7 === 6 ? 0 : 3 + ((i * 5) % 11) + (i === n - 4 ? 40 : 0),
  }));
}

function timelineReply(days: CountRow[], subtitle: string): ReplyOf<'timeline'> {
  return {
    kind: 'timeline',
    title: 'Actions per day',
    subtitle,
    days,
    total: days.reduce((s, d) => s + d.count, 0),
    query: query(SAMPLE_KQL.replace('| take 26', '| summarize count() by bin(CreationDateTimeUtc, 1d)')),
  };
}

/** The ad hoc KQL of the table samples (`kql <query>`). */
export const TABLE_KQL = SAMPLE_KQL.replace(
  '| take 26',
  '| summarize Actions = count(), Last = max(CreationDateTimeUtc), Devices = make_set(ComputerDnsName, 3) by ActionType, Status',
);

const TABLE_COLUMNS = ['ActionType', 'Status', 'Actions', 'Last', 'Devices', 'Cancelled'];

/** `n` rows of the table samples: text, a number, an ISO datetime, dynamic JSON, a boolean, an empty cell. */
export function tableRows(n: number): string[][] {
  return Array.from({ length: n }, (_, i) => {
    const [type] = TYPES[i % TYPES.length]!;
    return [
      type,
      STATUSES[i % STATUSES.length]!,
      String(1000 - i * 7),
      `2026-11-29T${String(12 - (i % 12)).padStart(2, '0')}:00:00.1234567Z`,
      JSON.stringify([`ws-${100 + i}.contoso.com`, `srv-${i}.contoso.com`]),
      i % 3 === 0 ? '' : String(i % 2 === 0),
    ];
  });
}

/** 100 rows of 16 columns of long values: far more than a card holds. */
function wideTable(): ReplyOf<'table'> {
  const columns = Array.from({ length: 16 }, (_, c) => `Column_with_a_long_name_${c}`);
  const rows = Array.from({ length: 100 }, (_, r) =>
    columns.map((_n, c) => `row ${r} column ${c}: ${'value '.repeat(30)}`.trim()),
  );
  return {
    kind: 'table',
    title: 'KQL query',
    subtitle: 'first 100 rows',
    columns,
    rows,
    truncated: true,
    query: query(TABLE_KQL),
  };
}

export const ISOLATION_ROWS: IsolationRow[] = [
  {
    machineId: WS042_NEW,
    computerDnsName: 'ws-042.contoso.com',
    actionId: actionId(10),
    status: 'Succeeded',
    scope: 'Full',
    requestor: KNOWN_APP_GUID,
    requestorComment: 'Automated containment: incident 8841',
    since: '2026-11-29T10:00:00.1234567Z',
  },
  {
    machineId: 'de693d7fbdabcdefabcdefcfc9cf40b5bf2da1d8',
    computerDnsName: null,
    actionId: actionId(6),
    status: 'Pending',
    scope: 'Selective',
    requestor: UNKNOWN_APP_GUID,
    requestorComment: null,
    since: '2026-11-29T12:58:30Z',
  },
  {
    machineId: 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00',
    computerDnsName: 'srv-sql-07.contoso.com',
    actionId: actionId(4),
    status: 'InProgress',
    scope: 'Full',
    requestor: 'Megan.Bowen@contoso.com',
    requestorComment: 'Ransomware note found on share',
    since: '2026-11-24T06:15:00Z',
  },
];

function manyIsolationRows(n: number): IsolationRow[] {
  return manyActionRows(n).map((r) => ({
    machineId: r.machineId,
    computerDnsName: r.computerDnsName,
    actionId: r.id,
    status: r.status === 'Pending' ? 'Pending' : 'Succeeded',
    scope: 'Full',
    requestor: r.requestor,
    requestorComment: r.requestorComment,
    since: r.creationDateTimeUtc,
  }));
}

const CANCELLED_ACTION = DEVICE_ROWS[4]!;
const TIMEOUT_ACTION = DEVICE_ROWS[3]!;

export const CANCELLED_HISTORY: StatusHistoryRow[] = [
  { status: 'Pending', at: '2026-11-20T16:30:00.1Z' },
  { status: 'InProgress', at: '2026-11-20T16:31:12.4411Z' },
  { status: 'Cancelled', at: '2026-11-21T07:25:33.9337697Z' },
];

export const HELP_COMMANDS: ReplyOf<'help'>['commands'] = [
  {
    name: 'actions',
    usage: 'actions [for device <name> | by <requestor>] [<period>]',
    description: 'List machine actions, newest first',
    example: 'actions for device ws-042 last 7 days',
  },
  { name: 'summary', usage: 'summary [<period>]', description: 'Counts by type and status', example: 'summary 7d' },
  {
    name: 'requestors',
    usage: 'requestors [<period>]',
    description: 'Who requested how many actions',
    example: 'requestors 30d',
  },
  {
    name: 'devices',
    usage: 'devices [<period>]',
    description: 'Devices with the most actions',
    example: 'devices 30d',
  },
  {
    name: 'timeline',
    usage: 'timeline [<period>]',
    description: 'Actions per day, as a chart',
    example: 'timeline 30d',
  },
  { name: 'isolated', usage: 'isolated', description: 'Devices isolated now', example: 'isolated' },
  { name: 'failed', usage: 'failed [<period>]', description: 'Actions that failed or timed out', example: 'failed 7d' },
  { name: 'pending', usage: 'pending', description: 'Actions not finished yet', example: 'pending' },
  {
    name: 'action',
    usage: 'action <id>',
    description: 'One action with its status history',
    example: 'action 5382f7ea-7557-4ab7-9782-d50480024a4e',
  },
  { name: 'status', usage: 'status', description: 'Bot and ingest health', example: 'status' },
  { name: 'help', usage: 'help', description: 'This list', example: 'help' },
];

const STATUS_FACTS: ReplyOf<'status'>['facts'] = [
  { label: 'Version', value: 'defender-audit-bot 0.2.0' },
  { label: 'Store', value: 'SQLite ./data/audit.db · 48,211 actions · 97,034 status changes' },
  { label: 'Last ingest', value: '2026-11-29 12:59:31 UTC (29 s ago) · 3 new, 5 changed' },
  { label: 'Ingest cursor', value: '2026-11-29T12:58:02.1234567Z' },
  { label: 'API budget', value: '14 of 100 calls this minute · 211 of 1,500 this hour' },
  { label: 'Alerts', value: 'Isolate, Unisolate, RunAntiVirusScan → #secops-alerts' },
  { label: 'Query backend', value: 'sqlite' },
];

/** Every sample reply by name: the normal cases first, then edge cases. */
export const SAMPLE_REPLIES = {
  actionsForDevice: actionsReply({}),
  actionsEmpty: actionsReply({
    title: 'Actions for device ws-999',
    subtitle: 'last 30 days · no actions',
    rows: [],
    total: 0,
    moreCommand: undefined,
  }),
  actionsLastPage: actionsReply({
    subtitle: 'last 30 days · 42 actions',
    rows: DEVICE_ROWS.slice(0, 2),
    total: 42,
    offset: 40,
    moreCommand: undefined,
  }),
  actions500: actionsReply({
    title: 'All actions',
    subtitle: 'last 180 days · 1,200 actions',
    rows: manyActionRows(500),
    total: 1200,
    moreCommand: 'actions last 180 days page 2',
  }),
  actionsSharedName: actionsReply({
    title: 'Actions for device WS-042',
    subtitle: 'last 30 days · 4 actions on 2 machines',
    rows: SHARED_ROWS,
    total: 4,
    moreCommand: undefined,
    sharedNames: [{ name: 'WS-042', machineIds: [WS042_NEW, WS042_OLD] }],
  }),
  actionsHostile: actionsReply({
    title: 'Actions for device "ws-[x](http://evil.example)" ${title}',
    subtitle: 'last 30 days · {{DATE(2026-11-29T10:00:00Z)}}',
    rows: HOSTILE_ROWS,
    total: 3,
    moreCommand: 'actions "${x}" [y](http://evil.example)',
  }),
  actionsLongKql: actionsReply({
    rows: DEVICE_ROWS.slice(0, 2),
    total: 2,
    moreCommand: undefined,
    query: query(LONG_KQL, false),
  }),
  countsByType: countsReply('type', COUNT_TYPE_ROWS, 'Actions by type'),
  countsByStatus: countsReply('status', COUNT_STATUS_ROWS, 'Actions by status'),
  countsByRequestor: countsReply(
    'requestor',
    [
      { key: 'Alex.Wilber@contoso.com', count: 201 },
      { key: KNOWN_APP_GUID, count: 154 },
      { key: UNKNOWN_APP_GUID, count: 77 },
      { key: 'Megan.Bowen@contoso.com', count: 60 },
      { key: 'Lee.Gu@contoso.com', count: 12 },
    ],
    'Requestors',
  ),
  countsByDevice: countsReply(
    'device',
    [
      { key: 'ws-042.contoso.com', count: 31 },
      { key: 'srv-sql-07.contoso.com', count: 12 },
      { key: '', count: 2 },
    ],
    'Devices with the most actions',
  ),
  countsByDay: countsReply('day', dayRows('2026-11-23', 7), 'Actions per day'),
  countsEmpty: countsReply('type', [], 'Actions by type'),
  counts500: countsReply(
    'device',
    Array.from({ length: 500 }, (_, i) => ({
      key: `ws-${String(i).padStart(4, '0')}.branch-office-${i % 17}.contoso.com`,
      count: 1000 - i,
    })),
    'Devices with the most actions',
  ),
  summary7d: {
    kind: 'summary',
    title: 'Summary',
    subtitle: 'last 7 days',
    byType: COUNT_TYPE_ROWS,
    byStatus: COUNT_STATUS_ROWS,
    total: 552,
    query: query(),
  },
  summaryEmpty: {
    kind: 'summary',
    title: 'Summary',
    subtitle: 'last 7 days',
    byType: [],
    byStatus: [],
    total: 0,
    query: query(SAMPLE_KQL, false),
  },
  timeline30d: timelineReply(dayRows('2026-10-31', 30), 'last 30 days'),
  timeline7d: timelineReply(dayRows('2026-11-23', 7), 'last 7 days'),
  timeline180d: timelineReply(dayRows('2026-06-03', 180), 'last 180 days'),
  timeline400d: timelineReply(dayRows('2025-10-26', 400), 'since 2025-10-26'),
  timelineEmpty: timelineReply([], 'last 0 days'),
  isolatedNow: {
    kind: 'isolated',
    title: 'Isolated devices',
    subtitle: '3 devices isolated now',
    rows: ISOLATION_ROWS,
    total: 3,
    now: SAMPLE_NOW,
    query: query(),
  },
  isolatedNone: {
    kind: 'isolated',
    title: 'Isolated devices',
    subtitle: 'none',
    rows: [],
    total: 0,
    now: SAMPLE_NOW,
    query: query(),
  },
  isolated500: {
    kind: 'isolated',
    title: 'Isolated devices',
    subtitle: '500 devices isolated now',
    rows: manyIsolationRows(500),
    total: 500,
    now: SAMPLE_NOW,
    query: query(),
  },
  actionCancelled: {
    kind: 'action',
    title: `Action ${CANCELLED_ACTION.id}`,
    action: CANCELLED_ACTION,
    history: CANCELLED_HISTORY,
    query: query(),
  },
  actionTimeOut: {
    kind: 'action',
    title: `Action ${TIMEOUT_ACTION.id}`,
    action: TIMEOUT_ACTION,
    history: [
      { status: 'Pending', at: TIMEOUT_ACTION.creationDateTimeUtc },
      { status: 'TimeOut', at: '2026-11-28T08:00:03.6898318Z' },
    ],
    query: query(),
  },
  actionNoName: {
    kind: 'action',
    title: `Action ${DEVICE_ROWS[5]!.id}`,
    action: DEVICE_ROWS[5]!,
    history: [],
    query: query(SAMPLE_KQL, false),
  },
  actionHostile: { kind: 'action', title: 'Action ${title}', action: HOSTILE_ROWS[0]!, history: [], query: query() },
  actionLongComment: {
    kind: 'action',
    title: 'Action with a long comment',
    action: HOSTILE_ROWS[1]!,
    history: CANCELLED_HISTORY,
    query: query(LONG_KQL),
  },
  actionNotFound: {
    kind: 'action',
    title: 'Action 00000000-0000-4000-8000-000000000000',
    action: null,
    history: [],
    query: query(),
  },
  tableSmall: {
    kind: 'table',
    title: 'KQL query',
    subtitle: '3 rows',
    columns: TABLE_COLUMNS,
    rows: tableRows(3),
    truncated: false,
    query: query(TABLE_KQL),
  },
  tableTruncated: {
    kind: 'table',
    title: 'KQL query',
    subtitle: 'first 20 rows',
    columns: TABLE_COLUMNS,
    rows: tableRows(20),
    truncated: true,
    query: query(TABLE_KQL, false),
  },
  tableEmpty: {
    kind: 'table',
    title: 'KQL query',
    subtitle: 'no rows',
    columns: TABLE_COLUMNS,
    rows: [],
    truncated: false,
    query: query(TABLE_KQL),
  },
  tableWide: wideTable(),
  tableHostile: {
    kind: 'table',
    title: 'KQL query',
    subtitle: '2 rows',
    columns: ['[col](http://evil.example)', '${title}', 'Long'],
    rows: [
      [HOSTILE_COMMENT, '${subtitle}', LONG_COMMENT],
      ['**bold** _it_', '{{DATE(2026-11-29T10:00:00Z, SHORT)}}', '# heading'],
    ],
    truncated: false,
    query: query('MDEMachineActions_CL | where RequestorComment has "[x](http://evil.example)" | take 2'),
  },
  statusOk: { kind: 'status', title: 'Status', facts: STATUS_FACTS, problem: null },
  statusProblem: {
    kind: 'status',
    title: 'Status',
    facts: STATUS_FACTS,
    problem: 'Last ingest failed 3 times (MDE_FORBIDDEN: the app lacks Machine.Read.All). Data is 47 min old.',
  },
  helpAsked: { kind: 'help', title: 'Help', message: null, suggestion: null, commands: HELP_COMMANDS },
  helpUnknown: {
    kind: 'help',
    title: 'Help',
    message: 'I did not understand "isolatd [now](http://evil.example)"',
    suggestion: 'isolated',
    commands: HELP_COMMANDS,
  },
  error: {
    kind: 'error',
    title: 'Query failed',
    message:
      'The store could not be read (SQLITE_BUSY). Try again in a minute; if it persists, run `defender-audit-bot doctor`.',
    reason: 'failed',
  },
  errorUsage: {
    kind: 'error',
    title: 'Unknown period',
    message: 'I did not understand the period "last fortnight". Use 7d, 30d, "last 7 days" or "since 2026-11-01".',
    reason: 'usage',
  },
  errorLimited: {
    kind: 'error',
    title: 'Slow down',
    message: 'You sent 10 commands in the last minute; the limit is 10.',
    reason: 'limited',
  },
} satisfies Record<string, Reply>;

export type SampleName = keyof typeof SAMPLE_REPLIES;

/** Samples with hostile text on purpose (they may contain `${` in data). */
export const HOSTILE_SAMPLES: ReadonlySet<SampleName> = new Set([
  'actionsHostile',
  'actionHostile',
  'actionLongComment',
  'tableHostile',
]);

// ── Alert, storm, backfill, digest and subscriptions cards (src/core/alerts.ts) ────────────────

/** The zone the alert samples' business hours and the digest are in. */
export const ALERT_TIME_ZONE = 'Europe/Amsterdam';

/** An Isolate requested at 22:14 Amsterdam time (21:14 UTC), outside business hours. */
export const ALERT_ACTION: ActionRow = makeActionRow({
  id: actionId(0xa1e7),
  status: 'Pending',
  requestor: 'Lee.Gu@contoso.com',
  requestorComment: 'Beaconing to a known C2 domain, isolating until triage',
  creationDateTimeUtc: '2026-11-29T21:14:05.1234567Z',
  lastUpdateDateTimeUtc: '2026-11-29T21:14:05.1234567Z',
});

export const ALERT_KQL = [
  'MDEMachineActions_CL',
  `| where ActionId == "${ALERT_ACTION.id}"`,
  '| project TimeGenerated, Status, LastUpdateDateTimeUtc, CancellationRequestor, CancellationComment',
  '| order by TimeGenerated asc',
].join('\n');

export const DEVICE_COMMAND = 'actions for device ws-042.contoso.com';

/** One flag of each kind, in the order the policy reports them. */
export const ALL_FLAGS: AlertCardModel['flags'] = [
  { kind: 'massAction', count: 5, windowMinutes: 10 },
  { kind: 'unknownRequestor' },
  { kind: 'outsideBusinessHours', localTime: '22:14', timeZone: ALERT_TIME_ZONE },
  { kind: 'offboard' },
];

/** An alert on `ALERT_ACTION` with the given changes (a later version of the same action). */
export function alertModel(action: Partial<ActionRow> = {}, extra: Partial<AlertCardModel> = {}): AlertCardModel {
  return {
    action: { ...ALERT_ACTION, ...action },
    flags: [{ kind: 'outsideBusinessHours', localTime: '22:14', timeZone: ALERT_TIME_ZONE }],
    timeToCompleteMs: null,
    deviceCommand: DEVICE_COMMAND,
    kql: ALERT_KQL,
    ...extra,
  };
}

/** The same action through its life: Pending, InProgress, then each final status. */
export const ALERT_SAMPLES = {
  pending: alertModel(),
  inProgress: alertModel({ status: 'InProgress', lastUpdateDateTimeUtc: '2026-11-29T21:15:00.5Z' }),
  /** 4 min 12 s after creation. */
  succeeded: alertModel(
    { status: 'Succeeded', lastUpdateDateTimeUtc: '2026-11-29T21:18:17.1234567Z' },
    { timeToCompleteMs: 252_000 },
  ),
  /** 2 min 11 s, E_FAIL. */
  failed: alertModel(
    { status: 'Failed', lastUpdateDateTimeUtc: '2026-11-29T21:16:16.1234567Z', errorHResult: -2147467259 },
    { timeToCompleteMs: 131_000 },
  ),
  /** 3 days, HTTP_E_STATUS_REQUEST_TIMEOUT. */
  timedOut: alertModel(
    { status: 'TimeOut', lastUpdateDateTimeUtc: '2026-12-02T21:14:05.1234567Z', errorHResult: -2145844840 },
    { timeToCompleteMs: 3 * 86_400_000 },
  ),
  /** Cancelled after 9 min 55 s by another analyst, with a comment. */
  cancelled: alertModel(
    {
      status: 'Cancelled',
      lastUpdateDateTimeUtc: '2026-11-29T21:24:00.1234567Z',
      cancellationRequestor: 'Megan.Bowen@contoso.com',
      cancellationComment: 'Wrong device: isolating ws-043 instead',
      cancellationDateTimeUtc: '2026-11-29T21:24:00.1234567Z',
    },
    { timeToCompleteMs: 595_000 },
  ),
  /** Final, but the builder gave no duration: the renderer computes it from the timestamps. */
  succeededNoDuration: alertModel({ status: 'Succeeded', lastUpdateDateTimeUtc: '2026-11-29T21:15:07.1234567Z' }),
  noFlags: alertModel(
    { creationDateTimeUtc: '2026-11-29T09:14:05Z', lastUpdateDateTimeUtc: '2026-11-29T09:14:05Z' },
    { flags: [] },
  ),
  allFlags: alertModel(
    { type: 'Offboard', scope: null, requestor: UNKNOWN_APP_GUID, requestSource: 'PublicApi' },
    { flags: ALL_FLAGS },
  ),
  appRequestor: alertModel(
    { requestor: KNOWN_APP_GUID, requestSource: 'PublicApi' },
    { flags: [{ kind: 'massAction', count: 12, windowMinutes: 5 }] },
  ),
  noDeviceName: alertModel({ computerDnsName: null, machineId: 'de693d7fbdabcdefabcdefcfc9cf40b5bf2da1d8' }),
  compact: alertModel(
    { status: 'Failed', errorHResult: -2147467259 },
    { flags: ALL_FLAGS, timeToCompleteMs: 131_000, compact: true },
  ),
  hostile: alertModel(
    {
      computerDnsName: 'ws-[evil](http://evil.example)-${title}',
      requestor: '"Mallory" <mallory@contoso.com> [x](http://evil.example)',
      requestorComment: HOSTILE_COMMENT,
      requestSource: '${subtitle}',
      status: 'Cancelled',
      cancellationRequestor: '[boss](http://evil.example)',
      cancellationComment: HOSTILE_COMMENT,
      cancellationDateTimeUtc: '2026-11-29T21:24:00Z',
      externalId: '{{DATE(2026-11-29T10:00:00Z, SHORT)}}',
    },
    {
      flags: [{ kind: 'outsideBusinessHours', localTime: '22:14 [x](http://evil.example)', timeZone: '${timeZone}' }],
      deviceCommand: 'actions for device "ws-[evil](http://evil.example)-${title}"',
      kql: `${ALERT_KQL}\n| where Comment has "[x](http://evil.example) \${title}"`,
    },
  ),
  hostileCompact: alertModel(
    {
      computerDnsName: '🚨'.repeat(300),
      requestor: '[x](http://evil.example)'.repeat(40),
      requestorComment: LONG_COMMENT,
      machineId: 'f'.repeat(400),
    },
    {
      flags: [...ALL_FLAGS, { kind: 'outsideBusinessHours', localTime: '*'.repeat(500), timeZone: '_'.repeat(500) }],
      compact: true,
    },
  ),
  longComment: alertModel({ requestorComment: LONG_COMMENT }, { kql: LONG_KQL }),
} satisfies Record<string, AlertCardModel>;

export type AlertSampleName = keyof typeof ALERT_SAMPLES;

/** Counts of `rows` by a key, largest first (ties by key). */
export function countBy(rows: readonly ActionRow[], key: (row: ActionRow) => string): CountRow[] {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(key(row), (counts.get(key(row)) ?? 0) + 1);
  return [...counts.entries()]
    .map(([k, count]) => ({ key: k, count }))
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

/** A storm model over `actions` (newest first). */
export function stormModel(actions: ActionRow[], showAllCommand = 'actions last 1 days'): StormCardModel {
  return {
    actions,
    byType: countBy(actions, (r) => r.type),
    byRequestor: countBy(actions, (r) => r.requestor),
    byStatus: countBy(actions, (r) => r.status),
    from: actions.at(-1)?.creationDateTimeUtc ?? SAMPLE_NOW,
    to: actions[0]?.creationDateTimeUtc ?? SAMPLE_NOW,
    showAllCommand,
  };
}

/** 60 actions by 60 different requestors, with long names. */
function manyRequestorRows(): ActionRow[] {
  return manyActionRows(60).map((r, i) => ({
    ...r,
    requestor: `analyst.number.${i}.with.a.rather.long.name@soc.branch-office-${i % 7}.contoso.com`,
  }));
}

export const STORM_SAMPLES = {
  storm12: stormModel(manyActionRows(12)),
  storm500: stormModel(manyActionRows(500), 'actions last 14 days'),
  manyRequestors: stormModel(manyRequestorRows()),
  hostile: stormModel(HOSTILE_ROWS, 'actions "${x}" [y](http://evil.example)'),
  /** Every action has completed since the card was posted: the status tiles moved. */
  completed: stormModel(manyActionRows(12).map((r, i) => ({ ...r, status: i % 5 === 0 ? 'Failed' : 'Succeeded' }))),
  noShowAll: stormModel(manyActionRows(12), ''),
} satisfies Record<string, StormCardModel>;

export const BACKFILL_SAMPLES = {
  firstRun: {
    total: 552,
    byType: COUNT_TYPE_ROWS,
    from: '2026-06-02T08:12:44.1234567Z',
    to: '2026-11-29T12:58:02.1234567Z',
    days: 180,
  },
  empty: { total: 0, byType: [], from: null, to: null, days: 180 },
  manyTypes: {
    total: 200_000,
    byType: Array.from({ length: 400 }, (_, i) => ({
      key: `CustomActionType${i}_with_a_long_name_${'x'.repeat(i % 50)}`,
      count: 500 - i,
    })),
    from: '2025-11-29T00:00:00Z',
    to: '2026-11-29T12:58:02Z',
    days: 365,
  },
} satisfies Record<string, BackfillCardModel>;

const DIGEST_BY_TYPE: CountRow[] = [
  { key: 'RunAntiVirusScan', count: 21 },
  { key: 'Isolate', count: 9 },
  { key: 'Unisolate', count: 5 },
  { key: 'CollectInvestigationPackage', count: 2 },
];

function digestModel(overrides: Partial<DigestModel> = {}): DigestModel {
  return {
    date: '2026-11-29',
    timeZone: ALERT_TIME_ZONE,
    window: { from: '2026-11-28T13:00:00.000Z', to: '2026-11-29T13:00:00.000Z' },
    tiles: { total: 37, byType: DIGEST_BY_TYPE, failed: 2, timedOut: 1 },
    perDay: dayRows('2026-11-16', 14),
    shareByType: COUNT_TYPE_ROWS,
    topDays: 7,
    topRequestors: [
      { key: 'Alex.Wilber@contoso.com', count: 41 },
      { key: KNOWN_APP_GUID, count: 30 },
      { key: UNKNOWN_APP_GUID, count: 12 },
      { key: 'Megan.Bowen@contoso.com', count: 7 },
    ],
    topDevices: [
      { key: 'ws-042.contoso.com', count: 11 },
      { key: 'srv-sql-07.contoso.com', count: 6 },
      { key: 'ws-117.contoso.com', count: 4 },
    ],
    isolated: ISOLATION_ROWS,
    oldestPending: DEVICE_ROWS.filter((r) => r.status === 'Pending' || r.status === 'InProgress').reverse(),
    trend: { current: 37, previous: 29 },
    now: SAMPLE_NOW,
    ...overrides,
  };
}

function manyDigestCounts(n: number, prefix: string): CountRow[] {
  return Array.from({ length: n }, (_, i) => ({
    key: `${prefix}-${String(i).padStart(4, '0')}.branch-office-${i % 17}.contoso.com`,
    count: 1000 - i,
  }));
}

export const DIGEST_SAMPLES = {
  daily: digestModel(),
  quiet: digestModel({
    tiles: { total: 0, byType: [], failed: 0, timedOut: 0 },
    perDay: dayRows('2026-11-16', 14).map((d) => ({ ...d, count: 0 })),
    shareByType: [],
    topRequestors: [],
    topDevices: [],
    isolated: [],
    oldestPending: [],
    trend: { current: 0, previous: 0 },
  }),
  /** Nothing the day before: the trend is "new". */
  firstDay: digestModel({ trend: { current: 37, previous: 0 } }),
  fewer: digestModel({ trend: { current: 20, previous: 40 } }),
  long: digestModel({
    tiles: { total: 20_000, byType: manyDigestCounts(40, 'Type'), failed: 1200, timedOut: 300 },
    shareByType: manyDigestCounts(40, 'Type'),
    topRequestors: manyDigestCounts(300, 'requestor'),
    topDevices: manyDigestCounts(300, 'ws'),
    isolated: manyIsolationRows(300),
    oldestPending: manyActionRows(300).map((r) => ({ ...r, status: 'Pending', requestorComment: LONG_COMMENT })),
  }),
  hostile: digestModel({
    tiles: { total: 3, byType: [{ key: '[x](http://evil.example) ${title}', count: 3 }], failed: 0, timedOut: 0 },
    shareByType: [{ key: '**bold** {{DATE(2026-11-29T10:00:00Z, SHORT)}}', count: 3 }],
    topRequestors: [{ key: '"Mallory" <mallory@contoso.com> [x](http://evil.example)', count: 3 }],
    topDevices: [{ key: 'ws-[evil](http://evil.example)-${title}', count: 3 }],
    isolated: [
      {
        ...ISOLATION_ROWS[0]!,
        computerDnsName: 'ws-[evil](http://evil.example)',
        requestor: '[x](http://evil.example)',
      },
    ],
    oldestPending: HOSTILE_ROWS.map((r) => ({ ...r, status: 'Pending' })),
  }),
} satisfies Record<string, DigestModel>;

export const SUBSCRIPTION_ROWS: SubscriptionRow[] = [
  {
    conversationId: '19:8f3e2b7c5a1d4e6f9b0a2c4d6e8f0a1b@thread.tacv2',
    name: 'SecOps › Alerts',
    alerts: true,
    digest: false,
    active: true,
    inactiveReason: null,
    since: '2026-11-01T09:30:00Z',
  },
  {
    conversationId: '19:1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d@thread.tacv2',
    name: 'Management › Weekly',
    alerts: false,
    digest: true,
    active: true,
    inactiveReason: null,
    since: '2026-11-02T10:00:00Z',
  },
  {
    conversationId: '19:meeting_ZTZmNjQ0@thread.v2',
    name: 'Group chat',
    alerts: true,
    digest: true,
    active: false,
    inactiveReason: 'MessageWritesBlocked',
    since: '2026-11-10T16:45:00Z',
  },
  {
    conversationId: 'a:1Xq9-personal-chat-id',
    name: 'Personal chat',
    alerts: false,
    digest: false,
    active: false,
    inactiveReason: null,
    since: '2026-11-20T08:00:00Z',
  },
];

export const SUBSCRIPTION_SAMPLES = {
  some: SUBSCRIPTION_ROWS,
  none: [],
  many: Array.from({ length: 500 }, (_, i) => ({
    ...SUBSCRIPTION_ROWS[i % SUBSCRIPTION_ROWS.length]!,
    conversationId: `19:${i.toString(16).padStart(32, '0')}@thread.tacv2`,
    name: `Team ${i} › Channel with a long name ${i}`,
  })),
  hostile: [
    {
      ...SUBSCRIPTION_ROWS[2]!,
      name: '[x](http://evil.example) ${title} **bold**',
      inactiveReason: '{{DATE(2026-11-29T10:00:00Z, SHORT)}} [y](http://evil.example)',
      conversationId: '19:[z](http://evil.example)@thread',
    },
  ],
} satisfies Record<string, SubscriptionRow[]>;
