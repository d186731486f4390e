import { Injectable } from '@nestjs/common';
import { OnOutbound } from '../../src/index.js';
import type { OutboundMessage } from '../../src/index.js';

/** An `@OnOutbound` handler that records the content of every reply. */
@Injectable()
export class RecordingSender {
  readonly sent: string[] = [];

  @OnOutbound()
  send(message: OutboundMessage): void {
    this.sent.push(message.content);
  }
}
