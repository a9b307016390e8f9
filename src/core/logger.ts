/**
 * Structured logging interface. The production implementation wraps pino (see `createPinoLogger`
 * in src/core/pino-logger.ts); tests use the capturing fake in test/fakes. Fields are merged into the
 * JSON line; never pass tokens, secrets or auth response bodies.
 */
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

/** A logger that drops everything (for library callers that do not care). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
