/**
 * The Bot Framework adapter: botbuilder's CloudAdapter with ConfigurationBotFrameworkAuthentication,
 * an HTTP entry point that reports through our Logger, and a turn-error funnel.
 *
 * Authentication modes (from the options, never from process.env):
 * - `botId` + `botPassword` + `botTenantId`: single-tenant app registration (`SingleTenant`);
 *   `botId` + `botPassword` alone: multi-tenant (`MultiTenant`, botbuilder's default).
 * - `managedIdentityClientId` + `botTenantId`: user-assigned managed identity (`UserAssignedMSI`);
 *   the bot's app id is the identity's client id.
 * - none of these: authentication disabled. Inbound requests need no JWT and outbound calls carry no
 *   Authorization header; acceptable on loopback only (see `authPolicy`).
 */
import {
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type Activity,
  type ConfigurationBotFrameworkAuthenticationOptions,
  type TurnContext,
} from 'botbuilder';
import { ConfigError, describeError, asAppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { createTokenGate } from './token-gate.js';

export interface BotAdapterOptions {
  /** Microsoft App ID of the bot registration (BOT_ID). */
  botId?: string;
  /** Client secret of the bot registration (SECRET_BOT_PASSWORD). */
  botPassword?: string;
  /** Entra ID tenant of a single-tenant or managed-identity bot (BOT_TENANT_ID). */
  botTenantId?: string;
  /** Client id of a user-assigned managed identity used as the bot identity. */
  managedIdentityClientId?: string;
  /**
   * Where botbuilder downloads the token signing keys (OpenID metadata); its public-cloud defaults
   * unless set (tests point them at loopback).
   */
  openIdMetadataUrls?: { channel?: string; emulator?: string };
  /** Token validation bounds (token-gate.ts); defaults: 10 s per request, back-off 10 s doubling to 5 min. */
  tokenValidation?: { timeoutMs?: number; backoffMs?: number; maxBackoffMs?: number };
  /** Epoch ms; the system clock unless a test pins it. */
  now?: () => number;
  logger: Logger;
}

/** The parts of an HTTP request the adapter reads; restify's and express's requests fit. */
export interface BotHttpRequest {
  /** The parsed JSON body. */
  body?: unknown;
  headers: Record<string, string | string[] | undefined>;
  method?: string;
}

/** The parts of an HTTP response the adapter writes; restify's and express's responses fit. */
export interface BotHttpResponse {
  status(code: number): unknown;
  /** Sends the body (objects as JSON) and ends the response. */
  send(body?: unknown): unknown;
  end(): unknown;
}

/** Anything that runs a turn: the activity handler of handler.ts. */
export interface TurnRunner {
  run(context: TurnContext): Promise<void>;
}

export type AuthMode = 'none' | 'SingleTenant' | 'MultiTenant' | 'UserAssignedMSI';

export interface BotAdapter {
  /** The botbuilder adapter, for the gateway (src/teams only). */
  readonly cloudAdapter: CloudAdapter;
  readonly authMode: AuthMode;
  /** App id for outbound calls: the bot's app id, or '' when authentication is disabled. */
  readonly appId: string;
  /**
   * Handles one POST /api/messages: authenticates it (401 without a valid Bot Framework JWT when
   * authentication is on), runs `bot` for the activity and writes the response (200, or the invoke
   * response). Never rejects: failures are logged here and answered with a status.
   */
  process(req: BotHttpRequest, res: BotHttpResponse, bot: TurnRunner): Promise<void>;
}

/** What the user sees when a turn fails; details go to the log only. */
export const APOLOGY = 'Sorry, something went wrong on my side. Please try again in a moment.';

/** Subclass only to reach the protected `processActivity` (authentication + turn) without `process`'s console output. */
class AuditCloudAdapter extends CloudAdapter {
  runActivity(authHeader: string, activity: Activity, logic: (context: TurnContext) => Promise<void>) {
    return this.processActivity(authHeader, activity, logic);
  }
}

export function createBotAdapter(options: BotAdapterOptions): BotAdapter {
  const logger = options.logger.child({ component: 'teams' });
  const { settings, mode, appId } = authSettings(options);
  const urls = options.openIdMetadataUrls;
  if (urls !== undefined) {
    // Setting one endpoint makes botbuilder expect all of them ("parameterized" authentication):
    // the others keep the public cloud's values (botframework-connector's AuthenticationConstants).
    Object.assign(settings, {
      ToChannelFromBotLoginUrl: 'https://login.microsoftonline.com/botframework.com',
      ToChannelFromBotOAuthScope: 'https://api.botframework.com',
      ToBotFromChannelTokenIssuer: 'https://api.botframework.com',
      OAuthUrl: 'https://api.botframework.com',
      CallerId: 'urn:botframework:azure',
      ToBotFromChannelOpenIdMetadataUrl:
        urls.channel ?? 'https://login.botframework.com/v1/.well-known/openidconfiguration',
      ToBotFromEmulatorOpenIdMetadataUrl:
        urls.emulator ?? 'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
    });
  }
  const adapter = new AuditCloudAdapter(new ConfigurationBotFrameworkAuthentication(settings));
  const gate = createTokenGate({
    appId,
    now: options.now ?? Date.now,
    timeoutMs: options.tokenValidation?.timeoutMs ?? 10_000,
    backoffMs: options.tokenValidation?.backoffMs ?? 10_000,
    maxBackoffMs: options.tokenValidation?.maxBackoffMs ?? 300_000,
  });

  adapter.onTurnError = async (context, error) => {
    const activity = context.activity;
    const e = asAppError(error);
    logger.error('turn failed', {
      error: describeError(e),
      code: e.code,
      activityType: activity?.type,
      activityId: activity?.id,
      conversationId: activity?.conversation?.id,
    });
    // Apologise only to a person who wrote to the bot; proactive and event turns get no message.
    if (activity?.type !== 'message') return;
    try {
      await context.sendActivity(APOLOGY);
    } catch (sendErr) {
      logger.warn('could not send the apology', {
        error: describeError(sendErr),
        conversationId: activity.conversation?.id,
      });
    }
  };

  return {
    cloudAdapter: adapter,
    authMode: mode,
    appId,
    async process(req, res, bot) {
      const reply = (status: number, body?: unknown): void => {
        res.status(status);
        if (body === undefined) res.end();
        else res.send(body);
      };
      const body = req.body;
      if (
        typeof body !== 'object' ||
        body === null ||
        Array.isArray(body) ||
        typeof (body as Record<string, unknown>)['type'] !== 'string'
      ) {
        reply(400, { error: 'expected a Bot Framework activity (a JSON object with a type)' });
        return;
      }
      const activity = fixTimestamps(body as Record<string, unknown>);
      const auth = req.headers['authorization'] ?? req.headers['Authorization'];
      const authHeader = typeof auth === 'string' ? auth : '';
      const fields = (error: string) => ({
        error,
        activityType: activity['type'],
        conversationId: conversationIdOf(activity),
      });
      const unauthorized = (why: string): void => {
        logger.warn('rejected an unauthenticated request', fields(why));
        reply(401, { error: 'unauthorized' });
      };
      // Checked above: an object with a string `type`; botbuilder validates the rest as it reads it.
      const run = (authenticated: () => boolean) =>
        adapter.runActivity(authHeader, activity as unknown as Activity, async (ctx) => {
          if (authenticated()) await bot.run(ctx);
        });
      try {
        if (mode === 'none') {
          const invokeResponse = await run(() => true);
          reply(invokeResponse?.status ?? 200, invokeResponse?.body);
          return;
        }
        const never = gate.precheck(authHeader);
        if (never !== undefined) {
          unauthorized(never);
          return;
        }
        const admission = await gate.admit(run, (err) => (authStatusOf(err) !== undefined ? 'verdict' : 'keys'));
        if (!admission.admitted) {
          unauthorized(admission.reason);
          return;
        }
        reply(admission.value?.status ?? 200, admission.value?.body);
      } catch (err) {
        const status = authStatusOf(err);
        if (status !== undefined) {
          logger.warn('rejected an unauthenticated request', fields(describeError(err)));
          reply(status, { error: status === 401 ? 'unauthorized' : 'forbidden' });
        } else {
          logger.error('could not process the activity', fields(describeError(err)));
          reply(500, { error: 'internal error' });
        }
      }
    },
  };
}

/**
 * Refuses to run without authentication anywhere but loopback: returns the reason as one line for
 * the operator, or undefined when the combination is acceptable. Pure.
 */
export function authPolicy(options: {
  botId?: string | undefined;
  managedIdentityClientId?: string | undefined;
  host: string;
}): string | undefined {
  const authenticated = Boolean(options.botId?.trim() || options.managedIdentityClientId?.trim());
  if (authenticated || isLoopback(options.host)) return undefined;
  return (
    `Refusing to listen on ${options.host || 'all interfaces'} with Bot Framework authentication disabled: anyone who can reach the port could impersonate Teams. ` +
    'Fix: set BOT_ID and SECRET_BOT_PASSWORD (and BOT_TENANT_ID), or bind to 127.0.0.1 for local testing.'
  );
}

/** True for the loopback addresses and names we accept for an unauthenticated bot. */
export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  return h === '127.0.0.1' || h === '::1' || h === 'localhost';
}

