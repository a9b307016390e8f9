import type { Clock } from '../../src/core/clock.js';
import type { ConvRef, PostedMessage, TeamsGateway } from '../../src/core/conversation.js';

/** A TeamsGateway that records every call with its (virtual) start time and answers from a script of errors. */
export class RecordingGateway implements TeamsGateway {
  readonly calls: { method: string; conversationId: string; card: object; atMs: number }[] = [];
  /** Errors to throw, in order, one per call; an empty script succeeds. */
  readonly failures: Error[] = [];
  private seq = 0;

  constructor(private readonly clock: Clock) {}

  postCard(ref: ConvRef, card: object): Promise<PostedMessage> {
    return this.call('postCard', ref.conversationId, card);
  }

  async updateCard(msg: PostedMessage, _ref: ConvRef, card: object): Promise<void> {
    await this.call('updateCard', msg.conversationId, card);
  }

  startThread(ref: ConvRef, card: object): Promise<PostedMessage> {
    return this.call('startThread', ref.conversationId, card);
  }

  replyInThread(ref: ConvRef, _root: string, card: object): Promise<PostedMessage> {
    return this.call('replyInThread', ref.conversationId, card);
  }

  private call(method: string, conversationId: string, card: object): Promise<PostedMessage> {
    this.calls.push({ method, conversationId, card, atMs: this.clock.now() });
    const failure = this.failures.shift();
    if (failure) return Promise.reject(failure);
    return Promise.resolve({ conversationId, activityId: `act-${++this.seq}` });
  }
}
