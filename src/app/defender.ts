import { readFileSync } from 'node:fs';
import type { Clock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { DefenderConfig } from '../config/config.js';
import { createCallBudget } from '../defender/budget.js';
import { createDefenderClient, type DefenderClient } from '../defender/client.js';
import { createHttpTransport } from '../defender/http.js';
import { createMsalTokenProvider } from '../defender/token.js';
import type { IngestSettings } from '../ingest/run-once.js';

/** The Defender API client of the configuration: msal token provider, HTTPS transport, call budget. */
export function buildDefenderClient(cfg: DefenderConfig, deps: { clock: Clock; logger: Logger }): DefenderClient {
  let ca: Buffer | undefined;
  if (cfg.caCertFile !== undefined) {
    try {
      ca = readFileSync(cfg.caCertFile);
    } catch (err) {
      throw new ConfigError([
        `MDE_CA_CERT_FILE: cannot read ${cfg.caCertFile} (${(err as Error).message}). Fix: point it at the PEM file the simulator printed, or unset it.`,
      ]);
    }
  }
  const http = createHttpTransport({ ca });
  const logger = deps.logger.child({ component: 'defender' });
  const tokens = createMsalTokenProvider({
    tenantId: cfg.tenantId,
    clientId: cfg.clientId,
    clientSecret: cfg.clientSecret,
    certificate: cfg.certificate,
    authorityHost: cfg.authorityHost,
    scope: cfg.scope,
    http,
    timeoutMs: cfg.requestTimeoutMs,
    logger,
  });
  return createDefenderClient({
    apiBaseUrl: cfg.apiBaseUrl,
    tokens,
    http,
    budget: createCallBudget({ perMinute: cfg.budgetPerMinute, perHour: cfg.budgetPerHour, clock: deps.clock }),
    clock: deps.clock,
    logger,
    requestTimeoutMs: cfg.requestTimeoutMs,
    maxRetries: cfg.maxRetries,
  });
}

export function ingestSettings(cfg: DefenderConfig): IngestSettings {
  return {
    pageSize: cfg.pageSize,
    overlapMs: cfg.overlapMs,
    backfillDays: cfg.backfillDays,
    fallbackWindowMs: cfg.fallbackWindowMs,
  };
}
