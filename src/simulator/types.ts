/**
 * Public types of the MDE API simulator (see index.ts for `createSimulator`).
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { MachineAction, RelatedFileInfo } from '../core/types.js';

/** Durations of the simulated action lifecycle for actions created while the simulator runs. */
export interface LifecycleOptions {
  /** Delay from creation (Pending) to InProgress, ms, drawn uniformly from [min, max]. Default [2000, 15000]. */
  pickupMs?: [number, number];
  /** Delay from InProgress to the final status, ms, drawn uniformly from [min, max]. Default [5000, 45000]. */
  runMs?: [number, number];
  /** Pending actions on offline devices end in TimeOut after this many ms. Default 120000 (real service: ~3 days). */
  timeoutMs?: number;
  /** Share of picked-up actions that end Failed instead of Succeeded, 0..1. Default 0.1. */
  failureRate?: number;
}

export interface SimulatorOptions {
  /** Default systemClock; all simulated times come from it (TLS certificate validity excepted: real time). */
  clock?: Clock;
  /** Default silentLogger. */
  logger?: Logger;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default 1; everything random is derived from it. */
  seed?: number;
  /**
   * When given: serve exactly these objects (no generated history), byte-for-byte field values. The
   * objects are not copied; the simulator never mutates them (changes replace them), and the caller
   * must not mutate them afterwards either.
   */
  dataset?: MachineAction[] | undefined;
  /** Default tenant when no dataset: 60 devices, 30 days, ~40 actions/day. */
  generate?: { devices?: number; days?: number; actionsPerDay?: number };
  /** Defaults: tenant '00000000-0000-0000-0000-000000000001', client '11111111-1111-1111-1111-111111111111', secret derived from the seed. */
  credentials?: { tenantId: string; clientId: string; clientSecret: string };
  /** Application roles in issued tokens; default ['Machine.Read.All']. */
  roles?: string[];
  /** Default 3599. */
  tokenLifetimeSeconds?: number;
  /** Default {perMinute: 100, perHour: 1500} per API; false disables throttling. */
  throttle?: { perMinute: number; perHour: number } | false;
  /** Random fault injection (probabilities), drawn from the seeded PRNG. */
  faults?: FaultSpec;
  /** Emulate a tenant that rejects $filter/$orderby on lastUpdateDateTimeUtc (400 OData error). */
  rejectLastUpdateFilter?: boolean;
  /** PEM; default: a self-signed certificate for 127.0.0.1/localhost made at start-up. */
  tls?: { cert: string; key: string };
  /** Lifecycle durations of actions created after start (POSTs, `tenant.create`, live activity). */
  lifecycle?: LifecycleOptions;
}

export interface SimulatorEndpoint {
  /** 'https://127.0.0.1:<port>' (MDE_API_BASE_URL). */
  baseUrl: string;
  /** Same origin (MDE_AUTHORITY_HOST). */
  authorityHost: string;
  /** The certificate a client must trust. */
  caCertPem: string;
  /** MDE_API_BASE_URL, MDE_AUTHORITY_HOST, MDE_TENANT_ID, MDE_CLIENT_ID, SECRET_MDE_CLIENT_SECRET, MDE_CA_CERT_FILE (when a file was written). */
  env: Record<string, string>;
}

export interface SimulatorStats {
  /** Requests to the token endpoint. */
  tokenRequests: number;
  /** Requests under /api/ (all outcomes). */
  apiCalls: number;
  /** GET /api/machineactions calls that were evaluated (reached the data). */
  listCalls: number;
  /** 429 responses produced by the throttle (not by fault injection). */
  throttled: number;
  /** Scripted and random faults applied. */
  faultsInjected: number;
}

export interface LiveOptions {
  /** Interval between lifecycle steps and arrivals, ms of the simulator's clock. Default 1000. */
  tickMs?: number;
  /** Average number of new actions per minute. Default 6. */
  newActionsPerMinute?: number;
}

export interface Simulator {
  /** When caCertFile is given, writes caCertPem there (mode 0644) and includes MDE_CA_CERT_FILE in env. */
  start(options?: { caCertFile?: string }): Promise<SimulatorEndpoint>;
  /** Closes the server and all sockets, stops live timers. */
  stop(): Promise<void>;
  readonly tenant: SimulatorTenant;
  readonly stats: SimulatorStats;
  /** Scripted faults applied to the next API requests in order (token requests excluded). */
  readonly faults: { enqueue(f: ScriptedFault): void; clear(): void };
  hooks: { beforeList?: (query: URLSearchParams, callIndex: number) => void };
  startLive(options?: LiveOptions): void;
  stopLive(): void;
}

export type ScriptedFault =
  | { kind: 'status'; status: number; retryAfterSeconds?: number; body?: string }
  | { kind: 'malformed' }
  | { kind: 'drop' }
  | { kind: 'slow'; ms: number };

/** Probabilities 0..1 per API request, drawn from the seeded PRNG; `slowMs` is the delay of slow responses (default 2000). */
export interface FaultSpec {
  rate429?: number;
  rate5xx?: number;
  rateSlow?: number;
  slowMs?: number;
  rateMalformed?: number;
  rateDrop?: number;
}

export interface CreateActionInput {
  machineId: string;
  type: string;
  requestor?: string;
  comment?: string;
  scope?: string | null;
  computerDnsName?: string | null;
  requestSource?: string;
  /** StopAndQuarantineFile only. */
  relatedFileInfo?: RelatedFileInfo | null;
  /** LiveResponse only. */
  commands?: unknown[];
}

export interface SimulatorTenant {
  /** Snapshot copies, wire format. */
  all(): MachineAction[];
  get(id: string): MachineAction | undefined;
  size(): number;
  /** Create a new action as the POST endpoints do (Pending, lastUpdate = creation = clock now). */
  create(input: CreateActionInput): MachineAction;
  /**
   * Move an action to a new status now (lastUpdate = clock now, strictly increasing); final statuses
   * set errorHResult (TimeOut -2145844840, Cancelled -2147467260 plus cancellation fields).
   */
  transition(id: string, status: string, extra?: Partial<MachineAction>): MachineAction;
  /** Replace/insert an action verbatim (tests). */
  put(action: MachineAction): void;
  /** Advance pending/in-progress actions whose scheduled times have passed; returns the actions changed (one snapshot per transition). */
  step(): MachineAction[];
  machines(): { id: string; computerDnsName: string }[];
}
