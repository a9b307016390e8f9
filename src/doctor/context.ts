/**
 * What the concrete doctor checks share. They run in order, and a later check reads what an earlier
 * one found from a `DoctorContext` (the configuration, the MDE token): a check whose input is
 * missing (no configuration, no token) reports 'skip'.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { Clock } from '../core/clock.js';
import { asAppError } from '../core/errors.js';
import type { KqlRunner } from '../core/query.js';
import type { Config, DefenderConfig } from '../config/config.js';
import type { HttpTransport } from '../defender/http.js';
import type { TokenProvider } from '../defender/token.js';
import type { DoctorOutcome } from './doctor.js';

/** What the checks found so far; each check fills in its part, later checks read it. */
export interface DoctorContext {
  /** The loaded configuration (configuration check). */
  config?: Config;
  /** Its MDE section (configuration check). */
  defender?: DefenderConfig;
  /** The HTTP transport of the MDE token and API calls (MDE token check); closed by `DoctorPlan.close`. */
  http?: HttpTransport;
  /** The MDE token provider (MDE token check), reused by the API check. */
  tokens?: TokenProvider;
  /** The MDE access token it got (MDE token check). */
  token?: string;
  /** The Azure credential, created once for both Log Analytics checks. */
  credential?: TokenCredential;
}

/** The Bot Framework token request of a single-tenant bot (client credentials). */
export interface BotCredentials {
  tenantId: string;
  clientId: string;
  secret: string;
}

/**
 * The KQL runner over the configured workspace, or undefined when there is none
 * (LOG_ANALYTICS_WORKSPACE_ID not set). The composition root builds it: src/doctor/ does not
 * construct the Log Analytics query client itself.
 */
export type KqlRunnerFactory = (config: Config, credential: TokenCredential) => KqlRunner | undefined;

export interface DoctorDeps {
  /** Builds the KQL runner of the "Log Analytics queries" check (the CLI passes main.ts's buildKqlRunner). */
  kqlRunner: KqlRunnerFactory;
  /** Time source; the system clock unless injected. */
  clock?: Clock;
  /** Azure SDK credential of the Log Analytics checks; DefaultAzureCredential unless injected. */
  credential?: TokenCredential;
  /** Gets a Bot Framework token; by default msal client credentials against login.microsoftonline.com. */
  botToken?: (bot: BotCredentials) => Promise<string>;
  /** `doctor --deep`: the store's full `integrity_check` instead of `quick_check`. */
  deepStoreCheck?: boolean;
}

/** Doctor's own limit on one request, milliseconds: one quick attempt, not the ingest's patient retries. */
export const DOCTOR_TIMEOUT_MS = 30_000;

/** Why a check that needs the configuration is skipped. */
export const NO_CONFIG = 'the configuration is invalid';

export const ok = (detail: string): DoctorOutcome => ({ status: 'ok', detail });
export const skip = (detail: string): DoctorOutcome => ({ status: 'skip', detail });

/** A failure outcome from an error: its message, and its own fix or the given one. */
export function failure(err: unknown, fallbackFix: string): DoctorOutcome {
  const e = asAppError(err);
  return { status: 'fail', detail: e.message, fix: e.fix ?? fallbackFix };
}
