import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import fc from 'fast-check';
import { BusChannel, BusModule, ChannelPermanentError, ChannelRateLimitError, ChannelTemporaryError, MessageBusService, splitMessage } from '../../src/index.js';
import type { OutboundMessage, SendContext } from '../../src/index.js';
import { RecordingLogger } from '../support/recording.logger.js';

/** What the platform does with one send call. */
type Outcome = 'ok' | 'temporary' | 'permanent' | 'rate-limit' | 'throws-string' | 'slow';

const MAX_LENGTH = 12;

function failureFor(outcome: Outcome): unknown {
  switch (outcome) {
    case 'temporary':
      return new ChannelTemporaryError('502');
    case 'permanent':
      return new ChannelPermanentError('403');
    case 'rate-limit':
      return new ChannelRateLimitError(0);
    case 'throws-string':
      return 'a bare string';
    default:
      return undefined;
  }
}

@Injectable()
@BusChannel('prop', { maxMessageLength: MAX_LENGTH, retry: { attempts: 3, backoffMs: 0, rateLimitDelayMs: 0 }, concurrency: 3 })
class ScriptedChannel {
  outcomes: Outcome[] = [];
  readonly sent: { chatId: string; content: string; index: number }[] = [];
  private call = 0;

  async send(message: OutboundMessage, _ctx: SendContext): Promise<void> {
    const outcome = this.outcomes[this.call++ % Math.max(1, this.outcomes.length)] ?? 'ok';
    if (outcome === 'slow') await new Promise((resolve) => setTimeout(resolve, 1));
    const failure = failureFor(outcome);
    if (failure !== undefined) throw failure;
    this.sent.push({ chatId: message.chatId, content: message.content, index: Number(message.replyToMessageId) });
  }
}

const words = fc.array(fc.constantFrom('alpha', 'beta', 'gamma', 'delta', 'epsilon', 'z', 'longerwordhere'), { minLength: 1, maxLength: 8 }).map((list) => list.join(' '));

describe('channel delivery, under any sequence of platform failures', () => {
  it('sends every part of every message at most once, in order per chat, and reports exactly what was not sent', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), words), { minLength: 1, maxLength: 8 }),
        fc.array(fc.constantFrom<Outcome>('ok', 'ok', 'ok', 'temporary', 'permanent', 'rate-limit', 'throws-string', 'slow'), { maxLength: 12 }),
        async (messages, outcomes) => {
          const reports: { message: OutboundMessage; reason: string }[] = [];
          const app = await Test.createTestingModule({
            imports: [BusModule.forRoot({ onUndelivered: (_lane, message, reason) => void reports.push({ message: message as OutboundMessage, reason }) })],
            providers: [ScriptedChannel],
          })
            .setLogger(new RecordingLogger())
            .compile();
          await app.init();
          try {
            const channel = app.get(ScriptedChannel);
            channel.outcomes = outcomes;
            const bus = app.get(MessageBusService);
            for (const [index, [chatId, content]] of messages.entries()) {
              await bus.publishOutbound({ channel: 'prop', chatId, content, replyToMessageId: String(index) });
            }
            await bus.idle();
            for (const [index, [chatId, content]] of messages.entries()) {
              const parts = splitMessage(content, MAX_LENGTH);
              const sent = channel.sent.filter((entry) => entry.index === index).map((entry) => entry.content);
              const reported = reports.filter((report) => report.message.replyToMessageId === String(index));
              // Each part at most once, in order: what was sent is a prefix of the parts.
              expect(sent).toEqual(parts.slice(0, sent.length));
              if (sent.length === parts.length) {
                expect(reported).toEqual([]);
              } else {
                // The rest is reported once, as send-failed, holding exactly the parts not sent.
                expect(reported).toHaveLength(1);
                expect(reported[0]).toMatchObject({ reason: 'send-failed', message: { chatId, content: parts.slice(sent.length).join('\n\n') } });
              }
            }
            // One chat's messages go out in the order they were published.
            for (const chatId of ['a', 'b', 'c']) {
              const order = channel.sent.filter((entry) => entry.chatId === chatId).map((entry) => entry.index);
              expect(order).toEqual([...order].sort((x, y) => x - y));
            }
          } finally {
            await app.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
