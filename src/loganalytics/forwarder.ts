import type { Logger } from '../core/logger.js';
import { toLogAnalyticsError } from './errors.js';

/**
 * Forwards stored versions of machine actions to a DCR-backed table through the Logs Ingestion API.
 *
 * Delivery contract: versions wait in a durable outbox (the store's `forward_outbox`, written in the
 * transaction that stored them). The forwarder reads them in order, packs them into batches of at
 * most `maxBatchBytes` of JSON, uploads each batch in its own `upload()` call (so the SDK sends it as
 * one request: a failure can only concern that batch), and acknowledges a batch (deletes it from the
 * outbox) only after the API accepted it (204). So a failure or a crash loses nothing, and a batch
 * is sent again only when the process dies after the API accepted it and before the ack committed
 * (readers keep the latest row per ActionId, so such a repeat changes no answer).
 */

/** The part of `LogsIngestionClient` (`@azure/monitor-ingestion`) the forwarder uses. */
export interface LogsUploader {
  upload(
    ruleId: string,
    streamName: string,
    logs: Record<string, unknown>[],
    options?: { maxConcurrency?: number; abortSignal?: AbortSignal },
  ): Promise<void>;
}

/** The outbox, as the forwarder sees it. */
export interface ForwardSource {
  /** The oldest waiting rows, at most `limit`, each with its outbox position. */
  pending(limit: number): { seq: number; row: Record<string, unknown> }[];
  /** Rows up to `seq` were accepted. */
  ack(seq: number): void;
  backlog(): number;
}

export interface ForwarderOptions {
  uploader: LogsUploader;
  source: ForwardSource;
  dcrImmutableId: string;
  streamName: string;
  logger: Logger;
  /**
   * Upper bound of one batch: the UTF-8 size of the JSON array. The API takes at most 1 MB per
   * call and the SDK splits at 1,000,000 bytes of element JSON; 950,000 keeps one call per batch.
   */
  maxBatchBytes?: number;
  /** Outbox rows read per round. */
  readLimit?: number;
}

export interface ForwardResult {
  /** Rows accepted by the API in this run. */
  sent: number;
  /** Upload calls made. */
  batches: number;
  /** Rows still waiting after the run. */
  backlog: number;
}

export interface Forwarder {
  /** Sends everything waiting; throws a LogAnalyticsError (after acknowledging what was accepted) on failure. */
  forward(signal?: AbortSignal): Promise<ForwardResult>;
}

const DEFAULT_MAX_BATCH_BYTES = 950_000;

/** Dynamic columns of the DCR row that may grow large (live response commands, file info). */
const LARGE_COLUMNS = ['RelatedFileInfo', 'Commands', 'TroubleshootInfo'] as const;

function jsonBytes(row: Record<string, unknown>): number {
  return Buffer.byteLength(JSON.stringify(row), 'utf8');
}

export function createForwarder(options: ForwarderOptions): Forwarder {
  const { uploader, source, dcrImmutableId, streamName } = options;
  const log = options.logger.child({ component: 'loganalytics-forwarder' });
  const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  const readLimit = options.readLimit ?? 5000;

  /**
   * A row alone larger than a batch would be refused for ever and block the outbox; its large
   * dynamic columns are replaced by a marker (the full action stays in the SQLite store).
   */
  const fit = (seq: number, row: Record<string, unknown>): { row: Record<string, unknown>; bytes: number } => {
    let bytes = jsonBytes(row);
    if (bytes + 2 <= maxBatchBytes) return { row, bytes };
    const trimmed: Record<string, unknown> = { ...row };
    for (const column of LARGE_COLUMNS) {
      if (trimmed[column] !== null && trimmed[column] !== undefined)
        trimmed[column] = { truncated: true, reason: 'row larger than one Logs Ingestion call' };
    }
    bytes = jsonBytes(trimmed);
    log.warn('a row was too large for one Logs Ingestion call; its dynamic columns were replaced by a marker', {
      seq,
      actionId: row.ActionId,
      bytes,
    });
    return { row: trimmed, bytes };
  };

  return {
    async forward(signal) {
      let sent = 0;
      let batches = 0;
      for (;;) {
        signal?.throwIfAborted();
        const items = source.pending(readLimit);
        if (items.length === 0) break;
        let rows: Record<string, unknown>[] = [];
        let bytes = 2; // the array brackets
        let lastSeq = 0;
        const flush = async (): Promise<void> => {
          if (rows.length === 0) return;
          try {
            await uploader.upload(dcrImmutableId, streamName, rows, {
              maxConcurrency: 1,
              ...(signal ? { abortSignal: signal } : {}),
            });
          } catch (err) {
            throw toLogAnalyticsError(err, 'ingest', { dcrImmutableId, streamName });
          }
          source.ack(lastSeq);
          sent += rows.length;
          batches++;
          rows = [];
          bytes = 2;
        };
        for (const item of items) {
          const { row, bytes: size } = fit(item.seq, item.row);
          // +1 for the comma between elements.
          if (rows.length > 0 && bytes + size + 1 > maxBatchBytes) await flush();
          rows.push(row);
          bytes += size + (rows.length > 1 ? 1 : 0);
          lastSeq = item.seq;
        }
        await flush();
        if (items.length < readLimit) break;
      }
      const backlog = source.backlog();
      if (sent > 0) log.info('forwarded to Log Analytics', { sent, batches, backlog });
      return { sent, batches, backlog };
    },
  };
}
