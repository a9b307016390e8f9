/**
 * The concrete checks of `defender-audit-bot doctor`: a composition root like main.ts and cli.ts
 * (it constructs the token provider, the Defender client, the store probe and the Azure clients);
 * src/doctor/ only runs and prints them. Checks run in order and share what they found through
 * this closure: a check whose input is missing (no configuration, no token) reports 'skip'.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import { systemClock, type Clock } from './core/clock.js';
import { ConfigError, asAppError } from './core/errors.js';
import { silentLogger } from './core/logger.js';
import { loadConfig, type Config, type DefenderConfig, type Env } from './config/config.js';
import { createCallBudget } from './defender/budget.js';
import { createDefenderClient } from './defender/client.js';
import { createHttpTransport, type HttpTransport } from './defender/http.js';
import { createMsalTokenProvider, type TokenProvider } from './defender/token.js';
import { decodeJwtPayload, missingRoles, tokenRoles, type DoctorCheck, type DoctorOutcome } from './doctor/index.js';
import { inspectSqliteStore } from './store/inspect.js';
import { storeFix } from './store/sqlite-errors.js';
import { authPolicy } from './teams/adapter.js';
import { buildKqlRunner, type AzureDeps } from './app/azure.js';

/** The Bot Framework token request of a single-tenant bot (client credentials). */
export interface BotCredentials {
  tenantId: string;
  clientId: string;
  secret: string;
}

export interface DoctorDeps {
  clock?: Clock;
  /** Azure SDK credential and HTTP client (Log Analytics); DefaultAzureCredential and the SDK's client unless injected. */
  azure?: AzureDeps;
  /** Gets a Bot Framework token; by default msal client credentials against login.microsoftonline.com. */
  botToken?: (bot: BotCredentials) => Promise<string>;
  /** `doctor --deep`: the store's full `integrity_check` instead of `quick_check`. */
  deepStoreCheck?: boolean;
}

const READ_ROLE = 'Machine.Read.All';
const BOT_FRAMEWORK_SCOPE = 'https://api.botframework.com/.default';
const MONITOR_SCOPE = 'https://monitor.azure.com/.default';
/** Doctor's own limits: one quick attempt, not the ingest's patient retries. */
const DOCTOR_TIMEOUT_MS = 30_000;

const ok = (detail: string): DoctorOutcome => ({ status: 'ok', detail });
const skip = (detail: string): DoctorOutcome => ({ status: 'skip', detail });
const fmt = (n: number): string => n.toLocaleString('en-US');
/** A check whose work is synchronous (a throw still becomes a rejection). */
const sync = (fn: () => DoctorOutcome) => (): Promise<DoctorOutcome> => Promise.resolve().then(fn);

/** A failure outcome from an error: its message, and its own fix or the given one. */
function failure(err: unknown, fallbackFix: string): DoctorOutcome {
  const e = asAppError(err);
  return { status: 'fail', detail: e.message, fix: e.fix ?? fallbackFix };
}

/** A problem line of ConfigError ("VAR: what. Fix: how.") split into message and fix. */
function splitProblem(problem: string): { message: string; fix: string | undefined } {
  const at = problem.indexOf(' Fix: ');
  return at < 0 ? { message: problem, fix: undefined } : { message: problem.slice(0, at), fix: problem.slice(at + ' Fix: '.length) };
}

/** Each configuration problem with its fix, on one line. */
export function configFailure(problems: readonly string[]): DoctorOutcome {
  const parts = problems.map(splitProblem).map((p) => {
    const colon = p.message.indexOf(':');
    const variable = colon > 0 ? p.message.slice(0, colon) : undefined;
    return { message: p.message.replace(/\.$/, ''), variable, fix: p.fix ?? `set ${variable ?? 'it'} as env/.env.example describes.` };
  });
  if (parts.length === 1 && parts[0] !== undefined) return { status: 'fail', detail: parts[0].message, fix: parts[0].fix };
  return {
    status: 'fail',
    detail: `${parts.length} problems: ${parts.map((p) => p.message).join('; ')}`,
    fix: parts.map((p) => (p.variable === undefined ? p.fix : `${p.variable}: ${p.fix}`)).join(' '),
  };
}

function ago(iso: string, nowMs: number): string {
  const ms = nowMs - Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  if (ms < 0) return `${iso} (in the future: check the clock)`;
  const min = Math.round(ms / 60_000);
  if (min < 1) return `${iso} (just now)`;
  if (min < 120) return `${iso} (${min} min ago)`;
  const h = Math.round(min / 60);
  return h < 48 ? `${iso} (${h} h ago)` : `${iso} (${Math.round(h / 24)} days ago)`;
}

