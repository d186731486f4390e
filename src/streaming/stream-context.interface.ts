import type { InboundMessage } from '../bus/messages.interface.js';

/** What `beginStream` is given: where the streamed answer goes in the conversation. */
export interface StreamContext {
  readonly signal?: AbortSignal;
  /** The message the answer replies to: `respond`'s `replyToMessageId` (as on the outbound message it would otherwise be). */
  readonly replyToMessageId?: string;
  /** The thread (topic) to answer in: `respond`'s `threadId`, else the inbound message's `metadata.threadId`. */
  readonly threadId?: string;
  /** The message being answered, when `respond` was given one. */
  readonly inbound?: InboundMessage;
}
