import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { parseDuration } from '../core/duration.js';
import { parseBusinessHours, type BusinessHours } from '../core/business-hours.js';
import type { CronSchedule } from '../core/cron.js';
import { canonicalTimeZone } from '../core/time-zone.js';
import { compileCron } from './cron.js';

/**
 * The whole configuration, parsed once from an injected environment (the only reader of
 * `process.env` is the composition root, which passes it in). Every value is validated; a problem
 * names the variable and the fix. The result is deeply frozen.
 */
export interface DefenderConfig {
  readonly tenantId: string;
  readonly clientId: string;
  /** Client secret; absent when a certificate is used. Never log it. */
  readonly clientSecret: string | undefined;
  /** PEM file with the certificate's private key, and the certificate thumbprint (hex). */
  readonly certificate: { readonly privateKeyPath: string; readonly thumbprint: string } | undefined;
  /** e.g. `https://api.security.microsoft.com`; no trailing slash. */
  readonly apiBaseUrl: string;
  /** e.g. `https://login.microsoftonline.com`; no trailing slash. */
  readonly authorityHost: string;
  /** Extra PEM CA certificate to trust (the simulator's self-signed certificate). */
  readonly caCertFile: string | undefined;
  /** OAuth scope of the MDE API. */
  readonly scope: string;
  /** `$top` of each list call, 1..10,000. */
  readonly pageSize: number;
  /** How far before the cursor each incremental read starts, milliseconds. */
  readonly overlapMs: number;
  /** History read on the very first run, days. */
  readonly backfillDays: number;
  /** Creation-time window re-read when the tenant rejects the lastUpdate filter, milliseconds. */
  readonly fallbackWindowMs: number;
  /** Timeout of one HTTP call, milliseconds. */
  readonly requestTimeoutMs: number;
  /** Attempts after the first one for retryable failures (429, 5xx, timeouts, resets). */
  readonly maxRetries: number;
  /** API call budget shared by all calls (MDE: 100 per minute and 1,500 per hour). */
  readonly budgetPerMinute: number;
  readonly budgetPerHour: number;
}

