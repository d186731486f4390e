import { Injectable } from '@nestjs/common';
import { OnOutbound } from 'nestjs-agent-bus';
import type { OutboundMessage } from 'nestjs-agent-bus';

@Injectable()
export class WebChannel {
  readonly sent: string[] = [];

  @OnOutbound({ channel: 'web' })
  send(message: OutboundMessage): void {
    this.sent.push(`${message.chatId}: ${message.content}`);
  }
}
