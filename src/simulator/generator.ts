/**
 * Synthetic but realistic tenant history: devices (some names reused by re-imaged devices), people
 * and apps as requestors, a realistic mix of action types with follow-ups (isolate → release),
 * outcomes (mostly Succeeded; Failed; TimeOut about 3 days after creation on offline devices;
 * Cancelled with cancellation fields) and timestamps with 1 to 7 fractional digits.
 *
 * Deterministic: the output depends only on the options, the Random stream and `nowMs` (epoch ms,
 * UTC). Actions not yet final at `nowMs` come with their planned future transitions so that the
 * tenant keeps evolving when time advances.
 */
import type { MachineAction, RelatedFileInfo } from '../core/types.js';
import {
  AUTOMATION_CANCEL_COMMENT,
  FAILURE_HRESULTS,
  HRESULT_CANCELLED,
  HRESULT_TIMEOUT,
  createTimestampFormatter,
  makeAction,
  minusOneTick,
  randomWireTimestamp,
} from './model.js';
import { createRandom, deriveSeed, type Random } from './prng.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** A device as the simulator knows it. One `computerDnsName` may belong to several machine ids. */
export interface SimMachine {
  /** 40 lower-case hex characters (not a GUID). */
  id: string;
  computerDnsName: string;
  kind: 'workstation' | 'laptop' | 'server';
  /** Whether the device currently talks to the service; actions on offline devices end in TimeOut. */
  online: boolean;
  /** Epoch ms of onboarding. */
  firstSeenMs: number;
  /** Epoch ms at which a newer machine id took over the name (re-imaged), or null if current. */
  retiredMs: number | null;
}

/** A future status change of an action, applied by the tenant when the clock reaches `atMs`. */
export interface PlannedTransition {
  /** Epoch ms. */
  atMs: number;
  status: string;
  extra?: Partial<MachineAction>;
}

export interface GenerateOptions {
  /** Distinct device names (re-imaged names add a few more machine ids). Default 60. */
  devices?: number;
  /** Days of history before now. Default 30. */
  days?: number;
  /** Average actions per day (weekends quieter). Default 40. */
  actionsPerDay?: number;
}

export interface GeneratedTenant {
  machines: SimMachine[];
  actions: MachineAction[];
  /** Future transitions of the actions not final at `nowMs`, by action id, in time order. */
  plans: Map<string, PlannedTransition[]>;
}

/** People who act in the portal: UPNs in the mixed case seen in real tenants. */
export const PEOPLE: readonly string[] = [
  'Alex.Wilber@contoso.com',
  'Megan.Bowen@contoso.com',
  'adele.vance@contoso.com',
  'Lee.Gu@contoso.com',
  'NestorW@contoso.com',
  'Isaiah.Langer@contoso.com',
  'lidia.holloway@contoso.com',
  'Patti.Fernandez@contoso.com',
  'JohannaL@contoso.com',
  'soc-tier1@contoso.com',
  'GradyA@contoso.com',
  'Diego.Siciliani@contoso.com',
];
const PEOPLE_WEIGHTS = [18, 15, 12, 10, 8, 7, 6, 5, 5, 8, 3, 3];

/** Apps that call the API: requestor is the bare lower-case application GUID. */
export const APPS: readonly { id: string; name: string }[] = [
  { id: '2f48b784-5da5-4e61-9957-012d2630f1e4', name: 'SOAR playbooks' },
  { id: '8c5a3f1e-6b2d-4e9a-a7c4-3d1f0b9e2a65', name: 'Nightly scan automation' },
  { id: 'd4e7b2a9-1c3f-4a8e-b5d6-7f9a0c2e4b18', name: 'Intune compliance remediation' },
];

const TYPES = [
  'RunAntiVirusScan',
  'Isolate',
  'RestrictCodeExecution',
  'CollectInvestigationPackage',
  'StopAndQuarantineFile',
  'LiveResponse',
  'Offboard',
] as const;
type PrimaryType = (typeof TYPES)[number];
/** Relative frequency of primary actions; Unisolate and UnrestrictCodeExecution come as follow-ups. */
const TYPE_WEIGHTS = [46, 13, 5, 11, 9, 3, 0.6];

const SERVER_ROLES = ['sql', 'web', 'dc', 'file', 'app', 'exch', 'print', 'bkp', 'iis', 'sccm'];
const DOMAIN = 'contoso.com';