/** The nearest existing folder on the way up from `path`'s folder. */
function nearestExistingDir(path: string): string {
  let dir = dirname(resolve(path));
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** A Bot Framework token through the same msal path as the MDE token, on the public cloud. */
async function defaultBotToken(bot: BotCredentials): Promise<string> {
  const http = createHttpTransport();
  try {
    const tokens = createMsalTokenProvider({
      tenantId: bot.tenantId,
      clientId: bot.clientId,
      clientSecret: bot.secret,
      authorityHost: 'https://login.microsoftonline.com',
      scope: BOT_FRAMEWORK_SCOPE,
      http,
      timeoutMs: DOCTOR_TIMEOUT_MS,
      logger: silentLogger,
    });
    return await tokens.getToken();
  } finally {
    http.close();
  }
}

export interface DoctorPlan {
  checks: DoctorCheck[];
  /** Releases what the checks opened (HTTP connections). */
  close(): void;
}

/** The checks, in order: configuration, MDE token, permissions, API, store, Teams bot, Log Analytics. */
export function doctorChecks(env: Env, deps: DoctorDeps = {}): DoctorPlan {
  const clock = deps.clock ?? systemClock;
  let config: Config | undefined;
  let defender: DefenderConfig | undefined;
  let http: HttpTransport | undefined;
  let tokens: TokenProvider | undefined;
  let token: string | undefined;
  let credential: TokenCredential | undefined;
  const azureCredential = (): TokenCredential => (credential ??= deps.azure?.credential ?? new DefaultAzureCredential());
  const noConfig = 'the configuration is invalid';

  const checks: DoctorCheck[] = [
    {
      name: 'configuration',
      run: sync(() => {
        try {
          config = loadConfig(env, ['defender']);
        } catch (err) {
          if (err instanceof ConfigError) return configFailure(err.problems);
          throw err;
        }
        defender = config.defender;
        if (defender === undefined) return { status: 'fail', detail: 'the MDE section is missing', fix: 'set MDE_TENANT_ID, MDE_CLIENT_ID and SECRET_MDE_CLIENT_SECRET (see env/.env.example).' };
        const credentialKind = defender.certificate !== undefined ? 'certificate' : 'client secret';
        return ok(
          `MDE tenant ${defender.tenantId}, app ${defender.clientId} (${credentialKind}), API ${defender.apiBaseUrl}, sign-in ${defender.authorityHost}; ` +
            `store ${config.store.path}; queries from ${config.logAnalytics.queryBackend === 'sqlite' ? 'the SQLite store' : 'Log Analytics'}`,
        );
      }),
    },
    {
      name: 'MDE token',
      async run() {
        if (defender === undefined) return skip(noConfig);
        const d = defender;
        let ca: Buffer | undefined;
        if (d.caCertFile !== undefined) {
          try {
            ca = readFileSync(d.caCertFile);
          } catch (err) {
            return { status: 'fail', detail: `cannot read MDE_CA_CERT_FILE ${d.caCertFile} (${(err as Error).message})`, fix: 'point MDE_CA_CERT_FILE at the PEM file the simulator printed, or unset it.' };
          }
        }
        http = createHttpTransport({ ca });
        try {
          tokens = createMsalTokenProvider({
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
          token = await tokens.getToken();
        } catch (err) {
          const certificate = d.certificate !== undefined;
          return failure(
            err,
            certificate
              ? 'check MDE_TENANT_ID, MDE_CLIENT_ID, MDE_CLIENT_CERTIFICATE_PATH and MDE_CLIENT_CERTIFICATE_THUMBPRINT (the certificate must be uploaded to the app registration).'
              : 'check MDE_TENANT_ID, MDE_CLIENT_ID and SECRET_MDE_CLIENT_SECRET (an expired client secret is the usual cause).',
          );
        }
        let validity = '';
        try {
          const exp = decodeJwtPayload(token)['exp'];
          if (typeof exp === 'number') validity = `, valid for ${Math.max(0, Math.round((exp * 1000 - clock.now()) / 60_000))} min`;
        } catch {
          // Reported by the permissions check.
        }
        return ok(`signed in to ${d.authorityHost}/${d.tenantId} as app ${d.clientId} (${d.certificate !== undefined ? 'certificate' : 'client secret'}) for ${d.scope}${validity}`);
      },
    },
    {
      name: 'MDE permissions',
      run: sync(() => {
        if (defender === undefined) return skip(noConfig);
        if (token === undefined) return skip('no MDE token');
        const roles = tokenRoles(decodeJwtPayload(token));
        const missing = missingRoles(roles);
        const listed = roles.length > 0 ? roles.join(', ') : 'none';
        if (missing.length > 0) {
          return {
            status: 'fail',
            detail: `the token's roles claim grants ${listed}; missing ${missing.join(', ')} (needed to list machine actions)`,
            fix: `In Entra ID → App registrations → ${defender.clientId} → API permissions, add WindowsDefenderATP → Application → ${missing.join(', ')} and grant admin consent.`,
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
      }),
    },
    {
      name: 'MDE API',
      async run() {
        if (defender === undefined) return skip(noConfig);
        if (tokens === undefined || http === undefined || token === undefined) return skip('no MDE token');
        const d = defender;
        const client = createDefenderClient({
          apiBaseUrl: d.apiBaseUrl,
          tokens,
          http,
          budget: createCallBudget({ perMinute: d.budgetPerMinute, perHour: d.budgetPerHour, clock }),
          clock,
          logger: silentLogger,
          requestTimeoutMs: Math.min(d.requestTimeoutMs, DOCTOR_TIMEOUT_MS),
          maxRetries: Math.min(d.maxRetries, 1),
          maxRetryAfterMs: 10_000,
        });
        try {
          const page = await client.listMachineActions({ top: 1 });
          const what = `GET ${d.apiBaseUrl}/api/machineactions?$top=1 returned ${page.received} action${page.received === 1 ? '' : 's'}`;
          if (page.invalid.length > 0) {
            return { status: 'warn', detail: `${what}, which failed validation: ${page.invalid[0]?.reason ?? 'unknown reason'}`, fix: 'the ingest quarantines such items; report the field to the maintainers if it persists.' };
          }
          return ok(page.received === 0 ? `${what} (no machine actions in this tenant yet)` : what);
        } catch (err) {
          return failure(err, 'check MDE_API_BASE_URL (your cloud\'s API host) and the network path to it.');
        }
      },
    },
    {
      name: 'store',
      run: sync(() => {
        if (config === undefined) return skip(noConfig);
        const path = config.store.path;
        let found: ReturnType<typeof inspectSqliteStore>;
        try {
          found = inspectSqliteStore(path, { deep: deps.deepStoreCheck === true, locking: config.store.locking });
        } catch (err) {
          return failure(err, 'check STORE_PATH.');
        }
        if (found !== undefined && found.integrity.length > 0) {
          const n = found.integrity.length;
          return {
            status: 'fail',
            detail: `${path} is damaged (${found.integrityCheck}: ${found.integrity[0] ?? ''}${n > 1 ? `, and ${n - 1}${n === 20 ? ' or more' : ''} more findings` : ''})`,
            fix: storeFix('corrupt', path, config.store.locking),
          };
        }
        if (found === undefined) {
          const dir = nearestExistingDir(path);
          try {
            accessSync(dir, constants.W_OK);
          } catch {
            return { status: 'fail', detail: `no store at ${path}, and ${dir} is not writable, so none can be created`, fix: 'set STORE_PATH to a file in a folder the bot can write to.' };
          }
          return { status: 'warn', detail: `no store at ${path} yet`, fix: 'it is created by the first "defender-audit-bot ingest --once" or "start"; set STORE_PATH if the store lives elsewhere.' };
        }
        if (found.schemaVersion === 0 || found.actions === null) {
          return { status: 'fail', detail: `${path} is not a defender-audit-bot store (no schema version or actions table)`, fix: 'set STORE_PATH to the bot\'s database, or move this file away.' };
        }
        if (found.schemaVersion > found.latestVersion) {
          return {
            status: 'fail',
            detail: `${path} is at schema version ${found.schemaVersion}, newer than this program knows (${found.latestVersion})`,
            fix: 'run the newer version of defender-audit-bot that wrote it, or restore a backup taken before the upgrade.',
          };
        }
        const facts = [`${path}: schema version ${found.schemaVersion}`, `${fmt(found.actions)} actions`];
        if (found.forwardBacklog !== null && found.forwardBacklog > 0) facts.push(`${fmt(found.forwardBacklog)} versions waiting to be forwarded to Log Analytics`);
        const nowMs = clock.now();
        facts.push(found.lastSuccessAt === null ? 'no ingest has succeeded yet' : `last successful ingest ${ago(found.lastSuccessAt, nowMs)}`);
        const detail = facts.join(', ');
        if (found.schemaVersion < found.latestVersion) {
          return { status: 'warn', detail: `${detail}; the next start migrates it to schema version ${found.latestVersion}`, fix: 'nothing to do; back the file up first if you may need to go back to the older version.' };
        }
        if (found.lastErrorAt !== null && (found.lastSuccessAt === null || found.lastErrorAt > found.lastSuccessAt)) {
          return { status: 'warn', detail: `${detail}; the last run failed ${ago(found.lastErrorAt, nowMs)}: ${found.lastError ?? 'no message'}`, fix: 'see the checks above; "defender-audit-bot ingest --once" shows the error in full.' };
        }
        if (found.lastSuccessAt === null) return { status: 'warn', detail, fix: 'run "defender-audit-bot ingest --once" or "start".' };
        return ok(detail);
      }),
    },
    {
      name: 'Teams bot',
      async run() {
        if (config === undefined) return skip(noConfig);
        const bot = config.bot;
        if (bot.id === undefined) {
          const refusal = authPolicy({ botId: undefined, host: bot.host });
          if (refusal !== undefined) {
            const { message, fix } = splitProblem(refusal);
            return { status: 'fail', detail: message, fix: fix ?? 'set BOT_ID, or HOST=127.0.0.1.' };
          }
          return {
            status: 'warn',
            detail: `BOT_ID is not set: Bot Framework authentication is off (local use on ${bot.host}:${bot.port} only)`,
            fix: 'for Teams, register an Azure Bot (single tenant) and set BOT_ID, BOT_TENANT_ID and SECRET_BOT_PASSWORD.',
          };
        }
        const tenants = bot.allowedTenants.length > 0 ? bot.allowedTenants.join(', ') : 'any';
        if (bot.authType === 'UserAssignedMSI') {
          return skip(`BOT_AUTH_TYPE=UserAssignedMSI (managed identity ${bot.id}, tenant ${bot.tenantId ?? 'not set'}): its token can only be obtained inside Azure`);
        }
        if (bot.tenantId === undefined || bot.password === undefined) return skip('BOT_TENANT_ID or SECRET_BOT_PASSWORD is not set');
        try {
          await (deps.botToken ?? defaultBotToken)({ tenantId: bot.tenantId, clientId: bot.id, secret: bot.password });
        } catch (err) {
          const e = asAppError(err);
          return {
            status: 'fail',
            detail: `app ${bot.id} in tenant ${bot.tenantId} could not get a Bot Framework token: ${e.message}`,
            fix: 'check BOT_ID (the Azure Bot\'s Microsoft App ID), BOT_TENANT_ID and SECRET_BOT_PASSWORD (an expired client secret is the usual cause).',
          };
        }
        return ok(`app ${bot.id} in tenant ${bot.tenantId} got a Bot Framework token; answering tenants: ${tenants}; listening on ${bot.host}:${bot.port}`);
      },
    },
    {
      name: 'Log Analytics forwarding',
      async run() {
        if (config === undefined) return skip(noConfig);
        const f = config.logAnalytics.forward;
        if (f === undefined) return skip('not configured: LOGS_INGESTION_ENDPOINT is not set');
        const where = `endpoint ${f.endpoint}, rule ${f.dcrImmutableId}, stream ${f.streamName}`;
        let got: Awaited<ReturnType<TokenCredential['getToken']>>;
        try {
          got = await azureCredential().getToken(MONITOR_SCOPE);
        } catch (err) {
          return {
            status: 'fail',
            detail: `${where}: no Azure token for ${MONITOR_SCOPE}: ${asAppError(err).message}`,
            fix: 'give the bot an Azure identity DefaultAzureCredential finds: a managed identity in Azure, or AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET elsewhere.',
          };
        }
        if (got === null) return { status: 'fail', detail: `${where}: the Azure credential returned no token for ${MONITOR_SCOPE}`, fix: 'check the identity configuration (managed identity or AZURE_* variables).' };
        return ok(`${where}: the Azure credential got a token for ${MONITOR_SCOPE} (the Monitoring Metrics Publisher role on the rule is checked by the first upload)`);
      },
    },
    {
      name: 'Log Analytics queries',
      async run() {
        if (config === undefined) return skip(noConfig);
        const la = config.logAnalytics;
        if (la.queryBackend !== 'log-analytics') return skip('not configured: QUERY_BACKEND is sqlite');
        const runner = buildKqlRunner(config, { clock, azure: { ...deps.azure, credential: azureCredential() } });
        if (runner === undefined) return skip('LOG_ANALYTICS_WORKSPACE_ID is not set');
        const query = 'print ok = 1';
        try {
          const result = await runner.run(query);
          const value = result.rows[0]?.['ok'];
          if (value !== 1 && value !== '1') {
            return { status: 'warn', detail: `workspace ${la.workspaceId ?? ''} answered "${query}" with ${JSON.stringify(result.rows).slice(0, 200)}`, fix: `check LOG_ANALYTICS_ENDPOINT (${la.queryEndpoint}).` };
          }
          return ok(`workspace ${la.workspaceId ?? ''} at ${la.queryEndpoint} answered "${query}" (${la.workspaceResourceId === undefined ? 'no portal links: LOG_ANALYTICS_WORKSPACE_RESOURCE_ID is not set' : 'portal links on'})`);
        } catch (err) {
          return failure(err, 'check LOG_ANALYTICS_WORKSPACE_ID and that the bot\'s identity has the Log Analytics Reader role on the workspace.');
        }
      },
    },
  ];
  return {
    checks,
    close() {
      http?.close();
    },
  };
}
