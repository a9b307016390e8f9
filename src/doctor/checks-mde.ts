/** The MDE checks: a token for the app registration, the permissions it carries, one API call. */
import { readFileSync } from 'node:fs';
import type { Clock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { createCallBudget } from '../defender/budget.js';
import { createDefenderClient } from '../defender/client.js';
import { createHttpTransport } from '../defender/http.js';
import { createMsalTokenProvider } from '../defender/token.js';
import { DOCTOR_TIMEOUT_MS, NO_CONFIG, failure, ok, skip, type DoctorContext } from './context.js';
import type { DoctorOutcome } from './doctor.js';
import { decodeJwtPayload, missingRoles, tokenRoles } from './jwt.js';

const READ_ROLE = 'Machine.Read.All';

/** Needs `ctx.defender`; sets `ctx.http`, `ctx.tokens` and, when the sign-in succeeds, `ctx.token`. */
export async function checkMdeToken(ctx: DoctorContext, clock: Clock): Promise<DoctorOutcome> {
  const d = ctx.defender;
  if (d === undefined) return skip(NO_CONFIG);
  let ca: Buffer | undefined;
  if (d.caCertFile !== undefined) {
    try {
      ca = readFileSync(d.caCertFile);
    } catch (err) {
      return {
        status: 'fail',
        detail: `cannot read MDE_CA_CERT_FILE ${d.caCertFile} (${(err as Error).message})`,
        fix: 'point MDE_CA_CERT_FILE at the PEM file the simulator printed, or unset it.',
      };
    }
  }
  const http = createHttpTransport({ ca });
  ctx.http = http;
  let token: string;
  try {
    const tokens = createMsalTokenProvider({
      tenantId: d.tenantId,
      clientId: d.clientId,
      clientSecret: d.clientSecret,
      certificate: d.certificate,
      authorityHost: d.authorityHost,
      scope: d.scope,
      http,
      timeoutMs: Math.min(d.requestTimeoutMs, DOCTOR_TIMEOUT_MS),
      logger: silentLogger,
    });
    ctx.tokens = tokens;
    token = await tokens.getToken();
    ctx.token = token;
  } catch (err) {
    const certificate = d.certificate !== undefined;
    return failure(
      err,
      certificate
        ? 'check MDE_TENANT_ID, MDE_CLIENT_ID, MDE_CLIENT_CERTIFICATE_PATH and MDE_CLIENT_CERTIFICATE_THUMBPRINT ' +
            '(the certificate must be uploaded to the app registration).'
        : 'check MDE_TENANT_ID, MDE_CLIENT_ID and SECRET_MDE_CLIENT_SECRET (an expired client secret is the usual cause).',
    );
  }
  let validity = '';
  try {
    const exp = decodeJwtPayload(token)['exp'];
    if (typeof exp === 'number') {
      // `exp` is in seconds since the epoch, the clock in milliseconds; reported in minutes.
      validity = `, valid for ${Math.max(0, Math.round((exp * 1000 - clock.now()) / 60_000))} min`;
    }
  } catch {
    // Reported by the permissions check.
  }
  const kind = d.certificate !== undefined ? 'certificate' : 'client secret';
  return ok(`signed in to ${d.authorityHost}/${d.tenantId} as app ${d.clientId} (${kind}) for ${d.scope}${validity}`);
}

/** Needs `ctx.defender` and `ctx.token`: the token's `roles` claim against what listing machine actions needs. */
export function checkMdePermissions(ctx: DoctorContext): DoctorOutcome {
  const { defender, token } = ctx;
  if (defender === undefined) return skip(NO_CONFIG);
  if (token === undefined) return skip('no MDE token');
  const roles = tokenRoles(decodeJwtPayload(token));
  const missing = missingRoles(roles);
  const listed = roles.length > 0 ? roles.join(', ') : 'none';
  if (missing.length > 0) {
    return {
      status: 'fail',
      detail: `the token's roles claim grants ${listed}; missing ${missing.join(', ')} (needed to list machine actions)`,
      fix:
        `In Entra ID → App registrations → ${defender.clientId} → API permissions, ` +
        `add WindowsDefenderATP → Application → ${missing.join(', ')} and grant admin consent.`,
    };
  }
  const extra = roles.filter((r) => r.toLowerCase() !== READ_ROLE.toLowerCase());
  if (extra.length > 0) {
    return {
      status: 'warn',
      detail: `roles: ${listed}; the bot only reads, and ${READ_ROLE} is all it needs`,
      fix: `remove ${extra.join(', ')} from the app registration's API permissions (least privilege) unless another tool uses this app.`,
    };
  }
  return ok(`roles: ${listed}`);
}

/** Needs `ctx.defender`, `ctx.tokens`, `ctx.http` and `ctx.token`: one `GET /api/machineactions?$top=1`. */
export async function checkMdeApi(ctx: DoctorContext, clock: Clock): Promise<DoctorOutcome> {
  const { defender: d, tokens, http, token } = ctx;
  if (d === undefined) return skip(NO_CONFIG);
  if (tokens === undefined || http === undefined || token === undefined) return skip('no MDE token');
  const client = createDefenderClient({
    apiBaseUrl: d.apiBaseUrl,
    tokens,
    http,
    budget: createCallBudget({ perMinute: d.budgetPerMinute, perHour: d.budgetPerHour, clock }),
    clock,
    logger: silentLogger,
    requestTimeoutMs: Math.min(d.requestTimeoutMs, DOCTOR_TIMEOUT_MS),
    maxRetries: Math.min(d.maxRetries, 1),
    // Longest Retry-After the one retry waits for, milliseconds: doctor answers quickly.
    maxRetryAfterMs: 10_000,
  });
  try {
    const page = await client.listMachineActions({ top: 1 });
    const what = `GET ${d.apiBaseUrl}/api/machineactions?$top=1 returned ${page.received} action${page.received === 1 ? '' : 's'}`;
    if (page.invalid.length > 0) {
      return {
        status: 'warn',
        detail: `${what}, which failed validation: ${page.invalid[0]?.reason ?? 'unknown reason'}`,
        fix: 'the ingest quarantines such items; report the field to the maintainers if it persists.',
      };
    }
    return ok(page.received === 0 ? `${what} (no machine actions in this tenant yet)` : what);
  } catch (err) {
    return failure(err, "check MDE_API_BASE_URL (your cloud's API host) and the network path to it.");
  }
}