const COMMENTS: Record<string, { person: readonly string[]; app: readonly string[] }> = {
  RunAntiVirusScan: {
    person: [
      'Quick Scan',
      'Full scan after malware alert',
      'Scan requested by SOC - incident #{n}',
      'AV scan: suspicious PowerShell activity',
      'Post-cleanup verification scan',
      'Run AV scan ({inc})',
    ],
    app: ['Scheduled scan by automation', 'Automated scan triggered by alert {alert}', 'Compliance remediation scan'],
  },
  Isolate: {
    person: [
      'Isolating a device to prevent access to the external network',
      'Suspected ransomware activity - incident #{n}',
      'Contain lateral movement ({inc})',
      'Isolate: C2 beaconing detected',
    ],
    app: ['Automated containment: high severity alert {alert}', 'Playbook isolation for incident #{n}'],
  },
  Unisolate: {
    person: [
      'Release from isolation: device cleaned',
      'Unisolate after reimage verification',
      'False positive confirmed - releasing',
      'Incident #{n} closed',
    ],
    app: ['Automated release after remediation', 'Playbook release for incident #{n}'],
  },
  RestrictCodeExecution: {
    person: [
      'Restrict app execution: unsigned binaries observed',
      'Restrict code execution pending investigation ({inc})',
    ],
    app: ['Automated restriction: alert {alert}'],
  },
  UnrestrictCodeExecution: {
    person: ['Remove app restriction: investigation complete', 'Lift restriction - false positive'],
    app: ['Automated removal of app restriction'],
  },
  CollectInvestigationPackage: {
    person: [
      'Collect investigation package for incident #{n}',
      'Forensics collection requested by IR',
      'Collect package: suspicious scheduled task',
    ],
    app: ['Automated evidence collection for alert {alert}'],
  },
  StopAndQuarantineFile: {
    person: [
      'Quarantine Malicious File',
      'Stop and quarantine: file flagged by threat intelligence',
      'Remove dropped payload ({inc})',
    ],
    app: ['Automated quarantine for alert {alert}'],
  },
  LiveResponse: {
    person: ['Live response: collect triage artifacts', 'Run remediation script', 'Live response for incident #{n}'],
    app: ['Automated live response triage'],
  },
  Offboard: {
    person: ['Offboarding decommissioned device', 'Device retired - offboard'],
    app: ['Automated offboarding of stale device'],
  },
};

const PERSON_CANCEL_COMMENTS = [
  'Wrong device selected',
  'Cancelled: duplicate request',
  'Not needed anymore - user called helpdesk',
];
const LIVE_RESPONSE_SCRIPTS = ['Collect-Triage.ps1', 'Remove-Persistence.ps1', 'Get-NetConnections.ps1'];

interface Requestor {
  requestor: string;
  isApp: boolean;
}

/** Generates the default tenant: machines, history and the plans of not-yet-final actions. */
export function generateTenant(options: GenerateOptions, random: Random, nowMs: number): GeneratedTenant {
  const devices = Math.max(1, Math.floor(options.devices ?? 60));
  const days = Math.max(1, options.days ?? 30);
  const perDay = Math.max(0, options.actionsPerDay ?? 40);
  const machines = generateMachines(devices, days, random.fork('machines'), nowMs);
  const count = Math.round(days * perDay);
  const plans = new Map<string, PlannedTransition[]>();
  const actions = generateHistory(count, machines, days, random.fork('history'), nowMs, plans);
  return { machines, actions, plans };
}

/**
 * Bulk generation for benchmarks: exactly `count` actions over `days` days before `nowMs`
 * (default 2025-06-01T12:00:00Z, fixed so that the output depends on the seed only).
 */
export function generateActions(
  count: number,
  options: { devices?: number; days?: number; seed?: number; nowMs?: number } = {},
): MachineAction[] {
  const random = createRandom(options.seed ?? 1);
  const nowMs = options.nowMs ?? Date.UTC(2025, 5, 1, 12);
  const days = Math.max(1, options.days ?? 30);
  const machines = generateMachines(
    Math.max(1, Math.floor(options.devices ?? 60)),
    days,
    random.fork('machines'),
    nowMs,
  );
  return generateHistory(count, machines, days, random.fork('history'), nowMs, undefined);
}

