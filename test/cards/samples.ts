/**
 * Realistic sample replies for every reply kind, with edge cases. Shared: card tests render and
 * validate all of them; screenshot tooling can render the same set.
 *
 * Everything is deterministic: times are fixed (UTC), ids are derived from counters.
 */
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
  '- not a list\n# not a heading\n**not bold** <at>Everyone</at> \u202Egnp.exe\u202C 🚨🔒👩‍💻 \'single\' `code` back\\slash \u0007bell';

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
const REQUESTORS = ['Alex.Wilber@contoso.com', KNOWN_APP_GUID, 'Megan.Bowen@contoso.com', UNKNOWN_APP_GUID, 'Lee.Gu@contoso.com'];

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
      requestorComment: i % 4 === 0 ? `Ticket INC-${10_000 + i}: suspicious PowerShell download cradle on the device, containment approved by the on-call lead` : 'Quick Scan',
      requestSource: i % 2 === 0 ? 'Portal' : 'PublicApi',
      creationDateTimeUtc: created,
      lastUpdateDateTimeUtc: created,
    });
  });
}

/** Rows of a device page: mixed statuses, an app requestor with and without a name, a row without device name. */
export const DEVICE_ROWS: ActionRow[] = [
  makeActionRow({ id: actionId(11), type: 'Unisolate', scope: null, status: 'Pending', creationDateTimeUtc: '2026-11-29T12:55:03.5Z', lastUpdateDateTimeUtc: '2026-11-29T12:55:03.5Z', requestorComment: 'Release after reimage check' }),
  makeActionRow({ id: actionId(10), status: 'Succeeded', requestor: KNOWN_APP_GUID, requestSource: 'PublicApi', requestorComment: 'Automated containment: incident 8841 (high severity)' }),
  makeActionRow({ id: actionId(9), type: 'RunAntiVirusScan', scope: 'Quick', status: 'Failed', requestor: UNKNOWN_APP_GUID, requestSource: 'PublicApi', requestorComment: 'Quick Scan', creationDateTimeUtc: '2026-11-28T22:14:59.2968211Z', errorHResult: -2147467259 }),
  makeActionRow({ id: actionId(8), type: 'CollectInvestigationPackage', scope: null, status: 'TimeOut', creationDateTimeUtc: '2026-11-25T08:00:00.154974Z', errorHResult: -2145844840, requestorComment: 'Collect forensics' }),
  makeActionRow({ id: actionId(7), type: 'Isolate', scope: 'Selective', status: 'Cancelled', requestor: 'Megan.Bowen@contoso.com', creationDateTimeUtc: '2026-11-20T16:30:00.1Z', cancellationRequestor: UNKNOWN_APP_GUID, cancellationComment: 'Machine action was canceled by automation', cancellationDateTimeUtc: '2026-11-21T07:25:33.9337696Z', errorHResult: -2147467260 }),
  makeActionRow({ id: actionId(6), type: 'Isolate', scope: 'Full', status: 'InProgress', machineId: 'de693d7fbdabcdefabcdefcfc9cf40b5bf2da1d8', computerDnsName: null, requestor: KNOWN_APP_GUID, requestorComment: null, creationDateTimeUtc: '2026-11-19T09:00:00Z' }),
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
  makeActionRow({ id: actionId(21), machineId: WS042_NEW, computerDnsName: 'WS-042.contoso.com', type: 'Isolate', status: 'Succeeded', creationDateTimeUtc: '2026-11-29T09:00:00Z' }),
  makeActionRow({ id: actionId(20), machineId: WS042_OLD, computerDnsName: 'WS-042.contoso.com', type: 'Offboard', scope: null, status: 'Succeeded', creationDateTimeUtc: '2026-11-27T15:00:00Z', requestorComment: 'Decommissioned before re-image' }),
  makeActionRow({ id: actionId(19), machineId: WS042_NEW, computerDnsName: 'WS-042.contoso.com', type: 'RunAntiVirusScan', scope: 'Full', status: 'Succeeded', creationDateTimeUtc: '2026-11-26T11:00:00Z' }),
  makeActionRow({ id: actionId(18), machineId: WS042_OLD, computerDnsName: 'WS-042', type: 'Isolate', status: 'Failed', creationDateTimeUtc: '2026-11-20T08:00:00Z', errorHResult: -2147467259 }),
];

