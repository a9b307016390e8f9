/**
 * The in-memory tenant: machine actions, machines, the planned lifecycle of actions that are not
 * final yet, and the sorted indexes that make paging cheap.
 *
 * Invariants:
 * - Every change the simulator makes (create, transition, step) stamps `lastUpdateDateTimeUtc` with
 *   a value strictly greater than every stamp it made before and than every lastUpdate of the
 *   initial data (generated or dataset). When the clock has not moved, the stamp advances in
 *   sub-millisecond (100 ns) ticks. `put` stores its argument verbatim and does not move this floor.
 * - The two indexes hold every entry sorted ascending by (normalised date, id). They are kept
 *   incrementally when a change appends at the end (the normal case, thanks to the invariant above)
 *   and rebuilt lazily on the next query otherwise.
 */
import type { Clock } from '../core/clock.js';
import { millisToTimestamp, toWireTimestamp } from '../core/timestamps.js';
import { isFinalStatus, type MachineAction } from '../core/types.js';
import { finishCommands, type PlannedTransition, type SimMachine } from './generator.js';
import {
  AUTOMATION_CANCEL_COMMENT,
  FAILURE_HRESULTS,
  HRESULT_CANCELLED,
  HRESULT_TIMEOUT,
  makeAction,
  minusOneTick,
  timestampKey,
} from './model.js';
import {
  compileFilter,
  isDateField,
  MAX_TOP,
  planRange,
  type DateField,
  type FilterRow,
  type OrderBy,
  type ParsedQuery,
} from './odata.js';
import type { Random } from './prng.js';
import type { CreateActionInput, LifecycleOptions, SimulatorTenant } from './types.js';

class Entry implements FilterRow {
  constructor(
    public action: MachineAction,
    public created: string,
    public updated: string,
  ) {}
}

/** Entries sorted ascending by (key, id). */
class SortedIndex {
  private arr: Entry[] = [];
  private dirty = true;

  constructor(
    private readonly key: (e: Entry) => string,
    private readonly source: () => Iterable<Entry>,
  ) {}

  rows(): Entry[] {
    if (this.dirty) {
      const key = this.key;
      this.arr = [...this.source()].sort((x, y) => compareKeyId(key(x), x.action.id, key(y), y.action.id));
      this.dirty = false;
    }
    return this.arr;
  }

  invalidate(): void {
    this.dirty = true;
    this.arr = [];
  }

  /** Called after `e` got its current key; appends when it sorts last, else invalidates. */
  add(e: Entry): void {
    if (this.dirty) return;
    const last = this.arr[this.arr.length - 1];
    if (!last || compareKeyId(this.key(last), last.action.id, this.key(e), e.action.id) <= 0) this.arr.push(e);
    else this.invalidate();
  }