/** Device names for slot `i` of `n`: ~12 % servers, ~30 % laptops, the rest workstations. */
function slotNames(n: number): { name: string; kind: SimMachine['kind'] }[] {
  const servers = Math.max(1, Math.round(n * 0.12));
  const laptops = Math.round(n * 0.3);
  const width = n > 999 ? 4 : 3;
  const out: { name: string; kind: SimMachine['kind'] }[] = [];
  for (let i = 0; i < n; i++) {
    if (i < servers) {
      const role = SERVER_ROLES[i % SERVER_ROLES.length] ?? 'app';
      const num = String(Math.floor(i / SERVER_ROLES.length) + 1).padStart(2, '0');
      out.push({ name: `srv-${role}-${num}.${DOMAIN}`, kind: 'server' });
    } else if (i < servers + laptops) {
      out.push({ name: `lt-${1000 + i - servers}.${DOMAIN}`, kind: 'laptop' });
    } else {
      out.push({ name: `ws-${String(i - servers - laptops + 1).padStart(width, '0')}.${DOMAIN}`, kind: 'workstation' });
    }
  }
  return out;
}

function generateMachines(devices: number, days: number, random: Random, nowMs: number): SimMachine[] {
  const historyStart = nowMs - days * DAY;
  const slots = slotNames(devices);
  // Client devices (not servers) re-imaged during the history window: 1 in 20, at least one.
  const clientSlots = slots.map((s, i) => ({ ...s, i })).filter((s) => s.kind !== 'server');
  const reimaged = new Set<number>();
  const wanted = Math.min(clientSlots.length, Math.max(1, Math.round(devices / 20)));
  while (reimaged.size < wanted) reimaged.add(random.pick(clientSlots).i);
  const machines: SimMachine[] = [];
  slots.forEach((slot, i) => {
    const incarnations = reimaged.has(i) ? random.int(2, 3) : 1;
    const starts: number[] = [historyStart - random.int(30, 400) * DAY];
    for (let k = 1; k < incarnations; k++) {
      const lo = Math.max(starts[k - 1] ?? historyStart, historyStart + 0.1 * days * DAY);
      starts.push(lo + random.next() * (nowMs - DAY - lo) * 0.6);
    }
    starts.sort((a, b) => a - b);
    for (let k = 0; k < incarnations; k++) {
      const next = starts[k + 1];
      machines.push({
        id: random.hex(40),
        computerDnsName: slot.name,
        kind: slot.kind,
        online: next === undefined ? !random.chance(0.08) : false,
        firstSeenMs: Math.floor(starts[k] ?? historyStart),
        retiredMs: next === undefined ? null : Math.floor(next),
      });
    }
  });
  return machines;
}

/** The machine id that carried `slot`'s name at `t`. */
function incarnationAt(incarnations: readonly SimMachine[], t: number): SimMachine {
  let chosen = incarnations[0] as SimMachine;
  for (const m of incarnations) if (m.firstSeenMs <= t) chosen = m;
  return chosen;
}

function fillTemplate(template: string, random: Random): string {
  if (!template.includes('{')) return template;
  return template
    .replace('{n}', () => String(random.int(1000, 9999)))
    .replace('{inc}', () => `INC00${random.int(10000, 99999)}`)
    .replace(
      '{alert}',
      () =>
        `da63${random.int(10_000_000, 99_999_999)}${random.int(1000, 9999)}_${random.int(-2_000_000_000, 2_000_000_000)}`,
    );
}

function pickRequestor(random: Random, type: string): Requestor {
  const appShare = type === 'RunAntiVirusScan' ? 0.42 : type === 'Offboard' || type === 'LiveResponse' ? 0.1 : 0.25;
  if (random.chance(appShare)) {
    const app = type === 'RunAntiVirusScan' && random.chance(0.6) ? APPS[1] : random.pick(APPS);
    return { requestor: (app ?? APPS[0])?.id ?? '', isApp: true };
  }
  return { requestor: random.weighted(PEOPLE, PEOPLE_WEIGHTS), isApp: false };
}

