import { Injectable } from '@nestjs/common';
import { BusChannel, ThrottledStreamer } from 'nestjs-agent-bus';
import type {
  ChannelSender,
  MessageDeleter,
  MessageEditor,
  OutboundMessage,
  PlaceholderCapable,
  SentMessage,
  StreamingChannel,
  TypingCapable,
} from 'nestjs-agent-bus';
import { randomUUID } from 'node:crypto';
import { ChatEvents } from './chat-events.service.js';

/**
 * The browser as a chat platform: every capability becomes an event on the chat's SSE stream. The bus
 * shows "typing" and a "Thinking…" placeholder as soon as the agent takes a message, streams the answer as
 * drafts, then the final text, and removes the placeholder when the stream delivered the answer.
 */
@Injectable()
@BusChannel('web', { acknowledge: ['typing', 'placeholder'], typingIntervalMs: 3000 })
export class WebChannel implements ChannelSender, TypingCapable, PlaceholderCapable, MessageEditor, MessageDeleter, StreamingChannel {
  constructor(private readonly events: ChatEvents) {}

  async send(message: OutboundMessage): Promise<SentMessage> {
    this.events.emit(message.chatId, 'final', { text: message.content });
    return { messageId: randomUUID() };
  }

  async startTyping(chatId: string) {
    this.events.emit(chatId, 'typing', { active: true });
    return () => this.events.emit(chatId, 'typing', { active: false });
  }

  async sendPlaceholder(chatId: string): Promise<string> {
    const id = randomUUID();
    this.events.emit(chatId, 'placeholder', { id, text: 'Thinking…' });
    return id;
  }

  /** The placeholder becomes the answer. */
  async editMessage(chatId: string, _messageId: string, content: string): Promise<void> {
    this.events.emit(chatId, 'final', { text: content });
  }

  async deleteMessage(chatId: string, messageId: string): Promise<void> {
    this.events.emit(chatId, 'placeholder', { id: messageId, removed: true });
  }

  beginStream(chatId: string) {
    return new ThrottledStreamer({
      sendDraft: (text) => this.events.emit(chatId, 'draft', { text }),
      sendFinal: (text) => this.events.emit(chatId, 'final', { text }),
      throttleMs: 60,
      minGrowth: 1,
    });
  }
}
