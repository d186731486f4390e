import { Injectable } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { MessageBusService, OnOutbound } from 'nestjs-agent-bus';
import type { OutboundMessage } from 'nestjs-agent-bus';

const CHAT = 'console-chat';

/** A chat channel whose "chat" is the terminal: it publishes a few user messages and prints the replies. */
@Injectable()
export class ConsoleChannel implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(private readonly bus: MessageBusService) {}

  async onApplicationBootstrap(): Promise<void> {
    const lines = ['hello', 'what is a bounded lane?', 'stream me something', 'bye'];
    for (const [index, content] of lines.entries()) {
      console.log(`user  > ${content}`);
      await this.bus.publishInbound({ channel: 'console', senderId: 'user', chatId: CHAT, content, messageId: String(index) });
    }
  }

  @OnOutbound({ channel: 'console' })
  send(message: OutboundMessage): void {
    console.log(`agent < ${message.content}`);
  }

  /** Runs once the bus has drained (the same promise as the module's own close). */
  async onApplicationShutdown(signal?: string): Promise<void> {
    const report = await this.bus.close();
    console.log(`\nshutdown (${signal ?? 'app.close()'}): close report`);
    console.table([{ ...report, durationMs: Math.round(report.durationMs) }]);
  }
}
