/**
 * Sending cards to Teams conversations, as alerts, the digest and replies see it: one Sender per
 * process paces and retries every call (src/delivery/sender.ts), so Teams' per-conversation
 * limits hold across all of them.
 */
import type { ConvRef, PostedMessage } from './conversation.js';

export type SendOp =
  /** A new message in the conversation (or thread) of `ref`. */
  | { kind: 'post'; card: object; compactCard?: object }
  /** Replaces a posted card in place. */
  | { kind: 'update'; message: PostedMessage; card: object; compactCard?: object };

export type SendResult =
  /** `posted` is the new message for a 'post' (its activityId may be '': it cannot be updated), null for an 'update'. */
  | { ok: true; posted: PostedMessage | null; compact: boolean; attempts: number }
  /**
   * `permanent`: trying again will not help. `deactivate`: Teams refuses messages in this conversation
   * (bot blocked or removed); the subscription should be marked inactive. `retryAtMs` (epoch ms) is set
   * when not permanent: the earliest time worth another try.
   */
  | { ok: false; permanent: boolean; deactivate: boolean; reason: string; attempts: number; retryAtMs?: number };

export interface Sender {
  /** Resolves with a result for every Teams failure; rejects only when `signal` aborts. */
  send(ref: ConvRef, op: SendOp, signal?: AbortSignal): Promise<SendResult>;
}
