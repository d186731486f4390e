import type { Logger } from '@nestjs/common';
import type { InboundMessage, OutboundMediaMessage, OutboundMessage } from '../bus/messages.interface.js';
import type { BusContext } from '../dispatch/bus-context.interface.js';
import type { DispatchOptions } from '../dispatch/dispatch-options.interface.js';
import { readStringField } from '../bus/describe.js';
import { isThenable } from '../dispatch/thenable.js';
import type { Streamer } from '../streaming/streamer.interface.js';
import type { ResolvedChannelOptions } from './channel-options.js';
import type { ChannelCapabilities } from './channel-capabilities.interface.js';
import { ChannelOutbox } from './channel-outbox.js';
import { ChatAcknowledgements } from './chat-acknowledgements.js';
import { SendPacer } from './send-pacer.js';

/** How often the janitor looks for acknowledgements whose answer never came. */
const JANITOR_INTERVAL_MS = 10_000;

/** A `@BusChannel` provider as the explorer found it. */
export interface FoundChannel {
  readonly instance: object;
  readonly options: ResolvedChannelOptions;
  /** Whether its `send` / `sendMedia` is already an `@OnOutbound` / `@OnOutboundMedia` handler of its own. */
  readonly decorated: { readonly send: boolean; readonly sendMedia: boolean };
}

/** A delivery handler the hub adds to an outbound lane (the shape the service's dispatch takes). */
export interface ChannelHandler<T> {
  readonly name: string;
  readonly channels: ReadonlySet<string>;
  readonly dispatch: DispatchOptions;
  readonly invoke: (message: T, context: BusContext<T>) => unknown;
}

type Invoke = (message: never, context: never) => unknown;

/**
 * The bus's channel manager: delivery for every `@BusChannel` with `send` / `sendMedia` (an outbound
 * handler per channel, per-chat order, chats in parallel), and the acknowledgement lifecycle of the
 * channels that ask for it, with its janitor.
 */
export class ChannelHub {
  private readonly outboxes = new Map<string, ChannelOutbox>();
  private readonly acknowledgements = new Map<string, ChatAcknowledgements>();
  private janitor: NodeJS.Timeout | undefined = undefined;

  constructor(
    private readonly channels: ReadonlyMap<string, FoundChannel>,
    private readonly logger: Logger,
  ) {
    for (const [name, { instance, options }] of channels) {
      const capabilities = instance as ChannelCapabilities;
      const acknowledgements =
        options.acknowledge.length === 0
          ? undefined
          : new ChatAcknowledgements(name, capabilities, { kinds: options.acknowledge, typingIntervalMs: options.typingIntervalMs, ttlMs: options.acknowledgeTtlMs }, logger);
      if (acknowledgements !== undefined) this.acknowledgements.set(name, acknowledgements);
      const pacer = options.rateLimit === undefined ? undefined : new SendPacer(options.rateLimit);
      this.outboxes.set(name, new ChannelOutbox(name, capabilities, { maxMessageLength: options.maxMessageLength, retry: options.retry, pacer, acknowledgements }, logger));
    }
  }

  /** Whether any channel acknowledges users' messages (only then are inbound calls wrapped). */
  get acknowledging(): boolean {
    return this.acknowledgements.size > 0;
  }

  /** The delivery handlers for the outbound lanes: one per channel with `send` (or `sendMedia`) not already a handler. */
  outboundHandlers(): { outbound: ChannelHandler<OutboundMessage>[]; outboundMedia: ChannelHandler<OutboundMediaMessage>[] } {
    const outbound: ChannelHandler<OutboundMessage>[] = [];
    const outboundMedia: ChannelHandler<OutboundMediaMessage>[] = [];
    for (const [name, { instance, options, decorated }] of this.channels) {
      const outbox = this.outboxes.get(name) as ChannelOutbox;
      const capabilities = instance as ChannelCapabilities;
      const dispatch: DispatchOptions = { concurrency: options.concurrency, orderBy: 'chat', timeoutMs: options.timeoutMs };
      const channels = new Set([name]);
      const className = instance.constructor.name;
      if (typeof capabilities.send === 'function' && !decorated.send) {
        outbound.push({ name: `${className}.send`, channels, dispatch, invoke: (message, ctx) => outbox.send(message, ctx) });
      }
      if (typeof capabilities.sendMedia === 'function' && !decorated.sendMedia) {
        outboundMedia.push({ name: `${className}.sendMedia`, channels, dispatch, invoke: (message, ctx) => outbox.sendMedia(message, ctx) });
      }
    }
    return { outbound, outboundMedia };
  }

  /** Wraps an inbound handler so that each call acknowledges its message, and ends the turn when it settles. */
  wrapInbound(invoke: Invoke): Invoke {
    return ((message: InboundMessage, ctx: never) => {
      const acknowledgements = this.acknowledgements.get(message.channel);
      if (acknowledgements === undefined) return invoke(message as never, ctx);
      acknowledgements.turnStarted(message);
      const end = () => acknowledgements.turnEnded(message.chatId);
      try {
        const result = invoke(message as never, ctx);
        if (isThenable(result)) return Promise.resolve(result).finally(end);
        end();
        return result;
      } catch (error) {
        end();
        throw error;
      }
    }) as Invoke;
  }

  /** An answer for this chat was published: its acknowledgement waits for it instead of being cleaned up at the turn's end. */
  answerPublished(message: unknown): void {
    if (this.acknowledgements.size === 0) return;
    const channel = readStringField(message, 'channel');
    const acknowledgements = channel === undefined ? undefined : this.acknowledgements.get(channel);
    const chatId = readStringField(message, 'chatId');
    if (acknowledgements !== undefined && chatId !== undefined) acknowledgements.answerPublished(chatId);
  }

  /** Wraps a channel's streamer: a successful `finalize` completes the chat's acknowledgement. */
  wrapStreamer(channel: string, chatId: string, streamer: Streamer): Streamer {
    const acknowledgements = this.acknowledgements.get(channel);
    if (acknowledgements === undefined) return streamer;
    return {
      update: (content, options) => streamer.update(content, options),
      cancel: (options) => streamer.cancel(options),
      finalize: async (content, options) => {
        await streamer.finalize(content, options);
        await acknowledgements.streamed(chatId, content);
      },
    };
  }

  /** Resolves once every acknowledgement clean-up started so far is done. */
  async settled(): Promise<void> {
    await Promise.all([...this.acknowledgements.values()].map((acknowledgements) => acknowledgements.settled()));
  }

  /** Starts the janitor (only when a channel acknowledges). */
  start(): void {
    if (!this.acknowledging || this.janitor !== undefined) return;
    this.janitor = setInterval(() => {
      const now = Date.now();
      for (const acknowledgements of this.acknowledgements.values()) acknowledgements.sweep(now);
    }, JANITOR_INTERVAL_MS);
    this.janitor.unref?.();
  }

  /** The bus closed: the janitor stops and every acknowledgement left is undone. */
  async close(): Promise<void> {
    if (this.janitor !== undefined) clearInterval(this.janitor);
    await Promise.all([...this.acknowledgements.values()].map((acknowledgements) => acknowledgements.closeAll()));
  }
}
