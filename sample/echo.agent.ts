import { Injectable } from '@nestjs/common';
import { MessageBusService, OnInbound } from 'nestjs-agent-bus';
import type { InboundMessage } from 'nestjs-agent-bus';

/** Stands in for an LLM: streams the answer word by word, a few milliseconds apart. */
async function* fakeLlm(prompt: string): AsyncIterable<string> {
  const answer = `You said "${prompt}". A bounded lane makes publishers wait instead of dropping messages.`;
  for (const word of answer.split(/(?<= )/)) {
    await new Promise((resolve) => setTimeout(resolve, 15));
    yield word;
  }
}

/** The agent: answers every inbound message, streamed into the chat when its channel can stream. */
@Injectable()
export class EchoAgent {
  constructor(private readonly bus: MessageBusService) {}

  @OnInbound()
  async handle(message: InboundMessage): Promise<void> {
    await this.bus.respond(message, fakeLlm(message.content), { replyToMessageId: message.messageId });
  }
}
