import assert from 'node:assert/strict';
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { createHttpServer, type HttpServer } from '../../src/server/server.js';
import { type HealthReport } from '../../src/core/health.js';
import { createCaptureLogger } from '../fakes/capture-logger.js';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One request on a fresh connection (agent: false), so no keep-alive socket outlives the test. */
function request(
  base: string,
  path: string,
  options: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(path, base),
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = { 'Content-Type': 'application/json' };

describe('http server: /api/messages and /healthz', () => {
  const logger = createCaptureLogger();
  const received: unknown[] = [];
  let health: HealthReport | (() => never) = {
    ok: true,
    checks: { ingest: { ok: true, detail: 'last run 2 min ago' } },
  };
  let onMessagesFails = false;
  let server: HttpServer;
  let base: string;

  before(async () => {
    server = createHttpServer({
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: 1024,
      logger,
      onMessages: async (req, res) => {
        received.push(req.body);
        if (onMessagesFails) throw new Error('adapter exploded');
        res.status(200);
        res.end();
        return Promise.resolve();
      },
      health: () => (typeof health === 'function' ? health() : health),
    });
    base = (await server.start()).url;
  });
  after(() => server.stop());
  beforeEach(() => {
    received.length = 0;
    logger.lines.length = 0;
  });

  it('binds to the given host on a free port', () => {
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(base, 'http://127.0.0.1:0');
  });

  it('hands a JSON object body to onMessages', async () => {
    const r = await request(base, '/api/messages', {
      method: 'POST',
      body: JSON.stringify({ type: 'message', text: 'hi' }),
      headers: json,
    });
    assert.equal(r.status, 200);
    assert.deepEqual(received, [{ type: 'message', text: 'hi' }]);
  });

  it('answers 400 to malformed JSON with a short JSON error, logging no part of the body, and keeps serving', async () => {
    const r = await request(base, '/api/messages', {
      method: 'POST',
      body: '{"type": "message", "text": "SECRET-IN-BODY"',
      headers: json,
    });
    assert.equal(r.status, 400);
    assert.match(r.headers['content-type'] ?? '', /application\/json/);
    assert.deepEqual(JSON.parse(r.text), { error: 'malformed JSON body' });
    assert.equal(received.length, 0);
    const line = logger.lines.find((l) => l.msg === 'request rejected');
    assert.ok(line);
    assert.equal(line.fields['status'], 400);
    assert.equal(typeof line.fields['requestId'], 'string');
    assert.ok(!JSON.stringify(logger.lines).includes('SECRET-IN-BODY'));
    assert.equal((await request(base, '/healthz')).status, 200);
  });

  it('answers 413 to a body over the limit and keeps serving', async () => {
    const big = JSON.stringify({ type: 'message', text: 'x'.repeat(2048) });
    const r = await request(base, '/api/messages', { method: 'POST', body: big, headers: json });
    assert.equal(r.status, 413);
    assert.deepEqual(JSON.parse(r.text), { error: 'request body larger than 1024 bytes' });
    assert.equal(received.length, 0);
    assert.equal((await request(base, '/healthz')).status, 200);
  });

  it('answers 400 to JSON that is not an object, and 415 to other content types or a compressed body', async () => {
    assert.equal((await request(base, '/api/messages', { method: 'POST', body: '[1,2]', headers: json })).status, 400);
    assert.equal((await request(base, '/api/messages', { method: 'POST', body: '"text"', headers: json })).status, 400);
    assert.equal(
      (await request(base, '/api/messages', { method: 'POST', body: '{}' })).status,
      400,
      'no body type: nothing parsed',
    );
    assert.equal(
      (
        await request(base, '/api/messages', {
          method: 'POST',
          body: 'type=message',
          headers: { 'Content-Type': 'text/plain' },
        })
      ).status,
      415,
    );
    const gz = gzipSync(JSON.stringify({ type: 'message', text: 'x'.repeat(100_000) }));
    const r = await request(base, '/api/messages', {
      method: 'POST',
      body: gz,
      headers: { ...json, 'Content-Encoding': 'gzip' },
    });
    assert.equal(r.status, 415);
    assert.equal(received.length, 0);
  });

  it('answers 500 when onMessages rejects, logs it once with the request id, and keeps serving', async () => {
    onMessagesFails = true;
    try {
      const r = await request(base, '/api/messages', { method: 'POST', body: '{"type":"message"}', headers: json });
      assert.equal(r.status, 500);
      assert.deepEqual(JSON.parse(r.text), { error: 'internal error' });
    } finally {
      onMessagesFails = false;
    }
    const errors = logger.lines.filter((l) => l.level === 'error');
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]?.fields['error']), /adapter exploded/);
    assert.equal(typeof errors[0]?.fields['requestId'], 'string');
    assert.equal((await request(base, '/healthz')).status, 200);
  });

  it('GET /healthz: 200 with the checks when healthy, 503 when not, 503 when the callback throws', async () => {
    const ok = await request(base, '/healthz');
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['cache-control'], 'no-store');
    assert.deepEqual(JSON.parse(ok.text), {
      status: 'ok',
      checks: { ingest: { ok: true, detail: 'last run 2 min ago' } },
    });

    health = { ok: false, checks: { ingest: { ok: false, detail: 'no successful run for 45 min' } } };
    const bad = await request(base, '/healthz');
    assert.equal(bad.status, 503);
    assert.deepEqual(JSON.parse(bad.text), {
      status: 'unhealthy',
      checks: { ingest: { ok: false, detail: 'no successful run for 45 min' } },
    });

    health = () => {
      throw new Error('store closed');
    };
    const thrown = await request(base, '/healthz');
    assert.equal(thrown.status, 503);
    assert.deepEqual(JSON.parse(thrown.text), { status: 'error', checks: {} });
    health = { ok: true, checks: {} };
  });

  it('answers 404 to unknown paths and 405 to a wrong method, as short JSON', async () => {
    const nf = await request(base, '/nope');
    assert.equal(nf.status, 404);
    assert.deepEqual(JSON.parse(nf.text), { error: 'not found' });
    const na = await request(base, '/api/messages');
    assert.equal(na.status, 405);
    assert.deepEqual(JSON.parse(na.text), { error: 'method not allowed' });
  });
});

