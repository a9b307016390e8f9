import { Agent, request as httpsRequest } from 'node:https';
import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import { DefenderApiError } from '../core/errors.js';

/**
 * A small HTTPS transport shared by the token client and the API client, so that both trust the same
 * extra CA (the simulator's certificate) and keep connections alive. One instance per client;
 * `close()` destroys its sockets.
 */
export interface HttpResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

export interface HttpRequestOptions {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Milliseconds until the whole exchange is abandoned. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface HttpTransport {
  send(url: string, options: HttpRequestOptions): Promise<HttpResponse>;
  close(): void;
}

export function createHttpTransport(options: { ca?: string | Buffer | undefined } = {}): HttpTransport {
  const agent = new Agent({ keepAlive: true, maxSockets: 4, ...(options.ca !== undefined ? { ca: options.ca } : {}) });
  const plainAgent = new HttpAgent({ keepAlive: true, maxSockets: 4 });
  return {
    send(url, opts) {
      return new Promise<HttpResponse>((resolve, reject) => {
        const u = new URL(url);
        const isHttps = u.protocol === 'https:';
        const body = opts.body === undefined ? undefined : Buffer.from(opts.body, 'utf8');
        const headers: Record<string, string> = { ...opts.headers };
        if (body !== undefined) headers['content-length'] = String(body.length);
        const req = (isHttps ? httpsRequest : httpRequest)(
          u,
          { method: opts.method, headers, agent: isHttps ? agent : plainAgent, signal: opts.signal },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', (err) => fail(err));
            res.on('aborted', () => fail(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
            res.on('end', () => {
              clearTimeout(timer);
              const hdrs: Record<string, string> = {};
              for (const [k, v] of Object.entries(res.headers)) {
                if (v !== undefined) hdrs[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
              }
              resolve({ status: res.statusCode ?? 0, headers: hdrs, body: Buffer.concat(chunks).toString('utf8') });
            });
          },
        );
        const fail = (err: Error): void => {
          clearTimeout(timer);
          req.destroy();
          reject(err);
        };
        const timer = setTimeout(() => {
          fail(
            new DefenderApiError('MDE_TIMEOUT', `No complete response from ${u.host} within ${opts.timeoutMs} ms.`, {
              retryable: true,
            }),
          );
        }, opts.timeoutMs);
        req.on('error', (err) => fail(err));
        if (body !== undefined) req.write(body);
        req.end();
      });
    },
    close() {
      agent.destroy();
      plainAgent.destroy();
    },
  };
}
