import assert from 'node:assert/strict';
import { LogAnalyticsError } from '../../src/core/errors.js';
import { createForwarder, type ForwardSource, type LogsUploader } from '../../src/loganalytics/forwarder.js';
import { createCaptureLogger } from '../fakes/capture-logger.js';

/** An in-memory outbox with the store's contract: ordered rows, ack deletes up to a seq. */
function memorySource(rows: Record<string, unknown>[]): ForwardSource & { left(): number[] } {
  let items = rows.map((row, i) => ({ seq: i + 1, row }));
  return {
    pending: (limit) => items.slice(0, limit),
    ack: (seq) => {
      items = items.filter((x) => x.seq > seq);
    },
    backlog: () => items.length,
    left: () => items.map((x) => x.seq),
  };
}

/** Uploads recorded as JSON sizes; `failAt` makes the n-th call (1-based) throw like the SDK does. */
function scriptedUploader(failAt?: {
  call: number;
  error: unknown;
}): LogsUploader & { calls: Record<string, unknown>[][] } {
  const calls: Record<string, unknown>[][] = [];
  return {
    calls,
    upload(_rule, _stream, logs) {
      calls.push(logs);
      // The SDK rejects with RestError / AggregateLogsUploadError objects; shapes are what matter here.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      if (failAt && calls.length === failAt.call) return Promise.reject(failAt.error);
      return Promise.resolve();
    },
  };
}

const row = (n: number, pad = 0): Record<string, unknown> => ({
  ActionId: `a-${n}`,
  RequestorComment: 'x'.repeat(pad),
});

describe('loganalytics/forwarder', () => {
  it('packs rows into batches whose JSON stays under the limit, one upload per batch, and empties the outbox', async () => {
    const source = memorySource(Array.from({ length: 50 }, (_, i) => row(i, 900)));
    const uploader = scriptedUploader();
    const f = createForwarder({
      uploader,
      source,
      dcrImmutableId: 'dcr-1',
      streamName: 'Custom-T_CL',
      logger: createCaptureLogger(),
      maxBatchBytes: 10_000,
      readLimit: 7,
    });
    const result = await f.forward();
    assert.equal(result.sent, 50);
    assert.equal(result.backlog, 0);
    assert.equal(uploader.calls.flat().length, 50);
    for (const batch of uploader.calls)
      assert.ok(Buffer.byteLength(JSON.stringify(batch)) <= 10_000, 'within the limit');
    assert.deepEqual(
      uploader.calls.flat().map((r) => r.ActionId),
      Array.from({ length: 50 }, (_, i) => `a-${i}`),
      'in order, each once',
    );
  });

  it('a failed batch stays in the outbox; batches accepted before it are acknowledged; the next run sends only the rest', async () => {
    const source = memorySource(Array.from({ length: 30 }, (_, i) => row(i, 900)));
    const err = Object.assign(new Error('Service unavailable'), { name: 'RestError', statusCode: 503 });
    const failing = scriptedUploader({
      call: 2,
      error: { name: 'AggregateLogsUploadError', message: 'failed', errors: [{ failedLogs: [], cause: err }] },
    });
    const f = createForwarder({
      uploader: failing,
      source,
      dcrImmutableId: 'dcr-1',
      streamName: 'Custom-T_CL',
      logger: createCaptureLogger(),
      maxBatchBytes: 10_000,
    });
    await assert.rejects(
      f.forward(),
      (e: unknown) => e instanceof LogAnalyticsError && e.code === 'LOG_ANALYTICS_UNAVAILABLE' && e.status === 503,
    );
    const firstBatch = failing.calls[0]!.length;
    assert.equal(source.backlog(), 30 - firstBatch);
    const ok = scriptedUploader();
    const g = createForwarder({
      uploader: ok,
      source,
      dcrImmutableId: 'dcr-1',
      streamName: 'Custom-T_CL',
      logger: createCaptureLogger(),
      maxBatchBytes: 10_000,
    });
    await g.forward();
    const sent = [...failing.calls[0]!, ...ok.calls.flat()].map((r) => r.ActionId);
    assert.deepEqual(
      sent,
      Array.from({ length: 30 }, (_, i) => `a-${i}`),
      'nothing lost, nothing accepted twice',
    );
  });

  it('403 names the Monitoring Metrics Publisher role and the rule', async () => {
    const source = memorySource([row(1)]);
    const denied = Object.assign(new Error('forbidden'), {
      name: 'RestError',
      statusCode: 403,
      details: {
        error: {
          code: 'Forbidden',
          message:
            'The authentication token provided does not have access to ingest data for the data collection rule with immutable Id dcr-1',
        },
      },
    });
    const f = createForwarder({
      uploader: scriptedUploader({ call: 1, error: denied }),
      source,
      dcrImmutableId: 'dcr-1',
      streamName: 'Custom-T_CL',
      logger: createCaptureLogger(),
    });
    await assert.rejects(
      f.forward(),
      (e: unknown) =>
        e instanceof LogAnalyticsError &&
        e.code === 'LOG_ANALYTICS_FORBIDDEN' &&
        /Monitoring Metrics Publisher/.test(e.fix ?? '') &&
        /dcr-1/.test(e.message),
    );
    assert.equal(source.backlog(), 1, 'kept for later');
  });

  it('a row larger than one call has its dynamic columns replaced by a marker instead of blocking the outbox', async () => {
    const big = { ActionId: 'big', Commands: ['y'.repeat(20_000)], RelatedFileInfo: null };
    const logger = createCaptureLogger();
    const uploader = scriptedUploader();
    const f = createForwarder({
      uploader,
      source: memorySource([row(1), big, row(2)]),
      dcrImmutableId: 'dcr-1',
      streamName: 'Custom-T_CL',
      logger,
      maxBatchBytes: 5_000,
    });
    await f.forward();
    const sent = uploader.calls.flat();
    assert.deepEqual(
      sent.map((r) => r.ActionId),
      ['a-1', 'big', 'a-2'],
    );
    assert.deepEqual(sent[1]!.Commands, { truncated: true, reason: 'row larger than one Logs Ingestion call' });
    assert.equal(sent[1]!.RelatedFileInfo, null);
    assert.ok(logger.lines.some((e) => e.level === 'warn' && /too large/.test(e.msg)));
  });
});
