/** The checks of the services around the bot: the Teams bot's Bot Framework sign-in, and Log Analytics. */
import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import { asAppError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { createHttpTransport } from '../defender/http.js';
import { createMsalTokenProvider } from '../defender/token.js';
import { authPolicy } from '../teams/adapter.js';
import { splitProblem } from './checks-config.js';
import {
  DOCTOR_TIMEOUT_MS,
  NO_CONFIG,
  failure,
  ok,
  skip,
  type BotCredentials,
  type DoctorContext,
  type KqlRunnerFactory,
} from './context.js';
import type { DoctorOutcome } from './doctor.js';

const BOT_FRAMEWORK_SCOPE = 'https://api.botframework.com/.default';
const MONITOR_SCOPE = 'https://monitor.azure.com/.default';

/** A Bot Framework token through the same msal path as the MDE token, on the public cloud. */
export async function defaultBotToken(bot: BotCredentials): Promise<string> {
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

/** Needs `ctx.config`: the bot's authentication settings and, with a client secret, a Bot Framework token. */
export async function checkTeamsBot(
  ctx: DoctorContext,
  botToken: (bot: BotCredentials) => Promise<string> = defaultBotToken,
): Promise<DoctorOutcome> {
  if (ctx.config === undefined) return skip(NO_CONFIG);
  const bot = ctx.config.bot;
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
    return skip(
      `BOT_AUTH_TYPE=UserAssignedMSI (managed identity ${bot.id}, tenant ${bot.tenantId ?? 'not set'}): ` +
        'its token can only be obtained inside Azure',
    );
  }
  if (bot.tenantId === undefined || bot.password === undefined) {
    return skip('BOT_TENANT_ID or SECRET_BOT_PASSWORD is not set');
  }
  try {
    await botToken({ tenantId: bot.tenantId, clientId: bot.id, secret: bot.password });
  } catch (err) {
    const e = asAppError(err);
    return {
      status: 'fail',
      detail: `app ${bot.id} in tenant ${bot.tenantId} could not get a Bot Framework token: ${e.message}`,
      fix:
        "check BOT_ID (the Azure Bot's Microsoft App ID), BOT_TENANT_ID and SECRET_BOT_PASSWORD " +
        '(an expired client secret is the usual cause).',
    };
  }
  return ok(
    `app ${bot.id} in tenant ${bot.tenantId} got a Bot Framework token; answering tenants: ${tenants}; ` +
      `listening on ${bot.host}:${bot.port}`,
  );
}

/** The Azure credential of both Log Analytics checks, kept in `ctx`: the injected one, else DefaultAzureCredential. */
function azureCredential(ctx: DoctorContext, injected: TokenCredential | undefined): TokenCredential {
  return (ctx.credential ??= injected ?? new DefaultAzureCredential());
}

/** Needs `ctx.config`: when forwarding is configured, an Azure token for the Logs Ingestion API. */
export async function checkLogAnalyticsForwarding(
  ctx: DoctorContext,
  credential?: TokenCredential,
): Promise<DoctorOutcome> {
  if (ctx.config === undefined) return skip(NO_CONFIG);
  const f = ctx.config.logAnalytics.forward;
  if (f === undefined) return skip('not configured: LOGS_INGESTION_ENDPOINT is not set');
  const where = `endpoint ${f.endpoint}, rule ${f.dcrImmutableId}, stream ${f.streamName}`;
  let got: Awaited<ReturnType<TokenCredential['getToken']>>;
  try {
    got = await azureCredential(ctx, credential).getToken(MONITOR_SCOPE);
  } catch (err) {
    return {
      status: 'fail',
      detail: `${where}: no Azure token for ${MONITOR_SCOPE}: ${asAppError(err).message}`,
      fix:
        'give the bot an Azure identity DefaultAzureCredential finds: a managed identity in Azure, ' +
        'or AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET elsewhere.',
    };
  }
  if (got === null) {
    return {
      status: 'fail',
      detail: `${where}: the Azure credential returned no token for ${MONITOR_SCOPE}`,
      fix: 'check the identity configuration (managed identity or AZURE_* variables).',
    };
  }
  return ok(
    `${where}: the Azure credential got a token for ${MONITOR_SCOPE} ` +
      '(the Monitoring Metrics Publisher role on the rule is checked by the first upload)',
  );
}

/** Needs `ctx.config`: in Log Analytics query mode, `print ok = 1` through the runner `kqlRunner` builds. */
export async function checkLogAnalyticsQueries(
  ctx: DoctorContext,
  kqlRunner: KqlRunnerFactory,
  credential?: TokenCredential,
): Promise<DoctorOutcome> {
  const config = ctx.config;
  if (config === undefined) return skip(NO_CONFIG);
  const la = config.logAnalytics;
  if (la.queryBackend !== 'log-analytics') return skip('not configured: QUERY_BACKEND is sqlite');
  const runner = kqlRunner(config, azureCredential(ctx, credential));
  if (runner === undefined) return skip('LOG_ANALYTICS_WORKSPACE_ID is not set');
  const query = 'print ok = 1';
  try {
    const result = await runner.run(query);
    const value = result.rows[0]?.['ok'];
    if (value !== 1 && value !== '1') {
      // At most 200 characters of the rows, to stay one line.
      const rows = JSON.stringify(result.rows).slice(0, 200);
      return {
        status: 'warn',
        detail: `workspace ${la.workspaceId ?? ''} answered "${query}" with ${rows}`,
        fix: `check LOG_ANALYTICS_ENDPOINT (${la.queryEndpoint}).`,
      };
    }
    const links =
      la.workspaceResourceId === undefined
        ? 'no portal links: LOG_ANALYTICS_WORKSPACE_RESOURCE_ID is not set'
        : 'portal links on';
    return ok(`workspace ${la.workspaceId ?? ''} at ${la.queryEndpoint} answered "${query}" (${links})`);
  } catch (err) {
    return failure(
      err,
      "check LOG_ANALYTICS_WORKSPACE_ID and that the bot's identity has the Log Analytics Reader role on the workspace.",
    );
  }
}
