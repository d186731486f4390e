import type { Logger } from '@nestjs/common';
import { invalidSignalError, isAbortSignal, untilAborted } from '../bus/abort-signal.js';
import { describeError } from '../bus/describe.js';
import type { LaneCallOptions } from '../bus/lane.js';
import { checkAddress } from '../bus/message.validators.js';
import type { OutboundMessage } from '../bus/messages.interface.js';
import { pipeTextStream } from './pipe-text-stream.js';
import { StreamFinalizeError } from './stream-finalize.error.js';
import type { StreamContext } from './stream-context.interface.js';
import type { Streamer } from './streamer.interface.js';
import type { InboundMessage } from '../bus/messages.interface.js';

/** Where `respond()` sends the answer: an inbound message, or a channel and chat. */
export interface ReplyTarget {
  channel: string;
  chatId: string;
}

/**
 * An answer for `respond()`: the text, a stream of text deltas, or a function that starts the stream with
 * the answer's signal, so that aborting the answer aborts the model's HTTP request:
 * `(signal) => openai.chat.completions.create({ ..., stream: true }, { signal })`.
 */
export type Reply = string | AsyncIterable<string> | ((signal: AbortSignal) => AsyncIterable<string> | PromiseLike<AsyncIterable<string>>);

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
  /** Sets `replyToMessageId` on the outbound message, and on the stream's context. */
  replyToMessageId?: string;
  /** The thread to answer in, for the stream's context. @default the inbound message's `metadata.threadId` */
  threadId?: string;
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
  getStreamer(channel: string, chatId: string, context?: StreamContext): Promise<Streamer | undefined>;
  publishOutbound(message: OutboundMessage, options?: LaneCallOptions): Promise<void>;
  logger: Logger;
}

/** Finalizing does nothing: used to accumulate a text stream that is not shown as it grows. */
const COLLECTOR: Streamer = { update: async () => {}, finalize: async () => {}, cancel: async () => {} };

/** `bus.respond()`: an answer streamed into the chat when it can be, else published as one message. */
export class Responder {
  constructor(private readonly ports: ResponderPorts) {}

  async respond(to: ReplyTarget, reply: Reply, options: RespondOptions = {}): Promise<RespondResult> {
    const { signal } = options;
    checkRespondCall(to, reply, signal);
    signal?.throwIfAborted();
    if (typeof reply === 'string') return this.publishAnswer(to, reply, options);
    if (typeof reply !== 'function') return this.respondWithStream(to, reply, options);
    // The answer's own signal: aborted when the caller aborts, and when answering fails, so the model stops.
    const answer = new AbortController();
    const stop = (): void => answer.abort(signal?.reason);
    signal?.addEventListener('abort', stop, { once: true });
    try {
      return await this.respondWithStream(to, await untilAborted(reply(answer.signal), signal), options);
    } catch (error) {
      answer.abort(error);
      throw error;
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  }

  private async respondWithStream(to: ReplyTarget, reply: AsyncIterable<string>, options: RespondOptions): Promise<RespondResult> {
    const { signal, stream = true } = options;
    const streamer = stream ? await this.streamerFor(to, options) : undefined;
    if (streamer === undefined) return this.publishAnswer(to, await pipeTextStream(reply, COLLECTOR, { signal }), options);
    try {
      const text = await pipeTextStream(reply, streamer, { signal });
      return { text, streamed: text !== '' };
    } catch (error) {
      if (!(error instanceof StreamFinalizeError)) throw error;
      this.ports.logger.warn(`Streaming to channel "${to.channel}" failed to finalize; sending the rest as a message: ${error.message}`);
      await untilAborted(streamer.cancel(), signal).catch(() => undefined); // clear the preview before the message arrives
      await this.publishAnswer(to, error.undelivered, options);
      return { text: error.text, streamed: false };
    }
  }

  /** A delegate that fails costs the preview, not the answer: it then goes out as a normal message. */
  private async streamerFor(to: ReplyTarget, options: RespondOptions): Promise<Streamer | undefined> {
    const { signal } = options;
    try {
      return await untilAborted(this.ports.getStreamer(to.channel, to.chatId, streamContext(to, options)), signal);
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
  if (typeof reply !== 'string' && typeof reply !== 'function' && !isStream) {
    throw new TypeError('respond: reply must be a string, an AsyncIterable of text deltas, or a function (signal) => AsyncIterable');
  }
  if (signal !== undefined && !isAbortSignal(signal)) throw invalidSignalError('respond', signal);
}

/** Where the streamed answer goes: the message it replies to, its thread, and the user's message when given one. */
function streamContext(to: ReplyTarget, options: RespondOptions): StreamContext {
  const inbound = isInbound(to) ? to : undefined;
  const threadId = options.threadId ?? inbound?.metadata?.threadId;
  const context: { -readonly [K in keyof StreamContext]: StreamContext[K] } = {};
  if (options.signal !== undefined) context.signal = options.signal;
  if (options.replyToMessageId !== undefined) context.replyToMessageId = options.replyToMessageId;
  if (threadId !== undefined) context.threadId = threadId;
  if (inbound !== undefined) context.inbound = inbound;
  return context;
}

function isInbound(to: ReplyTarget): to is InboundMessage {
  const candidate = to as Partial<InboundMessage>;
  return typeof candidate.senderId === 'string' && typeof candidate.content === 'string';
}
