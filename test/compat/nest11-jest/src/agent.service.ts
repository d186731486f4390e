import { Injectable } from '@nestjs/common';
import { MessageBusService, OnInbound } from 'nestjs-agent-bus';
import type { BusContext, InboundMessage } from 'nestjs-agent-bus';

@Injectable()
export class AgentService {
  constructor(private readonly bus: MessageBusService) {}

  @OnInbound({ onBusy: 'collect' })
  async handle(message: InboundMessage, ctx: BusContext<InboundMessage>): Promise<void> {
    const question = ctx.messages.map((m) => m.content).join(' + ');
    await this.bus.respond(message, `re: ${question}`);
  }
}
