import { Injectable } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BusChannel, MessageBusService, OnOutbound, ThrottledStreamer } from 'nestjs-agent-bus';
import type { OutboundMessage, StreamingCapable, Streamer } from 'nestjs-agent-bus';

/**
 * A chat channel whose "chat" is the terminal: it publishes a few user messages, shows the answers
 * growing as drafts (throttled, as a chat API would need), and prints the final messages.
 */
@Injectable()
@BusChannel('console')
export class ConsoleChannel implements StreamingCapable, OnApplicationBootstrap, OnApplicationShutdown {
  constructor(private readonly bus: MessageBusService) {}

  async onApplicationBootstrap(): Promise<void> {
    // Two chats at once; alice's two quick messages arrive while her first turn is still being answered.
    const lines = [
      ['alice', 'hello'],
      ['bob', 'what is a bounded lane?'],
      ['alice', 'and what does the bus do with my second message?'],
    ];
    for (const [index, [chatId, content]] of lines.entries()) {
      console.log(`${chatId.padEnd(5)} > ${content}`);
      await this.bus.publishInbound({ channel: 'console', senderId: chatId, chatId, content, messageId: String(index) });
    }
  }

  beginStream(chatId: string): Streamer {
    return new ThrottledStreamer({
      sendDraft: (text) => console.log(`${chatId.padEnd(5)} … ${text}`),
      sendFinal: (text) => console.log(`${chatId.padEnd(5)} < ${text}`),
      throttleMs: 100,
      minGrowth: 40,
      maxLength: 4096,
    });
  }

  /** Answers that are not streamed arrive here. */
  @OnOutbound({ channel: 'console' })
  send(message: OutboundMessage): void {
    console.log(`${message.chatId.padEnd(5)} < ${message.content}`);
  }

  /** Runs once the bus has drained (the same promise as the module's own close). */
  async onApplicationShutdown(signal?: string): Promise<void> {
    const report = await this.bus.close();
    console.log(`\nshutdown (${signal ?? 'app.close()'}): closed in ${Math.round(report.durationMs)} ms, timed out: ${report.timedOut}`);
    console.table(report.lanes);
  }
}
