/**
 * The identity side of the simulator: a Microsoft Entra ID–like token endpoint for the client
 * credentials grant, the discovery documents msal-node reads, and validation of the bearer tokens it
 * issued. Error bodies follow Entra's AADSTS shape (`error`, `error_description`, `error_codes`, ...).
 *
 * Tokens are JWT-shaped (base64url header.payload.signature) with v1 access-token claims like the
 * real ones for the WindowsDefenderATP API; they are signed with HMAC-SHA256 under a key derived from
 * the seed, so only this simulator (with this seed) accepts them. Times are seconds since the epoch,
 * taken from the simulator's clock.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Random } from './prng.js';

/** The two scopes the reference documents for app-only access to the MDE API. */
export const MDE_SCOPES: Readonly<Record<string, string>> = {
  'https://api.securitycenter.microsoft.com/.default': 'https://api.securitycenter.microsoft.com',
  'https://securitycenter.onmicrosoft.com/windowsatpservice/.default':
    'https://securitycenter.onmicrosoft.com/windowsatpservice',
};

export interface AuthConfig {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  roles: readonly string[];
  lifetimeSeconds: number;
  signingKey: Buffer;
  /** Object id of the app's service principal (the token's `oid`/`sub`). */
  servicePrincipalId: string;
}

export interface TokenClaims {
  aud: string;
  iss: string;
  iat: number;
  nbf: number;
  exp: number;
  aio: string;
  appid: string;
  appidacr: string;
  idp: string;
  oid: string;
  rh: string;
  roles: string[];
  sub: string;
  tid: string;
  uti: string;
  ver: string;
}

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: string };

export interface HttpJson {
  status: number;
  body: unknown;
}

const base64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/** An AAD-looking client secret (`xxx8Q~` + 34 characters), derived from the seed. */
export function deriveClientSecret(random: Random): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.~-';
  const alnum = alphabet.slice(0, 62);
  let s = '';
  for (let i = 0; i < 3; i++) s += alnum[random.int(0, alnum.length - 1)];
  s += '8Q~';
  for (let i = 0; i < 34; i++) s += alphabet[random.int(0, alphabet.length - 1)];
  return s;
}

export function issueToken(cfg: AuthConfig, audience: string, nowMs: number, random: Random): string {
  const now = Math.floor(nowMs / 1000);
  const header = { typ: 'JWT', alg: 'HS256', kid: 'simulator' };
  const claims: TokenClaims = {
    aud: audience,
    iss: `https://sts.windows.net/${cfg.tenantId}/`,
    iat: now,
    nbf: now,
    exp: now + cfg.lifetimeSeconds,
    aio: base64url(Buffer.from(random.hex(40), 'hex')),
    appid: cfg.clientId,
    appidacr: '1',
    idp: `https://sts.windows.net/${cfg.tenantId}/`,
    oid: cfg.servicePrincipalId,
    rh: `0.${base64url(Buffer.from(random.hex(24), 'hex'))}.`,
    roles: [...cfg.roles],
    sub: cfg.servicePrincipalId,
    tid: cfg.tenantId,
    uti: base64url(Buffer.from(random.hex(32), 'hex')),
    ver: '1.0',
  };
  const unsigned = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  return `${unsigned}.${sign(cfg.signingKey, unsigned)}`;
}

function sign(key: Buffer, data: string): string {
  return createHmac('sha256', key).update(data).digest('base64url');
}

/** Checks an `Authorization` header value against tokens this simulator issues, at `nowMs`. */
export function verifyBearer(cfg: AuthConfig, header: string | undefined, nowMs: number): TokenCheck {
  if (!header) return { ok: false, reason: 'missing Authorization header' };
  const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!m) return { ok: false, reason: 'Authorization header is not a Bearer token' };
  const parts = (m[1] ?? '').split('.');
  if (parts.length !== 3) return { ok: false, reason: 'token is not a JWT' };
  const [h = '', p = '', s = ''] = parts;
  const expected = Buffer.from(sign(cfg.signingKey, `${h}.${p}`));
  const given = Buffer.from(s);
  if (expected.length !== given.length || !timingSafeEqual(expected, given))
    return { ok: false, reason: 'bad signature' };
  let claims: TokenClaims;
  try {
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as TokenClaims;
  } catch {
    return { ok: false, reason: 'unreadable claims' };
  }
  const now = Math.floor(nowMs / 1000);
  if (typeof claims.exp !== 'number' || now >= claims.exp) return { ok: false, reason: 'token expired' };
  if (typeof claims.nbf !== 'number' || now < claims.nbf) return { ok: false, reason: 'token not yet valid' };
  if (claims.tid !== cfg.tenantId) return { ok: false, reason: 'token from another tenant' };
  if (!Object.values(MDE_SCOPES).includes(claims.aud)) return { ok: false, reason: 'token for another audience' };
  return { ok: true, claims };
}

