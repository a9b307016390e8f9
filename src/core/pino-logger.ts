import { pino, type DestinationStream, type Level } from 'pino';
import type { LogFields, Logger } from './logger.js';

/**
 * Paths pino blanks out wherever they appear in a log line. A second line of defence: callers must
 * not log secrets in the first place.
 */
const REDACT_PATHS = [
  'secret',
  'password',
  'token',
  'accessToken',
  'access_token',
  'authorization',
  'clientSecret',
  '*.secret',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.access_token',
  '*.authorization',
  '*.clientSecret',
  'headers.authorization',
];

/** Wraps a pino instance in our `Logger` interface. */
export function createPinoLogger(options: { level?: Level | 'silent'; destination?: DestinationStream; name?: string } = {}): Logger {
  const base = pino(
    {
      level: options.level ?? 'info',
      name: options.name ?? 'defender-audit-bot',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
  return wrap(base);
}

function wrap(p: pino.Logger): Logger {
  return {
    debug: (msg: string, fields?: LogFields) => p.debug(fields ?? {}, msg),
    info: (msg: string, fields?: LogFields) => p.info(fields ?? {}, msg),
    warn: (msg: string, fields?: LogFields) => p.warn(fields ?? {}, msg),
    error: (msg: string, fields?: LogFields) => p.error(fields ?? {}, msg),
    child: (fields: LogFields) => wrap(p.child(fields)),
  };
}
