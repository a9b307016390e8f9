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
export function createPinoLogger(
  options: { level?: Level | 'silent'; destination?: DestinationStream; name?: string } = {},
): Logger {
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

/**
 * Every line at `fileLevel` or above to the file at `path` (appended, created with its folder by
 * the caller), and only those at `consoleLevel` or above to `console`: a quiet terminal with the
 * full log one `tail -f` away (the demo).
 */
export function createFileLogger(options: {
  path: string;
  fileLevel: Level;
  console: DestinationStream;
  consoleLevel: Level;
  name?: string;
}): Logger {
  const streams = pino.multistream([
    {
      level: options.fileLevel,
      stream: pino.destination({ dest: options.path, append: true, sync: true, mkdir: true }),
    },
    { level: options.consoleLevel, stream: options.console },
  ]);
  const lowest =
    pino.levels.values[options.fileLevel]! <= pino.levels.values[options.consoleLevel]!
      ? options.fileLevel
      : options.consoleLevel;
  return wrap(
    pino(
      {
        level: lowest,
        name: options.name ?? 'defender-audit-bot',
        redact: { paths: REDACT_PATHS, censor: '[redacted]' },
        timestamp: pino.stdTimeFunctions.isoTime,
      },
      streams,
    ),
  );
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