export interface Config {
  /** Present when MDE credentials are configured; `requireDefender` turns absence into an error. */
  readonly defender: DefenderConfig | undefined;
  readonly ingest: { readonly pollIntervalMs: number };
  readonly store: {
    readonly path: string;
    /**
     * 'exclusive': this process holds the database lock from open to close, and WAL then needs no
     * shared-memory file; for network file shares (Azure Files), where neither shared memory nor
     * byte-range locks can be trusted. Other processes (ask, doctor) cannot open it meanwhile.
     */
    readonly locking: 'normal' | 'exclusive';
  };
  readonly bot: {
    readonly id: string | undefined;
    readonly password: string | undefined;
    readonly tenantId: string | undefined;
    /** 'SingleTenant' (app id + secret) or 'UserAssignedMSI' (BOT_ID is the managed identity's client id). */
    readonly authType: 'SingleTenant' | 'UserAssignedMSI';
    /** Tenants whose activities are answered: BOT_TENANT_ID plus BOT_ALLOWED_TENANTS; empty = any (local only). */
    readonly allowedTenants: readonly string[];
    /** Address the HTTP server binds to. */
    readonly host: string;
    readonly port: number;
  };
  readonly commands: {
    /** Commands per user per minute. */
    readonly rateLimitPerMinute: number;
    /** App GUID (lower case) → friendly name. */
    readonly requestorNames: ReadonlyMap<string, string>;
    /** Table schema of the KQL shown on cards and run in workspace mode. */
    readonly kqlSchema: 'dcr' | 'legacy';
    /** IANA time zone for times on cards. */
    readonly displayTimeZone: string;
    /** Entra ID object ids allowed to change subscriptions; empty = everyone (warned at start). */
    readonly adminIds: readonly string[];
  };
  /** Azure Log Analytics: forwarding (Logs Ingestion API) and the KQL query backend. */
  readonly logAnalytics: {
    /** Where chat commands, digests and the CLI's `ask` read: the SQLite store or the workspace. */
    readonly queryBackend: 'sqlite' | 'log-analytics';
    /** Workspace (customer) id, a GUID; required for the log-analytics backend. */
    readonly workspaceId: string | undefined;
    /** ARM resource id of the workspace, for "Open in Log Analytics" links; optional. */
    readonly workspaceResourceId: string | undefined;
    /** Log Analytics query API base URL including `/v1`. */
    readonly queryEndpoint: string;
    /** Forwarding is on when the ingestion endpoint is set. */
    readonly forward:
      | {
          readonly endpoint: string;
          readonly dcrImmutableId: string;
          readonly streamName: string;
          /** How often waiting versions are retried when a forward failed, milliseconds (also runs after each ingest). */
          readonly intervalMs: number;
        }
      | undefined;
    /** Rows shown by the ad hoc `kql` command. */
    readonly adHocRowLimit: number;
  };
  readonly log: { readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent' };
  readonly digest: {
    /** DIGEST_CRON, compiled in DIGEST_TIMEZONE. */
    readonly schedule: CronSchedule;
    /** Canonical IANA zone of the digest (its days and times). */
    readonly timeZone: string;
  };
  readonly alerts: {
    /** New actions of these types alert (Offboard always does). */
    readonly types: readonly string[];
    /** Mass action: at least `count` alert-worthy actions by one requestor within `windowMs`. */
    readonly massActionCount: number;
    readonly massActionWindowMs: number;
    /** Lower-case UPNs / GUIDs of expected requestors; empty = no check. */
    readonly knownRequestors: readonly string[];
    /** BUSINESS_HOURS (e.g. `Mon-Fri 08:00-18:00`) in BUSINESS_TIME_ZONE; null = no check. */
    readonly businessHours: BusinessHours | null;
    /** More than this many alerts waiting for one conversation are posted as one storm card. */
    readonly stormThreshold: number;
  };
}

/** What a command needs to be present; missing pieces fail start-up with exit code 2. */
export type ConfigNeed = 'defender';

export type Env = Readonly<Record<string, string | undefined>>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** Reads env values, trimming and treating empty strings as unset (as `.env` files produce them). */
function value(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

interface Problems {
  list: string[];
  add(name: string, message: string): void;
}

function problems(): Problems {
  const list: string[] = [];
  return { list, add: (name, message) => list.push(`${name}: ${message}`) };
}

function int(env: Env, p: Problems, name: string, def: number, min: number, max: number): number {
  const raw = value(env, name);
  if (raw === undefined) return def;
  const n = z.coerce.number().int().min(min).max(max).safeParse(raw);
  if (!n.success) {
    p.add(name, `must be a whole number from ${min} to ${max} (got "${raw}"). Fix: set for example ${name}=${def}.`);
    return def;
  }
  return n.data;
}

function duration(env: Env, p: Problems, name: string, def: string, minMs: number): number {
  const raw = value(env, name) ?? def;
  const ms = parseDuration(raw);
  if (ms === undefined || ms < minMs) {
    p.add(
      name,
      `must be a duration with a unit such as 30s, 5m, 2h or 7d, at least ${minMs} ms (got "${raw}"). Fix: set for example ${name}=${def}.`,
    );
    return parseDuration(def) ?? 0;
  }
  return ms;
}

function url(env: Env, p: Problems, name: string, def: string): string {
  const raw = value(env, name) ?? def;
  const parsed = z.url({ protocol: /^https$/ }).safeParse(raw);
  if (!parsed.success) {
    p.add(
      name,
      `must be an https URL (got "${raw}"). Fix: set ${name}=${def}, or the https address of your cloud or the simulator.`,
    );
    return def;
  }
  return raw.replace(/\/+$/, '');
}

function oneOf<T extends string>(env: Env, p: Problems, name: string, allowed: readonly T[], def: T): T {
  const raw = value(env, name) ?? def;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  p.add(name, `must be one of ${allowed.join(', ')} (got "${raw}"). Fix: set ${name}=${def} or remove it.`);
  return def;
}

function timeZone(env: Env, p: Problems, name: string, def: string): string {
  const raw = value(env, name) ?? def;
  const canonical = canonicalTimeZone(raw);
  if (canonical !== undefined) return canonical;
  p.add(name, `must be an IANA time zone name such as Europe/Amsterdam or UTC, not an offset (got "${raw}").`);
  return def;
}

/** croner's nicknames; each is one 5-field pattern (`@daily` is `0 0 * * *`). */
const CRON_NICKNAMES = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/**
 * A 5-field cron pattern (minute hour day-of-month month day-of-week, as crontab(5)) or a nickname
 * such as `@daily`, checked by croner (the scheduler's own parser). Seconds and years (croner's 6-
 * and 7-field forms) are refused: a daily digest has no use for them, and `0 8 * * * *` would
 * silently mean something else than it reads.
 */
function cronSchedule(env: Env, p: Problems, name: string, def: string, timeZone: string): CronSchedule {
  const raw = value(env, name) ?? def;
  const text = raw.trim();
  const fix = `Fix: set ${name} to 5 fields, minute hour day-of-month month day-of-week, e.g. ${name}="0 8 * * *" (08:00 every day) or "30 7 * * 1-5" (07:30 on weekdays), or to @daily.`;
  const fallback = compileCron(def, 'UTC') as CronSchedule;
  const fields = text.split(/\s+/).filter(Boolean).length;
  if (!CRON_NICKNAMES.has(text.toLowerCase()) && fields !== 5) {
    p.add(
      name,
      `must be a cron pattern of 5 fields or a nickname such as @daily (got "${raw}", ${fields} field${fields === 1 ? '' : 's'}). ${fix}`,
    );
    return fallback;
  }
  const compiled = compileCron(text, timeZone);
  if (typeof compiled === 'string') {
    p.add(name, `${compiled} ${fix}`);
    return fallback;
  }
  // A pattern that never occurs (e.g. 30 February) would be a silent no-op. Five fields repeat at
  // least every 8 years (29 February), so any reference instant tells; no clock is needed.
  if (compiled.nextAfter(Date.UTC(2000, 0, 1)) === null) {
    p.add(name, `"${raw}" never occurs. ${fix}`);
    return fallback;
  }
  return compiled;
}

function guidList(env: Env, p: Problems, name: string): string[] {
  const raw = value(env, name);
  if (raw === undefined) return [];
  const items = raw
    .split(',')
    .map((x) => x.trim().toLowerCase())
    .filter(Boolean);
  const bad = items.filter((x) => !GUID.test(x));
  if (bad.length > 0) p.add(name, `must be a comma-separated list of GUIDs (not: ${bad.join(', ')}).`);
  return items.filter((x) => GUID.test(x));
}

function parseBot(env: Env, p: Problems): Config['bot'] {
  const id = value(env, 'BOT_ID');
  const password = value(env, 'SECRET_BOT_PASSWORD');
  const tenantId = value(env, 'BOT_TENANT_ID');
  const authType = oneOf(env, p, 'BOT_AUTH_TYPE', ['SingleTenant', 'UserAssignedMSI'] as const, 'SingleTenant');
  if (id !== undefined) {
    if (!GUID.test(id)) p.add('BOT_ID', `must be the bot's Microsoft App ID, a GUID (got "${id}").`);
    if (tenantId === undefined)
      p.add(
        'BOT_TENANT_ID',
        'is required with BOT_ID (single-tenant bot). Fix: set it to the tenant of the Azure Bot registration.',
      );
    if (authType === 'SingleTenant' && password === undefined) {
      p.add(
        'SECRET_BOT_PASSWORD',
        "is required with BOT_ID. Fix: put the bot's client secret in env/.env.<name>.user, or set BOT_AUTH_TYPE=UserAssignedMSI.",
      );
    }
  }
  if (tenantId !== undefined && !GUID.test(tenantId))
    p.add('BOT_TENANT_ID', `must be a tenant GUID (got "${tenantId}").`);
  const allowed = [
    ...new Set([
      ...(tenantId !== undefined && GUID.test(tenantId) ? [tenantId.toLowerCase()] : []),
      ...guidList(env, p, 'BOT_ALLOWED_TENANTS'),
    ]),
  ];
  return {
    id,
    password,
    tenantId,
    authType,
    allowedTenants: allowed,
    host: value(env, 'HOST') ?? '127.0.0.1',
    port: int(env, p, 'PORT', 3978, 0, 65_535),
  };
}

function parseRequestorNames(env: Env, p: Problems): ReadonlyMap<string, string> {
  const raw = value(env, 'REQUESTOR_NAMES');
  const names = new Map<string, string>();
  if (raw === undefined) return names;
  for (const part of raw
    .split(';')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    const guid = part.slice(0, eq).trim().toLowerCase();
    const name = part.slice(eq + 1).trim();
    if (eq < 0 || !GUID.test(guid) || name === '') {
      p.add('REQUESTOR_NAMES', `entries are <app GUID>=<name>, separated by ";" (bad entry: "${part}").`);
      continue;
    }
    names.set(guid, name);
  }
  return names;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

function parseDefender(env: Env, p: Problems, needed: boolean): DefenderConfig | undefined {
  const tenantId = value(env, 'MDE_TENANT_ID');
  const clientId = value(env, 'MDE_CLIENT_ID');
  const clientSecret = value(env, 'SECRET_MDE_CLIENT_SECRET');
  const certPath = value(env, 'MDE_CLIENT_CERTIFICATE_PATH');
  const thumbprint = value(env, 'MDE_CLIENT_CERTIFICATE_THUMBPRINT');
  const anySet = tenantId ?? clientId ?? clientSecret ?? certPath;
  if (!needed && anySet === undefined) return undefined;

  if (tenantId === undefined) {
    p.add('MDE_TENANT_ID', 'is required. Fix: set it to your Entra ID tenant id (a GUID) or primary domain.');
  } else if (!GUID.test(tenantId) && !DOMAIN.test(tenantId)) {
    p.add(
      'MDE_TENANT_ID',
      `must be a tenant GUID or domain (got "${tenantId}"). Fix: copy the Directory (tenant) ID from the app registration.`,
    );
  }
  if (clientId === undefined) {
    p.add(
      'MDE_CLIENT_ID',
      'is required. Fix: set it to the Application (client) ID of the app registration that has Machine.Read.All.',
    );
  } else if (!GUID.test(clientId)) {
    p.add(
      'MDE_CLIENT_ID',
      `must be a GUID (got "${clientId}"). Fix: copy the Application (client) ID from the app registration.`,
    );
  }
  if (clientSecret === undefined && certPath === undefined) {
    p.add(
      'SECRET_MDE_CLIENT_SECRET',
      'is required (or MDE_CLIENT_CERTIFICATE_PATH with MDE_CLIENT_CERTIFICATE_THUMBPRINT). Fix: create a client secret for the app registration and put it in env/.env.<name>.user.',
    );
  }
  if (certPath !== undefined && thumbprint === undefined) {
    p.add(
      'MDE_CLIENT_CERTIFICATE_THUMBPRINT',
      'is required with MDE_CLIENT_CERTIFICATE_PATH. Fix: set it to the thumbprint shown for the certificate in the app registration.',
    );
  }
  if (thumbprint !== undefined && !/^([0-9a-f]{40}|[0-9a-f]{64})$/i.test(thumbprint)) {
    p.add(
      'MDE_CLIENT_CERTIFICATE_THUMBPRINT',
      'must be 64 (SHA-256) or 40 (SHA-1) hex characters. Fix: copy the thumbprint from the app registration.',
    );
  }
  const pageSize = int(env, p, 'MDE_PAGE_SIZE', 1000, 1, 10_000);
  return {
    tenantId: tenantId ?? '',
    clientId: clientId ?? '',
    clientSecret,
    certificate: certPath !== undefined ? { privateKeyPath: certPath, thumbprint: thumbprint ?? '' } : undefined,
    apiBaseUrl: url(env, p, 'MDE_API_BASE_URL', 'https://api.security.microsoft.com'),
    authorityHost: url(env, p, 'MDE_AUTHORITY_HOST', 'https://login.microsoftonline.com'),
    caCertFile: value(env, 'MDE_CA_CERT_FILE'),
    scope: value(env, 'MDE_SCOPE') ?? 'https://api.securitycenter.microsoft.com/.default',
    pageSize,
    overlapMs: duration(env, p, 'MDE_OVERLAP_WINDOW', '5m', 0),
    backfillDays: int(env, p, 'MDE_BACKFILL_DAYS', 180, 0, 3650),
    fallbackWindowMs: duration(env, p, 'MDE_FALLBACK_WINDOW', '7d', 60_000),
    requestTimeoutMs: duration(env, p, 'MDE_REQUEST_TIMEOUT', '60s', 100),
    maxRetries: int(env, p, 'MDE_MAX_RETRIES', 5, 0, 20),
    budgetPerMinute: int(env, p, 'MDE_BUDGET_PER_MINUTE', 100, 1, 100),
    budgetPerHour: int(env, p, 'MDE_BUDGET_PER_HOUR', 1500, 1, 1500),
  };
}

const WORKSPACE_RESOURCE_ID =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.OperationalInsights\/workspaces\/[^/]+$/i;
const DCR_IMMUTABLE_ID = /^dcr-[0-9a-f]{32}$/i;

function parseLogAnalytics(env: Env, p: Problems): Config['logAnalytics'] {
  const queryBackend = oneOf(env, p, 'QUERY_BACKEND', ['sqlite', 'log-analytics'] as const, 'sqlite');
  const workspaceId = value(env, 'LOG_ANALYTICS_WORKSPACE_ID');
  if (workspaceId !== undefined && !GUID.test(workspaceId)) {
    p.add(
      'LOG_ANALYTICS_WORKSPACE_ID',
      `must be the workspace ID, a GUID shown on the workspace overview (got "${workspaceId}").`,
    );
  }
  if (queryBackend === 'log-analytics' && workspaceId === undefined) {
    p.add(
      'LOG_ANALYTICS_WORKSPACE_ID',
      'is required with QUERY_BACKEND=log-analytics. Fix: set it to the workspace ID (a GUID), or the output LOG_ANALYTICS_WORKSPACE_ID of infra/loganalytics.bicep.',
    );
  }
  const workspaceResourceId = value(env, 'LOG_ANALYTICS_WORKSPACE_RESOURCE_ID');
  if (workspaceResourceId !== undefined && !WORKSPACE_RESOURCE_ID.test(workspaceResourceId)) {
    p.add(
      'LOG_ANALYTICS_WORKSPACE_RESOURCE_ID',
      `must look like /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.OperationalInsights/workspaces/<name> (got "${workspaceResourceId}").`,
    );
  }
  const endpoint = value(env, 'LOGS_INGESTION_ENDPOINT');
  const dcr = value(env, 'LOGS_DCR_IMMUTABLE_ID');
  let forward: Config['logAnalytics']['forward'];
  if (endpoint !== undefined || dcr !== undefined) {
    // Checked only when set: a missing endpoint gets one "is required" problem, not two.
    const ingestUrl =
      endpoint === undefined
        ? ''
        : url(env, p, 'LOGS_INGESTION_ENDPOINT', 'https://<rule>.<region>-1.ingest.monitor.azure.com');
    if (endpoint === undefined)
      p.add(
        'LOGS_INGESTION_ENDPOINT',
        'is required with LOGS_DCR_IMMUTABLE_ID. Fix: set it to the logs ingestion endpoint of the data collection rule (output of infra/loganalytics.bicep).',
      );
    if (dcr === undefined)
      p.add(
        'LOGS_DCR_IMMUTABLE_ID',
        'is required with LOGS_INGESTION_ENDPOINT. Fix: set it to the immutable id of the data collection rule, "dcr-" and 32 hex digits.',
      );
    else if (!DCR_IMMUTABLE_ID.test(dcr))
      p.add('LOGS_DCR_IMMUTABLE_ID', `must be "dcr-" followed by 32 hex digits (got "${dcr}").`);
    const streamName = value(env, 'LOGS_STREAM_NAME') ?? 'Custom-MDEMachineActions_CL';
    if (!/^Custom-[A-Za-z][A-Za-z0-9_]{0,60}$/.test(streamName))
      p.add(
        'LOGS_STREAM_NAME',
        `must be "Custom-" and a table-like name (got "${streamName}"). Fix: remove it to use Custom-MDEMachineActions_CL.`,
      );
    forward = {
      endpoint: ingestUrl,
      dcrImmutableId: dcr ?? '',
      streamName,
      intervalMs: duration(env, p, 'LOGS_FORWARD_INTERVAL', '60s', 1000),
    };
  }
  return {
    queryBackend,
    workspaceId,
    workspaceResourceId,
    queryEndpoint: url(env, p, 'LOG_ANALYTICS_ENDPOINT', 'https://api.loganalytics.io/v1'),
    forward,
    adHocRowLimit: int(env, p, 'KQL_ROW_LIMIT', 20, 1, 100),
  };
}

/**
 * Parses the environment. Throws `ConfigError` listing every problem (variable, what is wrong,
 * the fix). `needs` names the sections the caller cannot run without.
 */
export function loadConfig(env: Env, needs: readonly ConfigNeed[] = []): Config {
  const p = problems();
  const defender = parseDefender(env, p, needs.includes('defender'));

  const levelRaw = value(env, 'LOG_LEVEL') ?? 'info';
  const level = (LOG_LEVELS as readonly string[]).includes(levelRaw) ? (levelRaw as Config['log']['level']) : undefined;
  if (level === undefined) p.add('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')} (got "${levelRaw}").`);

  const displayTimeZone = timeZone(env, p, 'DISPLAY_TIME_ZONE', 'UTC');
  const digestTimeZone = timeZone(env, p, 'DIGEST_TIMEZONE', 'UTC');
  const businessTimeZone =
    value(env, 'BUSINESS_TIME_ZONE') === undefined ? displayTimeZone : timeZone(env, p, 'BUSINESS_TIME_ZONE', 'UTC');
  const businessHoursText = value(env, 'BUSINESS_HOURS');
  const businessHours =
    businessHoursText === undefined ? null : parseBusinessHours(businessHoursText, businessTimeZone);
  if (typeof businessHours === 'string')
    p.add('BUSINESS_HOURS', `${businessHours} Fix: set it like BUSINESS_HOURS="Mon-Fri 08:00-18:00", or remove it.`);
  const config: Config = {
    defender,
    ingest: { pollIntervalMs: duration(env, p, 'MDE_POLL_INTERVAL', '30s', 1000) },
    store: {
      path: value(env, 'STORE_PATH') ?? './data/audit.db',
      locking: oneOf(env, p, 'STORE_LOCKING', ['normal', 'exclusive'] as const, 'normal'),
    },
    bot: parseBot(env, p),
    commands: {
      rateLimitPerMinute: int(env, p, 'COMMAND_RATE_LIMIT', 20, 1, 10_000),
      requestorNames: parseRequestorNames(env, p),
      kqlSchema: oneOf(env, p, 'LOG_ANALYTICS_SCHEMA', ['dcr', 'legacy'] as const, 'dcr'),
      displayTimeZone,
      adminIds: guidList(env, p, 'ADMIN_AAD_OBJECT_IDS'),
    },
    logAnalytics: parseLogAnalytics(env, p),
    log: { level: level ?? 'info' },
    digest: { schedule: cronSchedule(env, p, 'DIGEST_CRON', '0 8 * * *', digestTimeZone), timeZone: digestTimeZone },
    alerts: {
      types: (value(env, 'ALERT_ACTION_TYPES') ?? 'Isolate,Unisolate,RunAntiVirusScan')
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
      massActionCount: int(env, p, 'ALERT_MASS_ACTION_COUNT', 5, 2, 10_000),
      massActionWindowMs: duration(env, p, 'ALERT_MASS_ACTION_WINDOW', '10m', 60_000),
      knownRequestors: (value(env, 'KNOWN_REQUESTORS') ?? '')
        .split(',')
        .map((r) => r.trim().toLowerCase())
        .filter(Boolean),
      businessHours: typeof businessHours === 'string' ? null : businessHours,
      stormThreshold: int(env, p, 'ALERT_STORM_THRESHOLD', 10, 1, 1000),
    },
  };
  if (p.list.length > 0) throw new ConfigError(p.list);
  return deepFreeze(config);
}

/** The Defender section, or a ConfigError saying how to configure it. */
export function requireDefender(config: Config): DefenderConfig {
  if (config.defender === undefined) {
    throw new ConfigError([
      'MDE_TENANT_ID, MDE_CLIENT_ID, SECRET_MDE_CLIENT_SECRET: are required for this command. Fix: see env/.env.example.',
    ]);
  }
  return config.defender;
}

/** A summary safe to log: secrets appear only as "set" or "not set". */
export function summarizeConfig(config: Config): Record<string, unknown> {
  const d = config.defender;
  return {
    defender: d && {
      tenantId: d.tenantId,
      clientId: d.clientId,
      clientSecret: d.clientSecret === undefined ? 'not set' : 'set',
      certificate: d.certificate === undefined ? 'not set' : 'set',
      apiBaseUrl: d.apiBaseUrl,
      authorityHost: d.authorityHost,
      caCertFile: d.caCertFile ?? 'not set',
      pageSize: d.pageSize,
      overlapMs: d.overlapMs,
      backfillDays: d.backfillDays,
      fallbackWindowMs: d.fallbackWindowMs,
      budget: `${d.budgetPerMinute}/min, ${d.budgetPerHour}/h`,
    },
    ingest: config.ingest,
    store: config.store,
    bot: {
      id: config.bot.id ?? 'not set (unauthenticated, loopback only)',
      password: config.bot.password === undefined ? 'not set' : 'set',
      tenantId: config.bot.tenantId ?? 'not set',
      authType: config.bot.authType,
      allowedTenants: config.bot.allowedTenants.length > 0 ? config.bot.allowedTenants : 'any',
      host: config.bot.host,
      port: config.bot.port,
    },
    commands: { ...config.commands, requestorNames: config.commands.requestorNames.size },
    logAnalytics: config.logAnalytics,
    log: config.log,
  };
}

function deepFreeze<T>(obj: T): T {
  if (obj !== null && typeof obj === 'object' && !Object.isFrozen(obj)) {
    Object.freeze(obj);
    for (const v of Object.values(obj)) deepFreeze(v);
  }
  return obj;
}