function authSettings(o: BotAdapterOptions): {
  settings: ConfigurationBotFrameworkAuthenticationOptions;
  mode: AuthMode;
  appId: string;
} {
  const botId = o.botId?.trim() || undefined;
  const password = o.botPassword?.trim() || undefined;
  const tenant = o.botTenantId?.trim() || undefined;
  const mi = o.managedIdentityClientId?.trim() || undefined;
  const problems: string[] = [];
  if (mi !== undefined) {
    if (tenant === undefined)
      problems.push('BOT_TENANT_ID: is required with a managed identity. Fix: set it to the tenant of the identity.');
    if (password !== undefined)
      problems.push('SECRET_BOT_PASSWORD: must not be set with a managed identity. Fix: remove it.');
    if (botId !== undefined && botId !== mi)
      problems.push(
        'BOT_ID: must equal the managed identity client id when both are set. Fix: remove BOT_ID or correct it.',
      );
    if (problems.length) throw new ConfigError(problems);
    return {
      settings: { MicrosoftAppType: 'UserAssignedMSI', MicrosoftAppId: mi, MicrosoftAppTenantId: tenant },
      mode: 'UserAssignedMSI',
      appId: mi,
    };
  }
  if (botId === undefined) {
    if (password !== undefined)
      throw new ConfigError([
        'BOT_ID: is required when SECRET_BOT_PASSWORD is set. Fix: set the bot app id, or remove the password.',
      ]);
    return { settings: {}, mode: 'none', appId: '' };
  }
  if (password === undefined)
    throw new ConfigError([
      'SECRET_BOT_PASSWORD: is required when BOT_ID is set. Fix: set the client secret of the bot app registration.',
    ]);
  if (tenant !== undefined) {
    return {
      settings: {
        MicrosoftAppType: 'SingleTenant',
        MicrosoftAppId: botId,
        MicrosoftAppPassword: password,
        MicrosoftAppTenantId: tenant,
      },
      mode: 'SingleTenant',
      appId: botId,
    };
  }
  return {
    settings: { MicrosoftAppType: 'MultiTenant', MicrosoftAppId: botId, MicrosoftAppPassword: password },
    mode: 'MultiTenant',
    appId: botId,
  };
}

/** As botbuilder's validateAndFixActivity: ISO timestamp strings become Dates, raw strings kept. */
function fixTimestamps(activity: Record<string, unknown>): Record<string, unknown> {
  for (const [field, raw] of [
    ['timestamp', 'rawTimestamp'],
    ['expiration', 'rawExpiration'],
    ['localTimestamp', 'rawLocalTimestamp'],
  ] as const) {
    const v = activity[field];
    if (typeof v === 'string') {
      activity[raw] = v;
      activity[field] = new Date(v);
    }
  }
  return activity;
}

/**
 * 401/403 for botbuilder's AuthenticationError (not exported by botbuilder; matched by its
 * statusCode). Its 500 ("Failed to load openID config") is key trouble, not a verdict on the token.
 */
function authStatusOf(err: unknown): number | undefined {
  if (!(err instanceof Error) || err.name === 'RestError') return undefined;
  const status = (err as Error & { statusCode?: unknown }).statusCode;
  return status === 401 || status === 403 ? status : undefined;
}

function conversationIdOf(activity: Record<string, unknown>): unknown {
  const c = activity['conversation'];
  return typeof c === 'object' && c !== null ? (c as Record<string, unknown>)['id'] : undefined;
}
