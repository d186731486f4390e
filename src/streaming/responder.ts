import type { Logger } from '@nestjs/common';
import { invalidSignalError, isAbortSignal, untilAborted } from '../bus/abort-signal.js';
import { describeError } from '../bus/describe.js';
import type { LaneCallOptions } from '../bus/lane.js';
import { checkAddress } from '../bus/message.validators.js';
import type { OutboundMessage } from '../bus/messages.interface.js';
import { pipeTextStream } from './pipe-text-stream.js';
import { StreamFinalizeError } from './stream-finalize.error.js';
import type { StreamCallOptions, Streamer } from './streamer.interface.js';

/** Where `respond()` sends the answer: an inbound message, or a channel and chat. */
export interface ReplyTarget {
  channel: string;
  chatId: string;
}

/** Options of `respond()`. */
export interface RespondOptions {
  /** Aborts the answer: the streamer is cancelled, nothing is published, and `respond` rejects with the reason. */
  signal?: AbortSignal;
  /**
   * Stream the answer into the chat as it grows, when the channel can. `false` accumulates it and
   * publishes one outbound message at the end.
   * @default true
   */
  stream?: boolean;
  /** Sets `replyToMessageId` on the outbound message. */
  replyToMessageId?: string;
}

/** What `respond()` delivered. */
export interface RespondResult {
  /** The whole answer. */
  text: string;
  /** Whether a streamer delivered it (otherwise it went out as an outbound message, or was empty). */
  streamed: boolean;
}

/** What a responder needs from the bus. */
export interface ResponderPorts {
  getStreamer(channel: string, chatId: string, options?: StreamCallOptions): Promise<Streamer | undefined>;
  publishOutbound(message: OutboundMessage, options?: LaneCallOptions): Promise<void>;
  logger: Logger;
}

/** Finalizing does nothing: used to accumulate a text stream that is not shown as it grows. */
const COLLECTOR: Streamer = { update: async () => {}, finalize: async () => {}, cancel: async () => {} };

/** `bus.respond()`: an answer streamed into the chat when it can be, else published as one message. */
export class Responder {
  constructor(private readonly ports: ResponderPorts) {}

  async respond(to: ReplyTarget, reply: string | AsyncIterable<string>, options: RespondOptions = {}): Promise<RespondResult> {
    const { signal, stream = true } = options;
    checkRespondCall(to, reply, signal);
    signal?.throwIfAborted();
    if (typeof reply === 'string') return this.publishAnswer(to, reply, options);
    const streamer = stream ? await this.streamerFor(to, signal) : undefined;
    if (streamer === undefined) return this.publishAnswer(to, await pipeTextStream(reply, COLLECTOR, { signal }), options);
    try {
      const text = await pipeTextStream(reply, streamer, { signal });
      return { text, streamed: text !== '' };
    } catch (error) {
      if (!(error instanceof StreamFinalizeError)) throw error;
      this.ports.logger.warn(`Streaming to channel "${to.channel}" failed to finalize; sending the answer as a message: ${error.message}`);
      await untilAborted(streamer.cancel(), signal).catch(() => undefined); // clear the preview before the message arrives
      return this.publishAnswer(to, error.text, options);
    }
  }

  /** A delegate that fails costs the preview, not the answer: it then goes out as a normal message. */
  private async streamerFor(to: ReplyTarget, signal: AbortSignal | undefined): Promise<Streamer | undefined> {
    try {
      return await untilAborted(this.ports.getStreamer(to.channel, to.chatId, signal ? { signal } : undefined), signal);
    } catch (error) {
      signal?.throwIfAborted();
      this.ports.logger.warn(`No streamer for channel "${to.channel}", chat "${to.chatId}": ${describeError(error)}`);
      return undefined;
    }
  }

  private async publishAnswer(to: ReplyTarget, text: string, options: RespondOptions): Promise<RespondResult> {
    if (text !== '') {
      const message: OutboundMessage = { channel: to.channel, chatId: to.chatId, content: text };
      if (options.replyToMessageId !== undefined) message.replyToMessageId = options.replyToMessageId;
      await this.ports.publishOutbound(message, { signal: options.signal });
    }
    return { text, streamed: false };
  }
}

/** Bad arguments of `respond()` are refused before anything is streamed or published. */
function checkRespondCall(to: ReplyTarget, reply: unknown, signal: unknown): void {
  checkAddress('outbound', to);
  const isStream = typeof reply === 'object' && reply !== null && typeof (reply as AsyncIterable<string>)[Symbol.asyncIterator] === 'function';
  if (typeof reply !== 'string' && !isStream) throw new TypeError('respond: reply must be a string or an AsyncIterable of text deltas');
  if (signal !== undefined && !isAbortSignal(signal)) throw invalidSignalError('respond', signal);
}
