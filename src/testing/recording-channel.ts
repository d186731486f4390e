import { Injectable } from '@nestjs/common';
import type { Type } from '@nestjs/common';
import type { OutboundMediaMessage, OutboundMessage } from '../bus/messages.interface.js';
import type { BusChannelOptions } from '../channels/bus-channel-options.interface.js';
import type { SentMessage, UndoCapability } from '../channels/channel-capabilities.interface.js';
import { BusChannel } from '../decorators/bus-channel.decorator.js';
import type { StreamContext } from '../streaming/stream-context.interface.js';
import type { Streamer } from '../streaming/streamer.interface.js';
import { ThrottledStreamer } from '../streaming/throttled.streamer.js';
import { RateLimitedError } from './rate-limited.error.js';

/** What a recording channel records. */
export type RecordedKind = 'send' | 'media' | 'draft' | 'final' | 'clear' | 'typing' | 'typing-stop' | 'react' | 'unreact' | 'placeholder' | 'edit' | 'delete';

/** One thing a chat platform was asked to do. `at` is `Date.now()` then: fake timers move it. */
export interface RecordedCall {
  kind: RecordedKind;
  chatId: string;
  /** The text sent, drafted, finalized or edited in; the media refs; the message id reacted to, edited or deleted. */
  text: string;
  /** The id of the message edited or deleted, and the id a send or placeholder got. */
  messageId?: string;
  at: number;
}

/** A capability a recording channel can be made without, to test a platform that lacks it. */
export type RecordingCapability = 'typing' | 'reaction' | 'placeholder' | 'edit' | 'delete' | 'stream';

/** How a {@link RecordingChannel} behaves. */
export interface RecordingChannelOptions {
  /** Draft pacing of its `ThrottledStreamer`. @default 0 (every update is a draft) */
  throttleMs?: number;
  /** @default 1 */
  minGrowth?: number;
  /** The streamer's text limit: finals are split, drafts cut. @default the channel's `maxMessageLength` */
  maxLength?: number;
  /** The `@BusChannel` options: length limit, rate limit, acknowledgements, retries. @default none */
  channel?: BusChannelOptions;
  /** Capabilities it lacks. @default [] (it has them all) */
  without?: readonly RecordingCapability[];
}

/**
 * A chat channel for tests: records every send, draft, final message, draft clear, typing, reaction,
 * placeholder, edit and delete with its time, and fails sends on demand. `RecordingChannel.for('web')`
 * makes the `@BusChannel('web')` provider class; get the instance from the app to read `calls` or arrange
 * failures. It sets no timers of its own (only the `ThrottledStreamer` it streams with does), so Jest's fake
 * timers and `@sinonjs/fake-timers` drive it.
 */
export class RecordingChannel {
  readonly calls: RecordedCall[] = [];
  private failingSends: { remaining: number; error: () => unknown } | undefined;
  private failingDraft: number | undefined;
  private draftCount = 0;
  private failingFinal: number | undefined;
  private finalCount = 0;
  private nextId = 1;

  constructor(private readonly options: RecordingChannelOptions = {}) {
    for (const capability of options.without ?? []) for (const method of CAPABILITY_METHODS[capability]) Object.defineProperty(this, method, { value: undefined });
  }

  /** A provider class for the channel `name`, with `@BusChannel(name, options.channel)`. */
  static for(name: string, options: RecordingChannelOptions = {}): Type<RecordingChannel> {
    @Injectable()
    @BusChannel(name, options.channel)
    class NamedRecordingChannel extends RecordingChannel {
      constructor() {
        super({ maxLength: options.channel?.maxMessageLength, ...options });
      }
    }
    return NamedRecordingChannel;
  }

  /** What was recorded of one kind (and chat), in order. */
  texts(kind: RecordedKind, chatId?: string): string[] {
    return this.calls.filter((call) => call.kind === kind && (chatId === undefined || call.chatId === chatId)).map((call) => call.text);
  }

  /** The kinds recorded for a chat, in order: the lifecycle at a glance. */
  kinds(chatId?: string): RecordedKind[] {
    return this.calls.filter((call) => chatId === undefined || call.chatId === chatId).map((call) => call.kind);
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

  /** The `n`-th final-message call (1-based, counting from now; each part of a split answer is one) fails once. */
  failFinal(n = 1): this {
    this.failingFinal = this.finalCount + n;
    return this;
  }

  async send(message: OutboundMessage): Promise<SentMessage> {
    this.failIfAsked();
    return { messageId: this.record('send', message.chatId, message.content) };
  }

  async sendMedia(message: OutboundMediaMessage): Promise<SentMessage> {
    this.failIfAsked();
    return { messageId: this.record('media', message.chatId, message.parts.map((part) => part.ref).join(', ')) };
  }

  async startTyping(chatId: string): Promise<UndoCapability> {
    this.record('typing', chatId, '');
    return () => void this.record('typing-stop', chatId, '');
  }

  async react(chatId: string, messageId: string): Promise<UndoCapability> {
    this.record('react', chatId, messageId);
    return () => void this.record('unreact', chatId, messageId);
  }

  async sendPlaceholder(chatId: string): Promise<string> {
    return this.record('placeholder', chatId, 'Thinking…');
  }

  async editMessage(chatId: string, messageId: string, content: string): Promise<void> {
    this.record('edit', chatId, content, messageId);
  }

  async deleteMessage(chatId: string, messageId: string): Promise<void> {
    this.record('delete', chatId, '', messageId);
  }

  beginStream(chatId: string, _context?: StreamContext): Streamer {
    const { throttleMs = 0, minGrowth = 1, maxLength } = this.options;
    return new ThrottledStreamer({
      sendDraft: (text) => {
        if (++this.draftCount === this.failingDraft) throw new Error(`draft ${this.draftCount} failed`);
        this.record('draft', chatId, text);
      },
      sendFinal: (text) => {
        if (++this.finalCount === this.failingFinal) throw new Error(`final ${this.finalCount} failed`);
        this.record('final', chatId, text);
      },
      clearDraft: () => void this.record('clear', chatId, ''),
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

  /** Records the call; returns the id a new message would get. */
  private record(kind: RecordedKind, chatId: string, text: string, messageId?: string): string {
    const id = messageId ?? `m${this.nextId++}`;
    this.calls.push({ kind, chatId, text, messageId: id, at: Date.now() });
    return id;
  }
}

const CAPABILITY_METHODS: Readonly<Record<RecordingCapability, readonly string[]>> = {
  typing: ['startTyping'],
  reaction: ['react'],
  placeholder: ['sendPlaceholder'],
  edit: ['editMessage'],
  delete: ['deleteMessage'],
  stream: ['beginStream'],
};
