/**
 * A faithful Microsoft Defender for Endpoint API simulator on 127.0.0.1 over HTTPS: token endpoint
 * and discovery for msal-node, `/api/machineactions` with the OData subset, single-entity reads,
 * machine actions and cancel, per-API throttling, fault injection, a generated (or given) tenant
 * whose actions move through their lifecycle on the injected clock.
 *
 * Usage:
 *   const sim = createSimulator({ clock, seed: 7 });
 *   const endpoint = await sim.start({ caCertFile: '/tmp/sim-ca.pem' });
 *   // endpoint.env holds MDE_API_BASE_URL, MDE_AUTHORITY_HOST, MDE_TENANT_ID, ... for the client
 *   await sim.stop();
 */
import { chmod, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import type { MachineAction } from '../core/types.js';
import { deriveClientSecret, type AuthConfig } from './auth.js';
import { validateDataset } from './dataset.js';
import { createFaultInjector } from './faults.js';
import { generateTenant, randomActionRequest, type PlannedTransition, type SimMachine } from './generator.js';
import { createRandom } from './prng.js';
import { createRequestHandler, type ServerContext } from './server.js';
import { createTenant } from './state.js';
import { createThrottle } from './throttle.js';
import { createSelfSignedCertificate } from './tls.js';
import type { LiveOptions, Simulator, SimulatorEndpoint, SimulatorOptions, SimulatorStats } from './types.js';

export type {
  CreateActionInput,
  FaultSpec,
  LifecycleOptions,
  LiveOptions,
  ScriptedFault,
  Simulator,
  SimulatorEndpoint,
  SimulatorOptions,
  SimulatorStats,
  SimulatorTenant,
} from './types.js';
export { parseFaultSpec } from './faults.js';
export { loadDataset, validateDataset } from './dataset.js';
export { generateActions, generateTenant, APPS, PEOPLE, type GenerateOptions, type SimMachine } from './generator.js';
export { createRandom, type Random } from './prng.js';
export { createSelfSignedCertificate } from './tls.js';
export { DEFAULT_LIFECYCLE_OPTIONS } from './state.js';
export { MDE_SCOPES } from './auth.js';

export const DEFAULT_TENANT_ID = '00000000-0000-0000-0000-000000000001';
export const DEFAULT_CLIENT_ID = '11111111-1111-1111-1111-111111111111';
export const DEFAULT_ROLES: readonly string[] = ['Machine.Read.All'];
export const DEFAULT_THROTTLE = { perMinute: 100, perHour: 1500 } as const;
/** Live response budget per minute (reference section 5). */
const LIVE_RESPONSE_PER_MINUTE = 10;

export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const clock = options.clock ?? systemClock;
  const logger = (options.logger ?? silentLogger).child({ component: 'mde-simulator' });
  const seed = options.seed ?? 1;
  const root = createRandom(seed);
  const credentials = options.credentials ?? {
    tenantId: DEFAULT_TENANT_ID,
    clientId: DEFAULT_CLIENT_ID,
    clientSecret: deriveClientSecret(root.fork('secret')),
  };

  let machines: SimMachine[] | 'derive';
  let actions: MachineAction[];
  let plans: Map<string, PlannedTransition[]> | undefined;
  if (options.dataset) {
    // Not copied (a million objects would cost seconds): the tenant never mutates a stored object,
    // it replaces it; callers must not mutate the array's objects after handing them over.
    actions = validateDataset(options.dataset, 'options.dataset');
    machines = 'derive';
  } else {
    const generated = generateTenant(options.generate ?? {}, root.fork('generate'), clock.now());
    machines = generated.machines;
    actions = generated.actions;
    plans = generated.plans;
  }
  const tenant = createTenant({
    clock,
    random: root.fork('tenant'),
    machines,
    actions,
    plans,
    lifecycle: options.lifecycle,
    defaultRequestor: credentials.clientId,
  });

  const auth: AuthConfig = {
    tenantId: credentials.tenantId,
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    roles: options.roles ?? DEFAULT_ROLES,
    lifetimeSeconds: options.tokenLifetimeSeconds ?? 3599,
    signingKey: Buffer.from(root.fork('signing').hex(64), 'hex'),
    servicePrincipalId: root.fork('service-principal').uuid(),
  };
  const limits = options.throttle === false ? undefined : (options.throttle ?? DEFAULT_THROTTLE);
  const faults = createFaultInjector(options.faults, root.fork('faults'));
  const stats: SimulatorStats = { tokenRequests: 0, apiCalls: 0, listCalls: 0, throttled: 0, faultsInjected: 0 };

  let server: Server | undefined;
  let origin = '';
  const delayed = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  let stopping = false;
  let stopLiveTimer: (() => void) | undefined;

  const simulator: Simulator = {
    tenant,
    stats,
    faults: { enqueue: (f) => faults.enqueue(f), clear: () => faults.clear() },
    hooks: {},

    async start(startOptions = {}) {
      if (server) throw new Error('simulator already started');
      stopping = false;
      const tls = options.tls ?? (await createSelfSignedCertificate());
      const context: ServerContext = {
        tenant,
        clock,
        logger,
        random: root.fork('http'),
        seed,
        auth,
        throttle: limits ? createThrottle(limits) : undefined,
        liveResponseThrottle: limits
          ? createThrottle({ perMinute: Math.min(LIVE_RESPONSE_PER_MINUTE, limits.perMinute), perHour: limits.perHour })
          : undefined,
        faults,
        stats,
        get hooks() {
          return simulator.hooks;
        },
        rejectLastUpdateFilter: options.rejectLastUpdateFilter ?? false,
        origin: () => origin,
        delay(ms, fn) {
          if (stopping) return; // the socket is being destroyed anyway
          const t = setTimeout(() => {
            delayed.delete(t);
            fn();
          }, ms);
          delayed.add(t);
        },
      };
      const srv = createServer({ key: tls.key, cert: tls.cert }, createRequestHandler(context));
      // Raw TCP sockets, including those still in the TLS handshake (closeAllConnections only knows
      // sockets that reached HTTP), so that stop() ends every one of them.
      srv.on('connection', (socket: Socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
          srv.off('error', reject);
          resolve();
        });
      });
      server = srv;
      const address = srv.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      origin = `https://${host}:${address.port}`;
      const env: Record<string, string> = {
        MDE_API_BASE_URL: origin,
        MDE_AUTHORITY_HOST: origin,
        MDE_TENANT_ID: auth.tenantId,
        MDE_CLIENT_ID: auth.clientId,
        SECRET_MDE_CLIENT_SECRET: auth.clientSecret,
      };
      if (startOptions.caCertFile) {
        await writeFile(startOptions.caCertFile, tls.cert, { mode: 0o644 });
        await chmod(startOptions.caCertFile, 0o644);
        env['MDE_CA_CERT_FILE'] = startOptions.caCertFile;
      }
      logger.info('MDE API simulator listening', { baseUrl: origin, actions: tenant.size() });
      const endpoint: SimulatorEndpoint = { baseUrl: origin, authorityHost: origin, caCertPem: tls.cert, env };
      return endpoint;
    },

    async stop() {
      stopping = true;
      simulator.stopLive();
      for (const t of delayed) clearTimeout(t);
      delayed.clear();
      const srv = server;
      server = undefined;
      if (!srv) return;
      const closed = new Promise<void>((resolve) => srv.close(() => resolve()));
      srv.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      await closed;
      logger.info('MDE API simulator stopped');
    },

    startLive(liveOptions: LiveOptions = {}) {
      simulator.stopLive();
      const tickMs = Math.max(1, liveOptions.tickMs ?? 1000);
      const perMinute = Math.max(0, liveOptions.newActionsPerMinute ?? 6);
      const random = root.fork('live');
      const tick = (): void => {
        const changed = tenant.step();
        for (const a of changed) logger.debug('simulated action changed', { id: a.id, type: a.type, status: a.status });
        // Arrivals per tick: the integer part of the expected count plus one more with the fractional probability.
        const expected = (perMinute * tickMs) / 60_000;
        const arrivals = Math.floor(expected) + (random.chance(expected - Math.floor(expected)) ? 1 : 0);
        const candidates = tenant.currentMachines();
        for (let i = 0; i < arrivals && candidates.length > 0; i++) {
          const request = randomActionRequest(random, random.pick(candidates));
          if (tenant.hasActiveAction(request.machineId, request.type)) continue;
          const created = tenant.create(request);
          logger.debug('simulated action created', { id: created.id, type: created.type });
        }
        stopLiveTimer = clock.setTimer(tick, tickMs);
      };
      stopLiveTimer = clock.setTimer(tick, tickMs);
    },

    stopLive() {
      stopLiveTimer?.();
      stopLiveTimer = undefined;
    },
  };
  return simulator;
}