/** Typical time from pickup to completion, in ms, by type (and scan scope). */
function runDuration(random: Random, type: string, scope: string | null): number {
  switch (type) {
    case 'RunAntiVirusScan':
      return scope === 'Full' ? random.int(20 * MINUTE, 180 * MINUTE) : random.int(MINUTE, 20 * MINUTE);
    case 'CollectInvestigationPackage':
      return random.int(2 * MINUTE, 25 * MINUTE);
    case 'LiveResponse':
      return random.int(30_000, 15 * MINUTE);
    case 'StopAndQuarantineFile':
      return random.int(10_000, 5 * MINUTE);
    case 'Offboard':
      return random.int(10_000, 10 * MINUTE);
    default:
      return random.int(5_000, 2 * MINUTE);
  }
}

function liveResponseCommands(random: Random): unknown[] {
  const n = random.int(1, 3);
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const kind = random.weighted(['RunScript', 'GetFile', 'PutFile'] as const, [5, 3, 2]);
    const params =
      kind === 'RunScript'
        ? [
            { key: 'ScriptName', value: random.pick(LIVE_RESPONSE_SCRIPTS) },
            { key: 'Args', value: '-OutputPath C:\\Temp\\triage' },
          ]
        : kind === 'GetFile'
          ? [
              {
                key: 'Path',
                value: random.pick([
                  'C:\\Windows\\Temp\\payload.exe',
                  'C:\\Users\\Public\\svc.dll',
                  'C:\\Temp\\triage.zip',
                ]),
              },
            ]
          : [{ key: 'FileName', value: random.pick(['Collect-Triage.ps1', 'autoruns.exe']) }];
    out.push({
      index: i,
      startTime: null,
      endTime: null,
      commandStatus: 'Created',
      errors: [],
      command: { type: kind, params },
    });
  }
  return out;
}

/** Commands as they look once the action ran: times set, Completed (or one Failed when the action failed). */
export function finishCommands(commands: unknown[], start: string, end: string, failed: boolean): unknown[] {
  return commands.map((c, i) => {
    const cmd = c as { index: number; command: unknown };
    const fail = failed && i === commands.length - 1;
    return {
      index: cmd.index,
      startTime: start,
      endTime: end,
      commandStatus: fail ? 'Failed' : 'Completed',
      errors: fail ? ['The command failed to run on the device'] : [],
      command: cmd.command,
    };
  });
}

/** Time of day (epoch ms) for an action on the day starting at `dayStart`: 75 % in 07:00–19:00 UTC. */
function timeInDay(random: Random, dayStart: number): number {
  return random.chance(0.75) ? dayStart + 7 * HOUR + random.next() * 12 * HOUR : dayStart + random.next() * DAY;
}

function generateHistory(
  count: number,
  machines: readonly SimMachine[],
  days: number,
  random: Random,
  nowMs: number,
  plans: Map<string, PlannedTransition[]> | undefined,
): MachineAction[] {
  const ctx: BuildContext = {
    random,
    ids: random.fork('ids'),
    stamp: createTimestampFormatter(random.fork('stamps')),
    nowMs,
  };
  const bySlot = new Map<string, SimMachine[]>();
  for (const m of machines) {
    const list = bySlot.get(m.computerDnsName);
    if (list) list.push(m);
    else bySlot.set(m.computerDnsName, [m]);
  }
  // A shuffled slot order with a skewed pick: a few devices see many actions, most see a few.
  const slots = [...bySlot.values()];
  for (let i = slots.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    const t = slots[i] as SimMachine[];
    slots[i] = slots[j] as SimMachine[];
    slots[j] = t;
  }
  // Day weights: weekends (UTC) see about a third of a weekday's activity; today only up to now.
  const todayStart = Math.floor(nowMs / DAY) * DAY;
  const dayStarts: number[] = [];
  const dayWeights: number[] = [];
  for (let k = 0; k < days; k++) {
    const start = todayStart - k * DAY;
    const weekday = new Date(start).getUTCDay();
    dayStarts.push(start);
    dayWeights.push((weekday === 0 || weekday === 6 ? 0.35 : 1) * (k === 0 ? (nowMs - todayStart) / DAY : 1));
  }
  const pickDay = random.weightedPicker(dayStarts, dayWeights);
  const pickType = random.weightedPicker(TYPES, TYPE_WEIGHTS);

  const actions: MachineAction[] = [];
  const emit = (built: Built): void => {
    actions.push(built.action);
    if (plans && built.future.length > 0) plans.set(built.action.id, built.future);
  };

  while (actions.length < count) {
    const slot = slots[Math.floor(slots.length * Math.pow(random.next(), 1.6))] ?? slots[0];
    if (!slot) break; // no devices: nothing to generate
    let created = timeInDay(random, pickDay());
    if (created >= nowMs - 1000) created = nowMs - random.int(2_000, HOUR);
    const type = pickType();
    const first = buildAction(ctx, type, incarnationAt(slot, created), created);
    emit(first);
    // Follow-ups on the same device: release an isolation / lift a restriction later.
    const follow = followUpType(type);
    if (follow && first.succeededAtMs !== null && actions.length < count && random.chance(0.72)) {
      const at = first.succeededAtMs + random.int(30 * MINUTE, 3 * DAY);
      if (at < nowMs - 1000) emit(buildAction(ctx, follow, incarnationAt(slot, at), at));
    }
  }
  return actions;
}