describe('http server: lifecycle', () => {
  it('stop() closes idle keep-alive sockets and the port stops answering', async () => {
    const server = createHttpServer({
      host: '127.0.0.1',
      port: 0,
      logger: createCaptureLogger(),
      onMessages: () => Promise.resolve(),
      health: () => ({ ok: true, checks: {} }),
    });
    const { url, port } = await server.start();
    const agent = new http.Agent({ keepAlive: true });
    try {
      const first = await new Promise<number>((resolve, reject) => {
        http
          .get(`${url}/healthz`, { agent }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          })
          .on('error', reject);
      });
      assert.equal(first, 200);
      await server.stop();
      await server.stop();
      await assert.rejects(request(`http://127.0.0.1:${port}`, '/healthz'), /ECONNREFUSED/);
    } finally {
      agent.destroy();
    }
  });

  it('start() rejects when the port is taken', async () => {
    const a = createHttpServer({
      host: '127.0.0.1',
      port: 0,
      logger: createCaptureLogger(),
      onMessages: () => Promise.resolve(),
      health: () => ({ ok: true, checks: {} }),
    });
    const { port } = await a.start();
    const b = createHttpServer({
      host: '127.0.0.1',
      port,
      logger: createCaptureLogger(),
      onMessages: () => Promise.resolve(),
      health: () => ({ ok: true, checks: {} }),
    });
    try {
      await assert.rejects(b.start(), /EADDRINUSE/);
    } finally {
      await a.stop();
    }
  });
});
