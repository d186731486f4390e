import { Injectable } from '@nestjs/common';
import type { Type } from '@nestjs/common';
import type { OutboundMediaMessage, OutboundMessage } from '../bus/messages.interface.js';
import { BusChannel } from '../decorators/bus-channel.decorator.js';
import { OnOutboundMedia } from '../decorators/on-outbound-media.decorator.js';
import { OnOutbound } from '../decorators/on-outbound.decorator.js';
import type { StreamCallOptions, Streamer } from '../streaming/streamer.interface.js';
import type { StreamingCapable } from '../streaming/streaming-capable.interface.js';
import { ThrottledStreamer } from '../streaming/throttled.streamer.js';
import { RateLimitedError } from './rate-limited.error.js';

/** One thing a chat platform was asked to do. `at` is `Date.now()` then: fake timers move it. */
export interface RecordedCall {
  kind: 'send' | 'media' | 'draft' | 'final' | 'clear';
  chatId: string;
  /** The text sent, drafted or finalized (a media message's parts count for `media`). */
  text: string;
  at: number;
}

/** How a {@link RecordingChannel} streams: `ThrottledStreamer` pacing, at once by default. */
export interface RecordingChannelOptions {
  /** @default 0 (every update is a draft) */
  throttleMs?: number;
  /** @default 1 */
  minGrowth?: number;
  /** The channel's text limit: finals are split, drafts cut. @default none */
  maxLength?: number;
}

/**
 * A chat channel for tests: records every send, draft, final message and draft clear with its time, and
 * fails on demand. `RecordingChannel.for('web')` makes the `@BusChannel('web')` provider class; get the
 * instance from the app to read `calls` or arrange failures. It sets no timers of its own (only the
 * `ThrottledStreamer` it streams with does), so Jest's fake timers and `@sinonjs/fake-timers` drive it.
 */
export class RecordingChannel implements StreamingCapable {
  readonly calls: RecordedCall[] = [];
  private failingSends: { remaining: number; error: () => unknown } | undefined;
  private failingDraft: number | undefined;
  private draftCount = 0;

  constructor(private readonly options: RecordingChannelOptions = {}) {}

  /** A provider class for the channel `name`, with `@BusChannel(name)` and a send handler for its outbound lanes. */
  static for(name: string, options: RecordingChannelOptions = {}): Type<RecordingChannel> {
    @Injectable()
    @BusChannel(name)
    class NamedRecordingChannel extends RecordingChannel {
      constructor() {
        super(options);
      }

      @OnOutbound({ channel: name })
      override send(message: OutboundMessage): Promise<void> {
        return super.send(message);
      }

      @OnOutboundMedia({ channel: name })
      override sendMedia(message: OutboundMediaMessage): Promise<void> {
        return super.sendMedia(message);
      }
    }
    return NamedRecordingChannel;
  }

  /** What was recorded of one kind (and chat), in order. */
  texts(kind: RecordedCall['kind'], chatId?: string): string[] {
    return this.calls.filter((call) => call.kind === kind && (chatId === undefined || call.chatId === chatId)).map((call) => call.text);
  }

  /** The next `count` sends fail (`Infinity`: every send), with `error()` or a plain error. */
  failSends(count = Infinity, error: () => unknown = () => new Error('send failed')): this {
    this.failingSends = { remaining: count, error };
    return this;
  }

  /** The next `count` sends answer 429 with `retryAfterMs`. */
  rateLimitSends(retryAfterMs: number, count = 1): this {
    return this.failSends(count, () => new RateLimitedError(retryAfterMs));
  }

  /** The `n`-th draft call (1-based, counting from now) fails, which degrades that stream to its final message. */
  failDraft(n = 1): this {
    this.failingDraft = this.draftCount + n;
    return this;
  }

  async send(message: OutboundMessage): Promise<void> {
    this.failIfAsked();
    this.record('send', message.chatId, message.content);
  }

  async sendMedia(message: OutboundMediaMessage): Promise<void> {
    this.failIfAsked();
    this.record('media', message.chatId, message.parts.map((part) => part.ref).join(', '));
  }

  beginStream(chatId: string, _options?: StreamCallOptions): Streamer {
    const { throttleMs = 0, minGrowth = 1, maxLength } = this.options;
    return new ThrottledStreamer({
      sendDraft: (text) => {
        if (++this.draftCount === this.failingDraft) throw new Error(`draft ${this.draftCount} failed`);
        this.record('draft', chatId, text);
      },
      sendFinal: (text) => this.record('final', chatId, text),
      clearDraft: () => this.record('clear', chatId, ''),
      throttleMs,
      minGrowth,
      maxLength,
      logger: { warn: () => undefined },
    });
  }

  private failIfAsked(): void {
    const failing = this.failingSends;
    if (failing === undefined || failing.remaining <= 0) return;
    failing.remaining--;
    throw failing.error();
  }

  private record(kind: RecordedCall['kind'], chatId: string, text: string): void {
    this.calls.push({ kind, chatId, text, at: Date.now() });
  }
}
