import { Injectable } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BusChannel, MessageBusService, OnOutbound, ThrottledStreamer } from 'nestjs-agent-bus';
import type { OutboundMessage, StreamingCapable, Streamer } from 'nestjs-agent-bus';

const CHAT = 'console-chat';

/**
 * A chat channel whose "chat" is the terminal: it publishes a few user messages, shows the answers
 * growing as drafts (throttled, as a chat API would need), and prints the final messages.
 */
@Injectable()
@BusChannel('console')
export class ConsoleChannel implements StreamingCapable, OnApplicationBootstrap, OnApplicationShutdown {
  constructor(private readonly bus: MessageBusService) {}

  async onApplicationBootstrap(): Promise<void> {
    const lines = ['hello', 'what is a bounded lane?'];
    for (const [index, content] of lines.entries()) {
      console.log(`user  > ${content}`);
      await this.bus.publishInbound({ channel: 'console', senderId: 'user', chatId: CHAT, content, messageId: String(index) });
    }
  }

  beginStream(): Streamer {
    return new ThrottledStreamer({
      sendDraft: (text) => console.log(`draft … ${text}`),
      sendFinal: (text) => console.log(`agent < ${text}`),
      throttleMs: 100,
      minGrowth: 40,
      maxLength: 4096,
    });
  }

  /** Answers that are not streamed arrive here. */
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