/** Entra-style error body. `nowMs` gives the `timestamp` field (`YYYY-MM-DD HH:MM:SSZ`). */
function aadError(
  status: number,
  error: string,
  code: number,
  description: string,
  nowMs: number,
  random: Random,
  origin: string,
  correlationId: string | undefined,
): HttpJson {
  const traceId = random.uuid();
  const correlation = correlationId ?? random.uuid();
  const iso = new Date(nowMs).toISOString();
  const timestamp = `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlation} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlation,
      error_uri: `${origin}/error?code=${code}`,
    },
  };
}

/**
 * `POST /{tenant}/oauth2/v2.0/token`: the client credentials grant with a client secret (form
 * fields or HTTP Basic). Returns the status and JSON body to send.
 */
export function handleTokenRequest(
  cfg: AuthConfig,
  tenantInPath: string,
  form: URLSearchParams,
  basicAuth: { id: string; secret: string } | undefined,
  ctx: { nowMs: number; random: Random; origin: string; correlationId: string | undefined },
): HttpJson {
  const err = (status: number, error: string, code: number, description: string): HttpJson =>
    aadError(status, error, code, description, ctx.nowMs, ctx.random, ctx.origin, ctx.correlationId);
  if (tenantInPath.toLowerCase() !== cfg.tenantId.toLowerCase()) {
    return err(
      400,
      'invalid_request',
      90002,
      `Tenant '${tenantInPath}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    );
  }
  const grantType = form.get('grant_type');
  if (!grantType)
    return err(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
  if (grantType !== 'client_credentials') {
    return err(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`);
  }
  const clientId = form.get('client_id') ?? basicAuth?.id;
  if (!clientId)
    return err(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
  if (clientId.toLowerCase() !== cfg.clientId.toLowerCase()) {
    return err(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${cfg.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
  }
  const secret = form.get('client_secret') ?? basicAuth?.secret;
  if (secret === null || secret === undefined || secret === '') {
    return err(
      401,
      'invalid_client',
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }
  if (secret !== cfg.clientSecret) {
    return err(
      401,
      'invalid_client',
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${cfg.clientId}'.`,
    );
  }
  const scopeText = form.get('scope');
  if (!scopeText)
    return err(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'scope'.");
  const scopes = scopeText.split(/\s+/).filter((s) => s !== '');
  const audiences = scopes.map((s) => MDE_SCOPES[s.toLowerCase()]).filter((a): a is string => a !== undefined);
  const other = scopes.filter((s) => MDE_SCOPES[s.toLowerCase()] === undefined);
  if (audiences.length !== 1 || other.length > 0) {
    const bad = other[0] ?? scopeText;
    if (!bad.endsWith('/.default')) {
      return err(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${bad} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    const resource = bad.slice(0, -'/.default'.length);
    return err(
      400,
      'invalid_resource',
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${cfg.tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    );
  }
  const token = issueToken(cfg, audiences[0] as string, ctx.nowMs, ctx.random);
  return {
    status: 200,
    body: {
      token_type: 'Bearer',
      expires_in: cfg.lifetimeSeconds,
      ext_expires_in: cfg.lifetimeSeconds,
      access_token: token,
    },
  };
}

/** `GET /{tenant}/v2.0/.well-known/openid-configuration` (Entra's document, pointing at the simulator). */
export function openIdConfiguration(origin: string, tenantId: string): Record<string, unknown> {
  const t = `${origin}/${tenantId}`;
  return {
    token_endpoint: `${t}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${t}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${t}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${origin}/oidc/userinfo`,
    authorization_endpoint: `${t}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${t}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${t}/oauth2/v2.0/logout`,
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'acr',
      'nonce',
      'preferred_username',
      'name',
      'tid',
      'ver',
      'at_hash',
      'c_hash',
      'email',
    ],
    kerberos_endpoint: `${t}/kerberos`,
    tenant_region_scope: 'EU',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

/** `GET /common/discovery/instance`: instance metadata naming the simulator's host as the only alias. */
export function instanceDiscovery(origin: string, tenantId: string): Record<string, unknown> {
  const host = new URL(origin).host;
  return {
    tenant_discovery_endpoint: `${origin}/${tenantId}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  };
}
