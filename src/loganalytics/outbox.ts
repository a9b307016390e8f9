import type { Logger } from '../core/logger.js';
import type { ForwardingOutbox } from '../store/types.js';

/**
 * Brings the store's forwarding outbox in line with the configuration at start. Forwarding on:
 * enable the outbox (seeded with the whole history the first time, so the workspace receives it).
 * Forwarding off but on before: turn the outbox off so that it stops growing, and say so (the
 * versions not yet sent are dropped; turning it on again sends the whole history again, and
 * readers keep the latest row per action).
 */
export function reconcileForwarding(
  outbox: ForwardingOutbox,
  configured: boolean,
  atIso: string,
  logger: Logger,
): void {
  if (!configured) {
    if (!outbox.forwardingEnabled()) return;
    const dropped = outbox.disableForwarding();
    logger.warn('Log Analytics forwarding is no longer configured: stopped recording versions for it', {
      droppedUnsent: dropped,
      note: 'when LOGS_INGESTION_ENDPOINT is set again, the whole history is sent again (readers keep the latest row per action)',
    });
    return;
  }
  const seeded = outbox.enableForwarding(atIso);
  if (seeded > 0)
    logger.info('Log Analytics forwarding enabled: the stored history will be sent first', { versions: seeded });
}
