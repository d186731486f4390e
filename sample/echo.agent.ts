import { Injectable } from '@nestjs/common';
import { MessageBusService, OnInbound } from 'nestjs-agent-bus';
import type { InboundMessage } from 'nestjs-agent-bus';

/** Stands in for the LLM loop: thinks a little, then answers in the chat the message came from. */
@Injectable()
export class EchoAgent {
  constructor(private readonly bus: MessageBusService) {}

  @OnInbound()
  async handle(message: InboundMessage): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 20));
    await this.bus.publishOutbound({
      channel: message.channel,
      chatId: message.chatId,
      content: `echo: ${message.content}`,
      replyToMessageId: message.messageId,
    });
  }
}
