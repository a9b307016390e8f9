/**
 * The HTTP transport (restify 11): `POST /api/messages` for the Bot Framework and `GET /healthz`.
 * Thin by design: it reads and size-limits the body, parses JSON and hands the request to
 * `onMessages` (the Teams adapter); authentication and the turn happen there.
 *
 * restify 11 handlers are `async (req, res)`: a handler with two parameters that is not async fails
 * restify's arity check. Every error of a request ends in one funnel (`restifyError`), which logs it
 * with the request id (never the body) and answers a short JSON error.
 */
import type { AddressInfo } from 'node:net';
import restify, { type Request, type Response } from 'restify';
import { describeError } from '../core/errors.js';
import type { HealthReport } from '../core/health.js';
import type { Logger } from '../core/logger.js';

export interface HttpServerOptions {
  /** Address to bind; only this one (e.g. 127.0.0.1, or 0.0.0.0 behind a reverse proxy). */
  host: string;
  /** TCP port; 0 picks a free one (see the result of start()). */
  port: number;
  /** Largest accepted request body, bytes; larger ones get 413. Default 256 KB. */
  maxBodyBytes?: number;
  logger: Logger;
  /** The Bot Framework endpoint (the adapter's process); receives a parsed JSON object body and must answer. */
  onMessages: (req: Request, res: Response) => Promise<void>;
  health: () => HealthReport | Promise<HealthReport>;
}

export interface HttpServer {
  /** Starts listening; resolves with the base URL (no trailing slash) and the bound port. */
  start(): Promise<{ url: string; port: number }>;
  /** Stops listening and closes every open socket, keep-alive ones included. */
  stop(): Promise<void>;
}

export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

export function createHttpServer(options: HttpServerOptions): HttpServer {
  const logger = options.logger.child({ component: 'http' });
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const server = restify.createServer({
    name: 'defender-audit-bot',
    handleUncaughtExceptions: false,
    ignoreTrailingSlash: true,
  });

  // The error funnel: parse errors, size limit, unknown routes, and rejections of the handlers below.
  server.on(
    'restifyError',
    (req: Request, res: Response, err: Error & { statusCode?: number }, callback: () => void) => {
      const status = typeof err.statusCode === 'number' && err.statusCode >= 400 ? err.statusCode : 500;
      const fields = { requestId: req.getId(), method: req.method, path: req.path(), status };
      if (status >= 500) logger.error('request failed', { ...fields, error: describeError(err) });
      else if (status === 404 || status === 405) logger.debug('no such route', fields);
      // The message of a JSON parse error quotes the body: log the error name only.
      else logger.warn('request rejected', { ...fields, error: err.name });
      if (!res.headersSent) res.send(status, { error: errorText(status, maxBodyBytes) });
      callback();
    },
  );

  server.post(
    '/api/messages',
    // Callback style (three parameters) so that the chain can stop here with next(false).
    (req: Request, res: Response, next: restify.Next) => {
      const encoding = req.headers['content-encoding'];
      if (encoding !== undefined && encoding !== 'identity') {
        // A compressed body could inflate past the size limit, which counts bytes on the wire.
        reject(req, res, 415, 'content-encoding is not supported');
        next(false);
        return;
      }
      next();
    },
    restify.plugins.bodyReader({ maxBodySize: maxBodyBytes }),
    ...restify.plugins.jsonBodyParser({ bodyReader: true, mapParams: false }),
    async (req: Request, res: Response) => {
      const body: unknown = req.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body) || Buffer.isBuffer(body)) {
        const isJson = /^application\/(.+\+)?json\b/i.test(req.headers['content-type'] ?? '');
        reject(
          req,
          res,
          isJson || body === undefined ? 400 : 415,
          isJson || body === undefined ? 'expected a JSON object' : 'expected application/json',
        );
        return;
      }
      await options.onMessages(req, res);
      if (!res.headersSent) {
        logger.error('the messages handler did not answer', { requestId: req.getId() });
        res.send(500, { error: errorText(500, maxBodyBytes) });
      }
    },
  );

  server.get('/healthz', async (req: Request, res: Response) => {
    res.header('Cache-Control', 'no-store');
    let report: HealthReport;
    try {
      report = await options.health();
    } catch (err) {
      logger.error('health check failed', { requestId: req.getId(), error: describeError(err) });
      res.send(503, { status: 'error', checks: {} });
      return;
    }
    res.send(report.ok ? 200 : 503, { status: report.ok ? 'ok' : 'unhealthy', checks: report.checks });
  });

  function reject(req: Request, res: Response, status: number, message: string): void {
    logger.warn('request rejected', {
      requestId: req.getId(),
      method: req.method,
      path: req.path(),
      status,
      error: message,
    });
    res.send(status, { error: message });
  }

  let listening = false;
  /** Rejects the pending start(); restify re-emits the http server's errors on itself and throws without a listener. */
  let failStart: ((err: Error) => void) | undefined;
  server.on('error', (err: Error) => {
    if (failStart) failStart(err);
    else logger.error('server error', { error: describeError(err) });
  });

  return {
    start() {
      return new Promise((resolve, reject) => {
        failStart = (err) => {
          failStart = undefined;
          reject(err);
        };
        server.listen(options.port, options.host, () => {
          failStart = undefined;
          listening = true;
          const port = (server.server.address() as AddressInfo).port;
          const host = options.host.includes(':') ? `[${options.host}]` : options.host;
          logger.info('listening', { host: options.host, port });
          resolve({ url: `http://${host}:${port}`, port });
        });
      });
    },
    stop() {
      if (!listening) return Promise.resolve();
      listening = false;
      return new Promise((resolve, reject) => {
        server.server.close((err) => (err ? reject(err) : resolve()));
        server.server.closeAllConnections();
      });
    },
  };
}

function errorText(status: number, maxBodyBytes: number): string {
  switch (status) {
    case 400:
      return 'malformed JSON body';
    case 404:
      return 'not found';
    case 405:
      return 'method not allowed';
    case 413:
      return `request body larger than ${maxBodyBytes} bytes`;
    case 415:
      return 'unsupported content type or encoding';
    default:
      return status >= 500 ? 'internal error' : 'request rejected';
  }
}