  /** Removes `e`, which is stored under `oldKey` (its key before the change). */
  remove(e: Entry, oldKey: string, oldId: string): void {
    if (this.dirty) return;
    let lo = 0;
    let hi = this.arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.arr[mid] as Entry;
      if (compareKeyId(this.key(m), m.action.id, oldKey, oldId) < 0) lo = mid + 1;
      else hi = mid;
    }
    if (this.arr[lo] === e) this.arr.splice(lo, 1);
    else this.invalidate();
  }

  /** First index whose key is ≥ value (inclusive) or > value (exclusive). */
  lowerBound(value: string, inclusive: boolean): number {
    const arr = this.rows();
    let lo = 0;
    let hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const k = this.key(arr[mid] as Entry);
      if (inclusive ? k < value : k <= value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function compareKeyId(ka: string, ia: string, kb: string, ib: string): number {
  if (ka < kb) return -1;
  if (ka > kb) return 1;
  return ia < ib ? -1 : ia > ib ? 1 : 0;
}

export interface TenantInit {
  clock: Clock;
  random: Random;
  /** The devices; 'derive' makes one per machineId of `actions` (dataset mode), all online. */
  machines: SimMachine[] | 'derive';
  actions: MachineAction[];
  plans?: Map<string, PlannedTransition[]>;
  lifecycle?: LifecycleOptions;
  /** Requestor of actions created without one (the simulator's client id). */
  defaultRequestor: string;
}

export interface QueryResult {
  rows: MachineAction[];
  /** More rows match beyond this page (only computed when `$top` is absent). */
  more: boolean;
}

/** The tenant plus what the HTTP layer needs; `SimulatorTenant` is the part tests use. */
export interface Tenant extends SimulatorTenant {
  query(q: ParsedQuery): QueryResult;
  /** The stored object itself (no copy), for serialisation. */
  ref(id: string): MachineAction | undefined;
  findMachine(idOrName: string): SimMachine | undefined;
  /** Whether the device has a Pending/InProgress action of this type. */
  hasActiveAction(machineId: string, type: string): boolean;
  /** Machines that can receive new actions (not retired by a re-image). */
  currentMachines(): SimMachine[];
}

const DEFAULT_LIFECYCLE: Required<LifecycleOptions> = {
  pickupMs: [2_000, 15_000],
  runMs: [5_000, 45_000],
  timeoutMs: 120_000,
  failureRate: 0.1,
};

export function createTenant(init: TenantInit): Tenant {
  const { clock, random } = init;
  const ids = random.fork('ids');
  const lifecycleRandom = random.fork('lifecycle');
  const stampRandom = random.fork('stamps');
  const lifecycle = { ...DEFAULT_LIFECYCLE, ...init.lifecycle };

  const entries = new Map<string, Entry>();
  const nonFinal = new Set<string>();
  const plans = new Map<string, PlannedTransition[]>(init.plans ?? []);
  const byCreated = new SortedIndex(
    (e) => e.created,
    () => entries.values(),
  );
  const byUpdated = new SortedIndex(
    (e) => e.updated,
    () => entries.values(),
  );

  const machinesById = new Map<string, SimMachine>();
  const machinesByName = new Map<string, SimMachine>();
  const rememberMachine = (m: SimMachine): void => {
    machinesById.set(m.id, m);
    if (m.computerDnsName === '') return;
    // A name resolves to its current device: not retired, else the most recently onboarded one.
    for (const name of [m.computerDnsName.toLowerCase(), m.computerDnsName.toLowerCase().split('.')[0] ?? '']) {
      const prev = machinesByName.get(name);
      const better =
        !prev ||
        (prev.retiredMs !== null && m.retiredMs === null) ||
        ((prev.retiredMs === null) === (m.retiredMs === null) && m.firstSeenMs > prev.firstSeenMs);
      if (better) machinesByName.set(name, m);
    }
  };

  // Stamp floor: (ms, 100-ns ticks within the ms).
  let floorMs = Number.NEGATIVE_INFINITY;
  let floorSub = 0;
  const raiseFloor = (normalized: string): void => {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/.test(normalized)) return; // malformed dataset value
    const ms = Date.parse(normalized.slice(0, 23) + 'Z');
    const sub = Number(normalized.slice(23, 27));
    if (ms > floorMs || (ms === floorMs && sub > floorSub)) {
      floorMs = ms;
      floorSub = sub;
    }
  };
  const nextStamp = (): string => {
    const now = clock.now();
    let ms: number;
    let sub: number;
    if (now > floorMs) {
      ms = now;
      sub = stampRandom.int(0, 9999);
    } else {
      ms = floorMs;
      sub = floorSub + stampRandom.int(1, 9);
      if (sub > 9999) {
        ms += 1;
        sub -= 10_000;
      }
    }
    floorMs = ms;
    floorSub = sub;
    return toWireTimestamp(millisToTimestamp(ms, sub));
  };

  const track = (a: MachineAction): void => {
    if (isFinalStatus(a.status)) nonFinal.delete(a.id);
    else nonFinal.add(a.id);
  };

  const insert = (a: MachineAction): Entry => {
    const e = new Entry(a, timestampKey(a.creationDateTimeUtc), timestampKey(a.lastUpdateDateTimeUtc));
    entries.set(a.id, e);
    track(a);
    return e;
  };

  for (const a of init.actions) {
    if (entries.has(a.id)) throw new Error(`duplicate machine action id ${a.id}`);
    raiseFloor(insert(a).updated);
  }
  (init.machines === 'derive' ? deriveMachines(entries.values()) : init.machines).forEach(rememberMachine);

  /** Replaces the stored action, keeping indexes and the active set in step. */
  const replace = (e: Entry, next: MachineAction): void => {
    const oldUpdated = e.updated;
    const oldCreated = e.created;
    const oldId = e.action.id;
    e.action = next;
    e.updated = timestampKey(next.lastUpdateDateTimeUtc);
    e.created = timestampKey(next.creationDateTimeUtc);
    if (e.updated !== oldUpdated) {
      byUpdated.remove(e, oldUpdated, oldId);
      byUpdated.add(e);
    }
    if (e.created !== oldCreated) {
      byCreated.remove(e, oldCreated, oldId);
      byCreated.add(e);
    }
    track(next);
  };

  const newId = (): string => {
    for (;;) {
      const id = ids.uuid();
      if (!entries.has(id)) return id;
    }
  };

  const uniform = (range: [number, number]): number =>
    lifecycleRandom.int(Math.min(range[0], range[1]), Math.max(range[0], range[1]));

  const applyTransition = (id: string, status: string, extra: Partial<MachineAction> | undefined): MachineAction => {
    const e = entries.get(id);
    if (!e) throw new Error(`unknown machine action ${id}`);
    const old = e.action;
    const stamp = nextStamp();
    const changes: Partial<MachineAction> = { status, lastUpdateDateTimeUtc: stamp };
    if (old.computerDnsName === null && status !== 'Pending') {
      const m = machinesById.get(old.machineId);
      if (m) changes.computerDnsName = m.computerDnsName;
    }
    if (status === 'Succeeded') changes.errorHResult = 0;
    if (status === 'Failed') changes.errorHResult = FAILURE_HRESULTS[0];
    if (status === 'TimeOut') changes.errorHResult = HRESULT_TIMEOUT;
    if (status === 'Cancelled') {
      changes.errorHResult = HRESULT_CANCELLED;
      changes.cancellationRequestor = init.defaultRequestor;
      changes.cancellationComment = AUTOMATION_CANCEL_COMMENT;
    }
    if (old.type === 'LiveResponse' && (status === 'Succeeded' || status === 'Failed') && Array.isArray(old.commands)) {
      changes.commands = finishCommands(old.commands, old.lastUpdateDateTimeUtc, stamp, status === 'Failed');
    }
    const merged: MachineAction = { ...old, ...changes, ...extra };
    if (status === 'Cancelled' && extra?.cancellationDateTimeUtc === undefined) {
      merged.cancellationDateTimeUtc = minusOneTick(merged.lastUpdateDateTimeUtc);
    }
    replace(e, merged);
    return merged;
  };

  const copy = (a: MachineAction): MachineAction => structuredClone(a);

  const tenant: Tenant = {
    all() {
      return [...entries.values()].map((e) => copy(e.action));
    },
    get(id) {
      const a = tenant.ref(id);
      return a ? copy(a) : undefined;
    },
    ref(id) {
      return (entries.get(id) ?? entries.get(id.toLowerCase()))?.action;
    },
    size() {
      return entries.size;
    },
    create(input: CreateActionInput) {
      const stamp = nextStamp();
      const machine = machinesById.get(input.machineId);
      const requestor = input.requestor ?? init.defaultRequestor;
      const action = makeAction({
        id: newId(),
        type: input.type,
        requestor,
        requestorComment: input.comment ?? '',
        status: 'Pending',
        machineId: input.machineId,
        computerDnsName:
          input.computerDnsName !== undefined ? input.computerDnsName : (machine?.computerDnsName ?? null),
        creationDateTimeUtc: stamp,
        lastUpdateDateTimeUtc: stamp,
        scope: input.scope ?? null,
        requestSource: input.requestSource ?? (requestor.includes('@') ? 'Portal' : 'PublicApi'),
        relatedFileInfo: input.relatedFileInfo ?? null,
        commands: input.commands ?? [],
      });
      const e = insert(action);
      byCreated.add(e);
      byUpdated.add(e);
      // Plan the life of the action on the simulator's clock.
      const now = clock.now();
      if (machine && !machine.online) {
        plans.set(action.id, [{ atMs: now + lifecycle.timeoutMs, status: 'TimeOut' }]);
      } else {
        const pickupAt = now + uniform(lifecycle.pickupMs);
        const finalAt = pickupAt + uniform(lifecycle.runMs);
        const failed = lifecycleRandom.chance(lifecycle.failureRate);
        plans.set(action.id, [
          { atMs: pickupAt, status: 'InProgress' },
          { atMs: finalAt, status: failed ? 'Failed' : 'Succeeded' },
        ]);
      }
      return copy(action);
    },
    transition(id, status, extra) {
      const result = applyTransition(id, status, extra);
      // A change from outside the plan supersedes it: final → no more steps; else drop the step to this status.
      const plan = plans.get(id);
      if (plan) {
        if (isFinalStatus(status)) plans.delete(id);
        else {
          const rest = plan.filter((p) => p.status !== status);
          if (rest.length > 0) plans.set(id, rest);
          else plans.delete(id);
        }
      }
      return copy(result);
    },
    put(action) {
      const existing = entries.get(action.id);
      plans.delete(action.id);
      if (existing) {
        replace(existing, action);
      } else {
        const e = insert(action);
        byCreated.add(e);
        byUpdated.add(e);
      }
    },
    step() {
      const now = clock.now();
      const changed: MachineAction[] = [];
      // Apply due transitions one at a time, earliest planned first (ties by id), until none is due.
      for (;;) {
        let bestId: string | undefined;
        let best: PlannedTransition | undefined;
        for (const [id, plan] of plans) {
          const head = plan[0];
          if (!head || head.atMs > now) continue;
          if (!best || head.atMs < best.atMs || (head.atMs === best.atMs && id < (bestId ?? ''))) {
            best = head;
            bestId = id;
          }
        }
        if (!best || bestId === undefined) break;
        const plan = plans.get(bestId) as PlannedTransition[];
        plan.shift();
        if (plan.length === 0) plans.delete(bestId);
        if (!entries.has(bestId)) continue;
        changed.push(copy(applyTransition(bestId, best.status, best.extra)));
        if (isFinalStatus(best.status)) plans.delete(bestId);
      }
      return changed;
    },
    machines() {
      return [...machinesById.values()].map((m) => ({ id: m.id, computerDnsName: m.computerDnsName }));
    },
    currentMachines() {
      return [...machinesById.values()].filter((m) => m.retiredMs === null);
    },
    findMachine(idOrName) {
      return (
        machinesById.get(idOrName) ??
        machinesById.get(idOrName.toLowerCase()) ??
        machinesByName.get(idOrName.toLowerCase())
      );
    },
    hasActiveAction(machineId, type) {
      for (const id of nonFinal) {
        const a = entries.get(id)?.action;
        if (a && a.machineId === machineId && a.type === type) return true;
      }
      return false;
    },
    query(q) {
      return runQuery(q);
    },
  };

  const runQuery = (q: ParsedQuery): QueryResult => {
    const order: OrderBy[] = q.orderBy.length > 0 ? q.orderBy : [{ field: 'creationDateTimeUtc', direction: 'desc' }];
    const limit = q.top ?? MAX_TOP;
    const wantMore = q.top === undefined;
    const first = order[0] as OrderBy;
    if (order.length === 1 && isDateField(first.field)) {
      const plan = planRange(q.filter, first.field);
      if (plan.idEquals === undefined) {
        return indexedQuery(first.field, first.direction, plan, q.skip, limit, wantMore);
      }
    }
    return genericQuery(q, order, limit, wantMore);
  };

  const indexedQuery = (
    field: DateField,
    direction: 'asc' | 'desc',
    plan: ReturnType<typeof planRange>,
    skip: number,
    limit: number,
    wantMore: boolean,
  ): QueryResult => {
    const index = field === 'creationDateTimeUtc' ? byCreated : byUpdated;
    const arr = index.rows();
    const lo = plan.lower ? index.lowerBound(plan.lower.value, plan.lower.inclusive) : 0;
    const hi = plan.upper ? index.lowerBound(plan.upper.value, !plan.upper.inclusive) : arr.length;
    const rows: MachineAction[] = [];
    if (hi <= lo) return { rows, more: false };
    if (!plan.residual) {
      // Every row in [lo, hi) matches: slice directly, O(page).
      const total = hi - lo;
      const take = Math.max(0, Math.min(limit, total - skip));
      for (let k = 0; k < take; k++) {
        const i = direction === 'asc' ? lo + skip + k : hi - 1 - skip - k;
        rows.push((arr[i] as Entry).action);
      }
      return { rows, more: wantMore && total - skip > limit };
    }
    const pred = compileFilter(plan.residual);
    let skipped = 0;
    let more = false;
    const n = hi - lo;
    for (let k = 0; k < n; k++) {
      const e = arr[direction === 'asc' ? lo + k : hi - 1 - k] as Entry;
      if (!pred(e)) continue;
      if (skipped < skip) {
        skipped++;
        continue;
      }
      if (rows.length < limit) {
        rows.push(e.action);
        continue;
      }
      more = true;
      break;
    }
    return { rows, more: wantMore && more };
  };

  const genericQuery = (q: ParsedQuery, order: OrderBy[], limit: number, wantMore: boolean): QueryResult => {
    const pred = q.filter ? compileFilter(q.filter) : () => true;
    const idPlan = q.filter ? planRange(q.filter, 'creationDateTimeUtc').idEquals : undefined;
    let candidates: Entry[];
    if (idPlan !== undefined) {
      // id comparisons are case-insensitive; stored ids are normally lower case.
      const e = entries.get(idPlan) ?? entries.get(idPlan.toLowerCase());
      candidates = e ? [e] : [...entries.values()].filter((x) => x.action.id.toLowerCase() === idPlan.toLowerCase());
    } else {
      candidates = [...entries.values()];
    }
    const matched = candidates.filter(pred);
    const keyOf = (e: Entry, o: OrderBy): string | null => {
      if (o.field === 'creationDateTimeUtc') return e.created;
      if (o.field === 'lastUpdateDateTimeUtc') return e.updated;
      const v = e.action[o.field];
      return typeof v === 'string' ? v : null;
    };
    const tieDesc = (order[0] as OrderBy).direction === 'desc';
    matched.sort((x, y) => {
      for (const o of order) {
        const a = keyOf(x, o);
        const b = keyOf(y, o);
        let c = 0;
        if (a === null || b === null) c = a === b ? 0 : a === null ? -1 : 1;
        else if (isDateField(o.field)) c = a < b ? -1 : a > b ? 1 : 0;
        else {
          const la = a.toLowerCase();
          const lb = b.toLowerCase();
          c = la < lb ? -1 : la > lb ? 1 : a < b ? -1 : a > b ? 1 : 0;
        }
        if (c !== 0) return o.direction === 'desc' ? -c : c;
      }
      const c = x.action.id < y.action.id ? -1 : x.action.id > y.action.id ? 1 : 0;
      return tieDesc ? -c : c;
    });
    const page = matched.slice(q.skip, q.skip + limit).map((e) => e.action);
    return { rows: page, more: wantMore && matched.length - q.skip > limit };
  };

  return tenant;
}

/**
 * Machines implied by actions (dataset mode): one per machineId, named after its latest non-null
 * computerDnsName, first seen 30 days before its first action, online.
 */
function deriveMachines(entries: Iterable<Entry>): SimMachine[] {
  const byId = new Map<string, { name: string | null; at: string; first: string }>();
  for (const e of entries) {
    const a = e.action;
    if (typeof a.machineId !== 'string') continue;
    const prev = byId.get(a.machineId);
    if (!prev) {
      byId.set(a.machineId, { name: a.computerDnsName, at: e.updated, first: e.created });
      continue;
    }
    if (e.created < prev.first) prev.first = e.created;
    if (a.computerDnsName !== null && (prev.name === null || e.updated > prev.at)) {
      prev.name = a.computerDnsName;
      prev.at = e.updated;
    }
  }
  return [...byId].map(([id, info]): SimMachine => {
    const firstMs = Date.parse(info.first.slice(0, 19) + 'Z');
    return {
      id,
      computerDnsName: typeof info.name === 'string' ? info.name : '',
      kind: /^srv/i.test(info.name ?? '') ? 'server' : 'workstation',
      online: true,
      firstSeenMs: Number.isFinite(firstMs) ? firstMs - 30 * 86_400_000 : 0,
      retiredMs: null,
    };
  });
}

/** Default lifecycle durations (exported for documentation and tests). */
export const DEFAULT_LIFECYCLE_OPTIONS: Readonly<Required<LifecycleOptions>> = DEFAULT_LIFECYCLE;