const HOSTILE_ROWS: ActionRow[] = [
  makeActionRow({ id: actionId(31), requestorComment: HOSTILE_COMMENT, computerDnsName: 'ws-[evil](http://evil.example)-${title}' }),
  makeActionRow({ id: actionId(32), requestorComment: LONG_COMMENT, status: 'Failed', requestor: '"Mallory" <mallory@contoso.com> [x](http://evil.example)' }),
  makeActionRow({ id: actionId(33), requestorComment: '   \n\n\t  ', type: 'LiveResponse', scope: null, status: 'Weird${status}' }),
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
  return { kind: 'counts', title, subtitle: `last 30 days · ${total} actions`, dimension, rows, total, query: query(SAMPLE_KQL.replace('| take 26', '| summarize count() by Key')) };
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
  return { kind: 'timeline', title: 'Actions per day', subtitle, days, total: days.reduce((s, d) => s + d.count, 0), query: query(SAMPLE_KQL.replace('| take 26', '| summarize count() by bin(CreationDateTimeUtc, 1d)')) };
}

export const ISOLATION_ROWS: IsolationRow[] = [
  { machineId: WS042_NEW, computerDnsName: 'ws-042.contoso.com', actionId: actionId(10), status: 'Succeeded', scope: 'Full', requestor: KNOWN_APP_GUID, requestorComment: 'Automated containment: incident 8841', since: '2026-11-29T10:00:00.1234567Z' },
  { machineId: 'de693d7fbdabcdefabcdefcfc9cf40b5bf2da1d8', computerDnsName: null, actionId: actionId(6), status: 'Pending', scope: 'Selective', requestor: UNKNOWN_APP_GUID, requestorComment: null, since: '2026-11-29T12:58:30Z' },
  { machineId: 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00', computerDnsName: 'srv-sql-07.contoso.com', actionId: actionId(4), status: 'InProgress', scope: 'Full', requestor: 'Megan.Bowen@contoso.com', requestorComment: 'Ransomware note found on share', since: '2026-11-24T06:15:00Z' },
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
  { name: 'actions', usage: 'actions [for device <name> | by <requestor>] [<period>]', description: 'List machine actions, newest first', example: 'actions for device ws-042 last 7 days' },
  { name: 'summary', usage: 'summary [<period>]', description: 'Counts by type and status', example: 'summary 7d' },
  { name: 'requestors', usage: 'requestors [<period>]', description: 'Who requested how many actions', example: 'requestors 30d' },
  { name: 'devices', usage: 'devices [<period>]', description: 'Devices with the most actions', example: 'devices 30d' },
  { name: 'timeline', usage: 'timeline [<period>]', description: 'Actions per day, as a chart', example: 'timeline 30d' },
  { name: 'isolated', usage: 'isolated', description: 'Devices isolated now', example: 'isolated' },
  { name: 'failed', usage: 'failed [<period>]', description: 'Actions that failed or timed out', example: 'failed 7d' },
  { name: 'pending', usage: 'pending', description: 'Actions not finished yet', example: 'pending' },
  { name: 'action', usage: 'action <id>', description: 'One action with its status history', example: 'action 5382f7ea-7557-4ab7-9782-d50480024a4e' },
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
  actionsEmpty: actionsReply({ title: 'Actions for device ws-999', subtitle: 'last 30 days · no actions', rows: [], total: 0, moreCommand: undefined }),
  actionsLastPage: actionsReply({ subtitle: 'last 30 days · 42 actions', rows: DEVICE_ROWS.slice(0, 2), total: 42, offset: 40, moreCommand: undefined }),
  actions500: actionsReply({ title: 'All actions', subtitle: 'last 180 days · 1,200 actions', rows: manyActionRows(500), total: 1200, moreCommand: 'actions last 180 days page 2' }),
  actionsSharedName: actionsReply({
    title: 'Actions for device WS-042',
    subtitle: 'last 30 days · 4 actions on 2 machines',
    rows: SHARED_ROWS,
    total: 4,
    moreCommand: undefined,
    sharedNames: [{ name: 'WS-042', machineIds: [WS042_NEW, WS042_OLD] }],
  }),
  actionsHostile: actionsReply({ title: 'Actions for device "ws-[x](http://evil.example)" ${title}', subtitle: 'last 30 days · {{DATE(2026-11-29T10:00:00Z)}}', rows: HOSTILE_ROWS, total: 3, moreCommand: 'actions "${x}" [y](http://evil.example)' }),
  actionsLongKql: actionsReply({ rows: DEVICE_ROWS.slice(0, 2), total: 2, moreCommand: undefined, query: query(LONG_KQL, false) }),
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
  countsByDevice: countsReply('device', [{ key: 'ws-042.contoso.com', count: 31 }, { key: 'srv-sql-07.contoso.com', count: 12 }, { key: '', count: 2 }], 'Devices with the most actions'),
  countsByDay: countsReply('day', dayRows('2026-11-23', 7), 'Actions per day'),
  countsEmpty: countsReply('type', [], 'Actions by type'),
  counts500: countsReply('device', Array.from({ length: 500 }, (_, i) => ({ key: `ws-${String(i).padStart(4, '0')}.branch-office-${i % 17}.contoso.com`, count: 1000 - i })), 'Devices with the most actions'),
  summary7d: { kind: 'summary', title: 'Summary', subtitle: 'last 7 days', byType: COUNT_TYPE_ROWS, byStatus: COUNT_STATUS_ROWS, total: 552, query: query() },
  summaryEmpty: { kind: 'summary', title: 'Summary', subtitle: 'last 7 days', byType: [], byStatus: [], total: 0, query: query(SAMPLE_KQL, false) },
  timeline30d: timelineReply(dayRows('2026-10-31', 30), 'last 30 days'),
  timeline7d: timelineReply(dayRows('2026-11-23', 7), 'last 7 days'),
  timeline180d: timelineReply(dayRows('2026-06-03', 180), 'last 180 days'),
  timeline400d: timelineReply(dayRows('2025-10-26', 400), 'since 2025-10-26'),
  timelineEmpty: timelineReply([], 'last 0 days'),
  isolatedNow: { kind: 'isolated', title: 'Isolated devices', subtitle: '3 devices isolated now', rows: ISOLATION_ROWS, now: SAMPLE_NOW, query: query() },
  isolatedNone: { kind: 'isolated', title: 'Isolated devices', subtitle: 'none', rows: [], now: SAMPLE_NOW, query: query() },
  isolated500: { kind: 'isolated', title: 'Isolated devices', subtitle: '500 devices isolated now', rows: manyIsolationRows(500), now: SAMPLE_NOW, query: query() },
  actionCancelled: { kind: 'action', title: `Action ${CANCELLED_ACTION.id}`, action: CANCELLED_ACTION, history: CANCELLED_HISTORY, query: query() },
  actionTimeOut: { kind: 'action', title: `Action ${TIMEOUT_ACTION.id}`, action: TIMEOUT_ACTION, history: [{ status: 'Pending', at: TIMEOUT_ACTION.creationDateTimeUtc }, { status: 'TimeOut', at: '2026-11-28T08:00:03.6898318Z' }], query: query() },
  actionNoName: { kind: 'action', title: `Action ${DEVICE_ROWS[5]!.id}`, action: DEVICE_ROWS[5]!, history: [], query: query(SAMPLE_KQL, false) },
  actionHostile: { kind: 'action', title: 'Action ${title}', action: HOSTILE_ROWS[0]!, history: [], query: query() },
  actionLongComment: { kind: 'action', title: 'Action with a long comment', action: HOSTILE_ROWS[1]!, history: CANCELLED_HISTORY, query: query(LONG_KQL) },
  actionNotFound: { kind: 'action', title: 'Action 00000000-0000-4000-8000-000000000000', action: null, history: [], query: query() },
  statusOk: { kind: 'status', title: 'Status', facts: STATUS_FACTS, problem: null },
  statusProblem: { kind: 'status', title: 'Status', facts: STATUS_FACTS, problem: 'Last ingest failed 3 times (MDE_FORBIDDEN: the app lacks Machine.Read.All). Data is 47 min old.' },
  helpAsked: { kind: 'help', title: 'Help', message: null, suggestion: null, commands: HELP_COMMANDS },
  helpUnknown: { kind: 'help', title: 'Help', message: 'I did not understand "isolatd [now](http://evil.example)"', suggestion: 'isolated', commands: HELP_COMMANDS },
  error: { kind: 'error', title: 'Query failed', message: 'The store could not be read (SQLITE_BUSY). Try again in a minute; if it persists, run `defender-audit-bot doctor`.', reason: 'failed' },
  errorUsage: { kind: 'error', title: 'Unknown period', message: 'I did not understand the period "last fortnight". Use 7d, 30d, "last 7 days" or "since 2026-11-01".', reason: 'usage' },
  errorLimited: { kind: 'error', title: 'Slow down', message: 'You sent 10 commands in the last minute; the limit is 10.', reason: 'limited' },
} satisfies Record<string, Reply>;

export type SampleName = keyof typeof SAMPLE_REPLIES;

/** Samples with hostile text on purpose (they may contain `${` in data). */
export const HOSTILE_SAMPLES: ReadonlySet<SampleName> = new Set(['actionsHostile', 'actionHostile', 'actionLongComment']);
