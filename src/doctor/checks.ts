/**
 * The concrete checks of `defender-audit-bot doctor`, in order: configuration, MDE token, MDE
 * permissions, MDE API, store, Teams bot, Log Analytics forwarding, Log Analytics queries. One
 * function per check (checks-*.ts); they share what earlier checks found through one DoctorContext.
 * What src/doctor/ must not construct itself (the Log Analytics query client, which lives with the
 * composition root) is injected through DoctorDeps.
 */
import { systemClock } from '../core/clock.js';
import type { Env } from '../config/config.js';
import { checkConfiguration } from './checks-config.js';
import { checkMdeApi, checkMdePermissions, checkMdeToken } from './checks-mde.js';
import { checkLogAnalyticsForwarding, checkLogAnalyticsQueries, checkTeamsBot } from './checks-services.js';
import { checkStore } from './checks-store.js';
import type { DoctorContext, DoctorDeps } from './context.js';
import type { DoctorCheck, DoctorOutcome } from './doctor.js';

export type { BotCredentials, DoctorContext, DoctorDeps, KqlRunnerFactory } from './context.js';

export interface DoctorPlan {
  checks: DoctorCheck[];
  /** Releases what the checks opened (HTTP connections). */
  close(): void;
}

/** A check whose work is synchronous (a throw still becomes a rejection). */
const sync = (fn: () => DoctorOutcome) => (): Promise<DoctorOutcome> => Promise.resolve().then(fn);

/** The checks, in order, over one fresh context. */
export function doctorChecks(env: Env, deps: DoctorDeps): DoctorPlan {
  const clock = deps.clock ?? systemClock;
  const ctx: DoctorContext = {};
  const checks: DoctorCheck[] = [
    { name: 'configuration', run: sync(() => checkConfiguration(ctx, env)) },
    { name: 'MDE token', run: () => checkMdeToken(ctx, clock) },
    { name: 'MDE permissions', run: sync(() => checkMdePermissions(ctx)) },
    { name: 'MDE API', run: () => checkMdeApi(ctx, clock) },
    { name: 'store', run: sync(() => checkStore(ctx, { clock, deep: deps.deepStoreCheck === true })) },
    { name: 'Teams bot', run: () => checkTeamsBot(ctx, deps.botToken) },
    { name: 'Log Analytics forwarding', run: () => checkLogAnalyticsForwarding(ctx, deps.credential) },
    { name: 'Log Analytics queries', run: () => checkLogAnalyticsQueries(ctx, deps.kqlRunner, deps.credential) },
  ];
  return {
    checks,
    close() {
      ctx.http?.close();
    },
  };
}
