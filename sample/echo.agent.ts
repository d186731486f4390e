import { Injectable } from '@nestjs/common';
import { MessageBusService, OnInbound } from 'nestjs-agent-bus';
import type { BusContext, InboundMessage } from 'nestjs-agent-bus';

/** Stands in for an LLM: streams the answer word by word, a few milliseconds apart. */
async function* fakeLlm(prompt: string): AsyncIterable<string> {
  const answer = `You said "${prompt}". Chats are answered in parallel, each chat's messages in order.`;
  for (const word of answer.split(/(?<= )/)) {
    await new Promise((resolve) => setTimeout(resolve, 15));
    yield word;
  }
}

/**
 * The agent: answers each chat, streamed into it when its channel can stream. Chats are answered in
 * parallel; what a user writes while their answer is being written is collected into their next turn.
 */
@Injectable()
export class EchoAgent {
  constructor(private readonly bus: MessageBusService) {}

  @OnInbound({ onBusy: 'collect' })
  async handle(message: InboundMessage, ctx: BusContext<InboundMessage>): Promise<void> {
    const prompt = ctx.messages.map((m) => m.content).join(' / ');
    await this.bus.respond(message, fakeLlm(prompt), { replyToMessageId: message.messageId, signal: ctx.signal });
  }
}