function followUpType(type: PrimaryType): string | undefined {
  if (type === 'Isolate') return 'Unisolate';
  if (type === 'RestrictCodeExecution') return 'UnrestrictCodeExecution';
  return undefined;
}

interface BuildContext {
  random: Random;
  /** Separate stream for ids, so that ids do not shift when other draws change. */
  ids: Random;
  stamp: (ms: number) => string;
  nowMs: number;
}

interface Built {
  action: MachineAction;
  /** Transitions after `nowMs`, in time order. */
  future: PlannedTransition[];
  /** When the action succeeded (epoch ms), for follow-ups; null otherwise. */
  succeededAtMs: number | null;
}

const NO_FUTURE: PlannedTransition[] = [];

/**
 * One action created at `createdMs`, with its whole life planned, then cut at `nowMs`: events up to
 * now are reflected in the fields, later ones are returned as `future`. Written without object
 * spreads: this runs a million times for the benchmark.
 */
function buildAction(ctx: BuildContext, type: string, machine: SimMachine, createdMs: number): Built {
  const { random, nowMs } = ctx;
  const who = pickRequestor(random, type);
  const templates = COMMENTS[type] ?? { person: ['Requested by analyst'], app: ['Requested by automation'] };
  const comment = fillTemplate(random.pick(who.isApp ? templates.app : templates.person), random);
  const requestSource = who.isApp ? 'PublicApi' : random.chance(0.08) ? 'PublicApi' : 'Portal';
  const scope =
    type === 'Isolate'
      ? random.chance(0.75)
        ? 'Full'
        : 'Selective'
      : type === 'RunAntiVirusScan'
        ? random.chance(0.7)
          ? 'Quick'
          : 'Full'
        : null;
  let relatedFileInfo: RelatedFileInfo | null = null;
  if (type === 'StopAndQuarantineFile') {
    relatedFileInfo = random.chance(0.85)
      ? { fileIdentifier: random.hex(40), fileIdentifierType: 'Sha1' }
      : { fileIdentifier: random.hex(64), fileIdentifierType: 'Sha256' };
  }
  const commands = type === 'LiveResponse' ? liveResponseCommands(random) : [];

  // Plan the life: pickup, then an outcome. Offline devices never pick up and time out ~3 days later.
  const offline = (!machine.online && machine.retiredMs === null && createdMs > nowMs - 5 * DAY) || random.chance(0.04);
  const pickupMs = createdMs + random.int(3_000, 3 * MINUTE);
  let finalMs: number;
  let finalStatus: string;
  if (offline) {
    finalStatus = 'TimeOut';
    finalMs = createdMs + 3 * DAY + random.int(0, 20 * MINUTE);
  } else {
    const run = runDuration(random, type, scope);
    const r = random.next();
    finalStatus = r < 0.03 ? 'Cancelled' : r < 0.09 ? 'Failed' : 'Succeeded';
    finalMs =
      finalStatus === 'Cancelled'
        ? createdMs + random.int(20_000, Math.max(30_000, pickupMs - createdMs + run))
        : pickupMs + run;
  }
  const hasPickup = !offline && !(finalStatus === 'Cancelled' && finalMs <= pickupMs);
  if (hasPickup) finalMs = Math.max(finalMs, pickupMs + 1000);
  else finalMs = Math.max(finalMs, createdMs + 1000);

  const creation = ctx.stamp(createdMs);
  const id = ctx.ids.uuid();
  const succeededAtMs = finalStatus === 'Succeeded' ? finalMs : null;

  // Outcome fields.
  let errorHResult = 0;
  let cancellationRequestor: string | null = null;
  let cancellationComment: string | null = null;
  if (finalStatus === 'Failed') errorHResult = random.pick(FAILURE_HRESULTS);
  else if (finalStatus === 'TimeOut') errorHResult = HRESULT_TIMEOUT;
  else if (finalStatus === 'Cancelled') {
    const byAutomation = who.isApp || random.chance(0.4);
    errorHResult = HRESULT_CANCELLED;
    cancellationRequestor = who.isApp || !byAutomation ? who.requestor : (APPS[0] as { id: string }).id;
    cancellationComment = byAutomation ? AUTOMATION_CANCEL_COMMENT : random.pick(PERSON_CANCEL_COMMENTS);
  }

  if (finalMs <= nowMs) {
    const pickup = hasPickup ? ctx.stamp(pickupMs) : creation;
    const final = ctx.stamp(finalMs);
    const finished =
      type === 'LiveResponse' && (finalStatus === 'Succeeded' || finalStatus === 'Failed')
        ? finishCommands(commands, pickup, final, finalStatus === 'Failed')
        : commands;
    const action = makeAction({
      id,
      type,
      requestor: who.requestor,
      requestorComment: comment,
      status: finalStatus,
      machineId: machine.id,
      computerDnsName: machine.computerDnsName,
      creationDateTimeUtc: creation,
      lastUpdateDateTimeUtc: final,
      cancellationRequestor,
      cancellationComment,
      cancellationDateTimeUtc: finalStatus === 'Cancelled' ? minusOneTick(final) : null,
      errorHResult,
      scope,
      requestSource,
      relatedFileInfo,
      commands: finished,
    });
    return { action, future: NO_FUTURE, succeededAtMs };
  }

  // Not final yet: the remaining steps become the plan; the tenant fills in the final fields then.
  const finalExtra: Partial<MachineAction> = { errorHResult, computerDnsName: machine.computerDnsName };
  if (cancellationRequestor !== null) {
    finalExtra.cancellationRequestor = cancellationRequestor;
    finalExtra.cancellationComment = cancellationComment;
  }
  const finalStep: PlannedTransition = { atMs: finalMs, status: finalStatus, extra: finalExtra };
  const inProgress = hasPickup && pickupMs <= nowMs;
  const lastUpdate = inProgress ? ctx.stamp(pickupMs) : creation;
  const action = makeAction({
    id,
    type,
    requestor: who.requestor,
    requestorComment: comment,
    status: inProgress ? 'InProgress' : 'Pending',
    machineId: machine.id,
    // App-created actions often have no device name until the device picks them up (XSOAR sample).
    computerDnsName: !inProgress && who.isApp && random.chance(0.5) ? null : machine.computerDnsName,
    creationDateTimeUtc: creation,
    lastUpdateDateTimeUtc: lastUpdate,
    scope,
    requestSource,
    relatedFileInfo,
    commands,
  });
  const future: PlannedTransition[] =
    inProgress || !hasPickup
      ? [finalStep]
      : [{ atMs: pickupMs, status: 'InProgress', extra: { computerDnsName: machine.computerDnsName } }, finalStep];
  return { action, future, succeededAtMs };
}

