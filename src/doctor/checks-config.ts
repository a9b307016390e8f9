/** The configuration check: loads the configuration (with its MDE section) for the checks after it. */
import { ConfigError } from '../core/errors.js';
import { loadConfig, type Config, type Env } from '../config/config.js';
import { ok, type DoctorContext } from './context.js';
import type { DoctorOutcome } from './doctor.js';

/** A problem line of ConfigError ("VAR: what. Fix: how.") split into message and fix. */
export function splitProblem(problem: string): { message: string; fix: string | undefined } {
  const at = problem.indexOf(' Fix: ');
  if (at < 0) return { message: problem, fix: undefined };
  return { message: problem.slice(0, at), fix: problem.slice(at + ' Fix: '.length) };
}

/** Each configuration problem with its fix, on one line. */
export function configFailure(problems: readonly string[]): DoctorOutcome {
  const parts = problems.map(splitProblem).map((p) => {
    const colon = p.message.indexOf(':');
    const variable = colon > 0 ? p.message.slice(0, colon) : undefined;
    const fix = p.fix ?? `set ${variable ?? 'it'} as env/.env.example describes.`;
    return { message: p.message.replace(/\.$/, ''), variable, fix };
  });
  if (parts.length === 1 && parts[0] !== undefined) {
    return { status: 'fail', detail: parts[0].message, fix: parts[0].fix };
  }
  return {
    status: 'fail',
    detail: `${parts.length} problems: ${parts.map((p) => p.message).join('; ')}`,
    fix: parts.map((p) => (p.variable === undefined ? p.fix : `${p.variable}: ${p.fix}`)).join(' '),
  };
}

/** Sets `ctx.config` (when the configuration loads) and `ctx.defender` (when it has an MDE section). */
export function checkConfiguration(ctx: DoctorContext, env: Env): DoctorOutcome {
  let config: Config;
  try {
    config = loadConfig(env, ['defender']);
  } catch (err) {
    if (err instanceof ConfigError) return configFailure(err.problems);
    throw err;
  }
  ctx.config = config;
  const defender = config.defender;
  ctx.defender = defender;
  if (defender === undefined) {
    return {
      status: 'fail',
      detail: 'the MDE section is missing',
      fix: 'set MDE_TENANT_ID, MDE_CLIENT_ID and SECRET_MDE_CLIENT_SECRET (see env/.env.example).',
    };
  }
  const credentialKind = defender.certificate !== undefined ? 'certificate' : 'client secret';
  return ok(
    `MDE tenant ${defender.tenantId}, app ${defender.clientId} (${credentialKind}), API ${defender.apiBaseUrl}, ` +
      `sign-in ${defender.authorityHost}; store ${config.store.path}; ` +
      `queries from ${config.logAnalytics.queryBackend === 'sqlite' ? 'the SQLite store' : 'Log Analytics'}`,
  );
}
