import { readFileSync } from 'node:fs';
import {
  ConfidentialClientApplication,
  type Configuration,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import { DefenderApiError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { HttpTransport } from './http.js';

/** Supplies bearer tokens for the MDE API. */
export interface TokenProvider {
  /** A valid access token; `forceRefresh` bypasses the cache (after a 401). */
  getToken(options?: { forceRefresh?: boolean }): Promise<string>;
}

export interface MsalTokenProviderOptions {
  tenantId: string;
  clientId: string;
  clientSecret?: string | undefined;
  certificate?: { privateKeyPath: string; thumbprint: string } | undefined;
  /** `https://login.microsoftonline.com` or the simulator's origin. */
  authorityHost: string;
  scope: string;
  http: HttpTransport;
  timeoutMs: number;
  logger: Logger;
}

/** msal-node's network interface on top of our transport, so that tokens use the same trusted CA. */
function msalNetwork(http: HttpTransport, timeoutMs: number): INetworkModule {
  const call = async <T>(
    method: 'GET' | 'POST',
    url: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> => {
    const res = await http.send(url, {
      method,
      timeoutMs,
      ...(options?.headers !== undefined ? { headers: options.headers } : {}),
      ...(options?.body !== undefined ? { body: options.body } : {}),
    });
    let body: unknown;
    try {
      body = JSON.parse(res.body);
    } catch {
      body = {};
    }
    return { status: res.status, headers: res.headers, body: body as T };
  };
  return {
    sendGetRequestAsync: (url, options) => call('GET', url, options),
    sendPostRequestAsync: (url, options) => call('POST', url, options),
  };
}

/**
 * Client-credentials tokens from Entra ID (or the simulator) with @azure/msal-node. msal caches the
 * token in memory and returns it until 5 minutes before expiry, so the token endpoint is called about
 * once an hour.
 */
export function createMsalTokenProvider(options: MsalTokenProviderOptions): TokenProvider {
  const authority = `${options.authorityHost}/${options.tenantId}`;
  const auth: Configuration['auth'] = {
    clientId: options.clientId,
    authority,
    // Trust the configured host without an instance-discovery request (it is configuration, not user input).
    knownAuthorities: [new URL(options.authorityHost).host],
  };
  if (options.certificate !== undefined) {
    const { thumbprint, privateKeyPath } = options.certificate;
    const privateKey = readFileSync(privateKeyPath, 'utf8');
    // A 64-hex thumbprint is SHA-256 (preferred by Entra ID); 40 hex is the older SHA-1 form.
    auth.clientCertificate =
      thumbprint.length === 64 ? { thumbprintSha256: thumbprint, privateKey } : { thumbprint, privateKey };
  } else {
    auth.clientSecret = options.clientSecret ?? '';
  }
  const app = new ConfidentialClientApplication({
    auth,
    system: {
      networkClient: msalNetwork(options.http, options.timeoutMs),
      loggerOptions: { piiLoggingEnabled: false, loggerCallback: () => {} },
    },
  });

  return {
    async getToken(opts = {}) {
      try {
        const result = await app.acquireTokenByClientCredential({
          scopes: [options.scope],
          ...(opts.forceRefresh ? { skipCache: true } : {}),
        });
        if (!result?.accessToken) {
          throw new DefenderApiError('MDE_AUTH_FAILED', 'The token endpoint returned no access token.', {
            retryable: true,
          });
        }
        options.logger.debug('token acquired', {
          fromCache: result.fromCache,
          expiresOn: result.expiresOn?.toISOString(),
        });
        return result.accessToken;
      } catch (err) {
        throw toTokenError(err, authority);
      }
    },
  };
}

function toTokenError(err: unknown, authority: string): DefenderApiError {
  if (err instanceof DefenderApiError) return err;
  const e = err as { errorCode?: string; errorMessage?: string; message?: string; code?: string };
  const code = e.errorCode ?? e.code ?? '';
  const text = (e.errorMessage ?? e.message ?? String(err)).split('\n')[0] ?? '';
  if (
    ['invalid_client', 'unauthorized_client', 'invalid_request', 'invalid_grant', 'invalid_scope'].includes(code) ||
    /AADSTS\d+/.test(text)
  ) {
    return new DefenderApiError(
      'MDE_AUTH_FAILED',
      `Sign-in to ${authority} was refused (${code || 'error'}): ${text}`,
      {
        cause: err,
        retryable: false,
        fix: 'Check MDE_TENANT_ID, MDE_CLIENT_ID and SECRET_MDE_CLIENT_SECRET (an expired client secret is the usual cause).',
      },
    );
  }
  return new DefenderApiError('MDE_NETWORK', `Cannot get a token from ${authority}: ${text}`, {
    cause: err,
    retryable: true,
    fix: 'Check MDE_AUTHORITY_HOST and the network path to it; for the simulator, MDE_CA_CERT_FILE must name its certificate.',
  });
}