/**
 * The Machine entity of `GET /api/machines/{id}` (key order of a live response; fields per the
 * reference, section 7.1). Details are derived from the machine id and the seed, so they are stable
 * across calls; `lastSeen` follows `nowMs` for online devices.
 */
export function describeMachine(m: SimMachine, seed: number, nowMs: number): Record<string, unknown> {
  const r = createRandom(deriveSeedFor(seed, m.id));
  const os =
    m.kind === 'server'
      ? r.pick([
          { osPlatform: 'WindowsServer2022', version: '21H2', osBuild: 20348 },
          { osPlatform: 'WindowsServer2019', version: '1809', osBuild: 17763 },
        ])
      : r.pick([
          { osPlatform: 'Windows11', version: '23H2', osBuild: 22631 },
          { osPlatform: 'Windows11', version: '22H2', osBuild: 22621 },
          { osPlatform: 'Windows10', version: '22H2', osBuild: 19045 },
        ]);
  const ip = `10.${r.int(1, 40)}.${r.int(0, 255)}.${r.int(2, 254)}`;
  const mac = r.hex(12).toUpperCase();
  const lastSeenMs = m.retiredMs ?? (m.online ? nowMs - r.int(10_000, 15 * MINUTE) : nowMs - r.int(2 * DAY, 9 * DAY));
  const stamp = (ms: number): string => randomWireTimestamp(ms, r);
  return {
    id: m.id,
    mergedIntoMachineId: null,
    isPotentialDuplication: false,
    isExcluded: false,
    exclusionReason: null,
    computerDnsName: m.computerDnsName,
    firstSeen: stamp(m.firstSeenMs),
    lastSeen: stamp(lastSeenMs),
    osPlatform: os.osPlatform,
    osVersion: null,
    osProcessor: 'x64',
    version: os.version,
    lastIpAddress: ip,
    lastExternalIpAddress: `203.0.113.${r.int(1, 254)}`,
    agentVersion: `10.8760.${os.osBuild}.${r.int(1000, 4999)}`,
    osBuild: os.osBuild,
    healthStatus: m.retiredMs !== null || !m.online ? 'Inactive' : 'Active',
    deviceValue: m.kind === 'server' ? 'High' : 'Normal',
    rbacGroupId: m.kind === 'server' ? 1001 : 1002,
    rbacGroupName: m.kind === 'server' ? 'Servers' : 'Workstations',
    riskScore: r.weighted(['None', 'Informational', 'Low', 'Medium', 'High'], [10, 10, 40, 30, 10]),
    exposureLevel: r.weighted(['Low', 'Medium', 'High'], [40, 45, 15]),
    isAadJoined: m.kind !== 'server',
    aadDeviceId: m.kind !== 'server' ? r.uuid() : null,
    machineTags: m.kind === 'server' ? ['Tier0'] : [],
    defenderAvStatus: 'Updated',
    onboardingStatus: 'Onboarded',
    osArchitecture: '64-bit',
    managedBy: m.kind === 'server' ? 'MicrosoftDefenderForEndpoint' : 'Intune',
    managedByStatus: 'Success',
    ipAddresses: [
      { ipAddress: ip, macAddress: mac, type: 'Ethernet', operationalStatus: 'Up' },
      { ipAddress: '127.0.0.1', macAddress: null, type: 'SoftwareLoopback', operationalStatus: 'Up' },
    ],
    vmMetadata: null,
  };
}

