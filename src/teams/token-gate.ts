/**
 * The gate in front of botbuilder's token validation (CloudAdapter → JwtTokenExtractor).
 *
 * botbuilder validates a Bot Framework JWT against signing keys it downloads from the OpenID
 * metadata endpoint. When that endpoint cannot be reached it answers 500, and it downloads again on
 * every request (it remembers successes only, and sets no timeout). The gate makes every token that
 * cannot be validated a 401 with one log line:
 *
 * 1. `precheck` refuses, without any network call, what can never validate: not a bearer JWT, an
 *    algorithm other than RS256/RS384/RS512 (`none`, HS256), no key id, a wrong audience, an expired
 *    or not-yet-valid token (5 minutes of clock skew, as botbuilder allows).
 * 2. `admit` bounds the time botbuilder may spend before it has authenticated a request
 *    (`timeoutMs`), remembers a failure to get the keys and backs off (`backoffMs`, doubling up to
 *    `maxBackoffMs`): while backing off, tokens are refused at once. While the keys are not known to
 *    be loaded, one request at a time goes to botbuilder (single flight); the others wait for its
 *    outcome. A request that authenticated marks the keys loaded (botbuilder then caches them for
 *    24 hours).
 *
 * Pure logic with an injected clock and timer; no I/O of its own.
 */

/** Signing algorithms botbuilder accepts (AuthenticationConstants.AllowedSigningAlgorithms). */
const ALLOWED_ALGORITHMS = new Set(['RS256', 'RS384', 'RS512']);
/** Clock skew botbuilder tolerates on exp and nbf, seconds. */
const CLOCK_TOLERANCE_S = 300;

export interface TokenGateOptions {
  /** The bot's app id: the audience every token must carry. */
  appId: string;
  /** Epoch ms. */
  now: () => number;
  /** Longest wait for botbuilder to authenticate one request (key download included), ms. */
  timeoutMs: number;
  /** First back-off after a failure to get the keys, ms; doubles per failure up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
}

export type Admission<T> = { admitted: true; value: T } | { admitted: false; reason: string };

export interface TokenGate {
  /** Undefined when the token may be valid; otherwise why it never can be. No network. */
  precheck(authorization: string): string | undefined;
  /**
   * Runs `authenticate` (botbuilder: validate, then run the turn) under the gate. `authenticate`
   * receives `authenticated()`, which it calls once the token is validated (before the turn runs);
   * it returns false when the gate has already given up on the request, and the turn must then not
   * run. `classify` says whether an error thrown before authentication is key trouble (metadata
   * unreachable) or a verdict on the token (401/403, rethrown as it is).
   */
  admit<T>(
    authenticate: (authenticated: () => boolean) => Promise<T>,
    classify: (err: unknown) => 'keys' | 'verdict',
  ): Promise<Admission<T>>;
}

function decodeSegment(segment: string | undefined): Record<string, unknown> | undefined {
  if (segment === undefined || !/^[A-Za-z0-9_-]+$/.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function createTokenGate(options: TokenGateOptions): TokenGate {
  let failures = 0;
  let retryAt = 0;
  let keysLoaded = false;
  /** What went wrong the last time the keys could not be had (for the log line). */
  let lastTrouble = '';
  /** The request that is finding out whether the keys can be had; others wait for it. */
  let probe: Promise<void> | undefined;

  const keyFailure = (what: string): void => {
    failures += 1;
    keysLoaded = false;
    retryAt = options.now() + Math.min(options.maxBackoffMs, options.backoffMs * 2 ** (failures - 1));
    lastTrouble = what;
  };

  const backingOff = (): string | undefined => {
    const wait = retryAt - options.now();
    if (wait <= 0) return undefined;
    return `the Bot Framework signing keys could not be loaded (${lastTrouble}); tokens cannot be validated for another ${Math.ceil(wait / 1000)} s`;
  };

  async function attempt<T>(
    authenticate: (authenticated: () => boolean) => Promise<T>,
    classify: (err: unknown) => 'keys' | 'verdict',
  ): Promise<Admission<T>> {
    let passed = false;
    let abandoned = false;
    let timer: NodeJS.Timeout | undefined;
    const authenticated = (): boolean => {
      if (abandoned) return false;
      passed = true;
      failures = 0;
      retryAt = 0;
      keysLoaded = true;
      return true;
    };
    const run = authenticate(authenticated);
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
      timer.unref();
    });
    try {
      const outcome = await Promise.race([run.then((value) => ({ value })), timedOut]);
      if (outcome !== 'timeout') return { admitted: true, value: outcome.value };
      if (passed) return { admitted: true, value: await run };
      abandoned = true;
      // botbuilder's download goes on in the background; its outcome no longer matters.
      run.catch(() => undefined);
      keyFailure(`no answer within ${Math.round(options.timeoutMs / 1000)} s`);
      return { admitted: false, reason: `token not validated: ${backingOff() ?? lastTrouble}` };
    } catch (err) {
      if (passed || classify(err) === 'verdict') throw err;
      keyFailure((err as Error)?.message ?? String(err));
      return { admitted: false, reason: `token not validated: ${backingOff() ?? lastTrouble}` };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    precheck(authorization) {
      const m = /^Bearer ([^\s]+)$/.exec(authorization.trim());
      if (!m)
        return authorization === '' ? 'no Authorization header' : 'the Authorization header is not a bearer token';
      const parts = (m[1] ?? '').split('.');
      if (parts.length !== 3) return 'the bearer token is not a JWT';
      const header = decodeSegment(parts[0]);
      const payload = decodeSegment(parts[1]);
      if (!header || !payload) return 'the bearer token is not a JWT';
      const alg = header['alg'];
      if (typeof alg !== 'string' || !ALLOWED_ALGORITHMS.has(alg))
        return `signing algorithm ${JSON.stringify(alg ?? null)} is not accepted`;
      if (typeof header['kid'] !== 'string' || header['kid'] === '') return 'the token names no signing key (kid)';
      if (parts[2] === '') return 'the token carries no signature';
      const aud = payload['aud'];
      if (!(aud === options.appId || (Array.isArray(aud) && aud.includes(options.appId))))
        return 'the token is for another audience';
      const nowS = options.now() / 1000;
      const exp = payload['exp'];
      if (typeof exp !== 'number' || exp + CLOCK_TOLERANCE_S < nowS) return 'the token has expired';
      const nbf = payload['nbf'];
      if (typeof nbf === 'number' && nbf - CLOCK_TOLERANCE_S > nowS) return 'the token is not valid yet';
      return undefined;
    },

    async admit(authenticate, classify) {
      for (;;) {
        const refusal = backingOff();
        if (refusal !== undefined) return { admitted: false, reason: `token not validated: ${refusal}` };
        if (keysLoaded) return attempt(authenticate, classify);
        if (probe === undefined) {
          let done!: () => void;
          probe = new Promise<void>((resolve) => (done = resolve));
          try {
            return await attempt(authenticate, classify);
          } finally {
            probe = undefined;
            done();
          }
        }
        // Another request is finding out; then decide again (admitted, backing off, or probe next).
        await probe;
      }
    },
  };
}