function deriveSeedFor(seed: number, label: string): number {
  return deriveSeed(seed, `machine:${label}`);
}

/** A new action request as live activity makes it: who asks, why, and the type-specific fields. */
export function randomActionRequest(
  random: Random,
  machine: SimMachine,
): {
  machineId: string;
  type: string;
  requestor: string;
  comment: string;
  scope: string | null;
  computerDnsName: string | null | undefined;
  requestSource: string;
  relatedFileInfo: RelatedFileInfo | null;
  commands: unknown[];
} {
  const type = random.weighted(
    [...TYPES, 'Unisolate', 'UnrestrictCodeExecution'],
    [...TYPE_WEIGHTS.slice(0, -1), 0, 6, 2],
  );
  const who = pickRequestor(random, type);
  const templates = COMMENTS[type] ?? { person: ['Requested by analyst'], app: ['Requested by automation'] };
  const scope =
    type === 'Isolate'
      ? random.chance(0.75)
        ? 'Full'
        : 'Selective'
      : type === 'RunAntiVirusScan'
        ? random.chance(0.7)
          ? 'Quick'
          : 'Full'
        : null;
  return {
    machineId: machine.id,
    type,
    requestor: who.requestor,
    comment: fillTemplate(random.pick(who.isApp ? templates.app : templates.person), random),
    scope,
    // App-created actions often have no device name until pickup; undefined = the device's name.
    computerDnsName: who.isApp && random.chance(0.5) ? null : undefined,
    requestSource: who.isApp ? 'PublicApi' : 'Portal',
    relatedFileInfo:
      type === 'StopAndQuarantineFile' ? { fileIdentifier: random.hex(40), fileIdentifierType: 'Sha1' } : null,
    commands: type === 'LiveResponse' ? liveResponseCommands(random) : [],
  };
}
