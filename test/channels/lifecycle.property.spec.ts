import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import fc from 'fast-check';
import { BusModule, MessageBusService, OnInbound } from '../../src/index.js';
import type { InboundMessage } from '../../src/index.js';
import { RecordingChannel } from '../../src/testing/index.js';
import type { RecordedCall } from '../../src/testing/index.js';
import { RecordingLogger } from '../support/recording.logger.js';

type Turn = 'answer' | 'stream' | 'fail' | 'silent';
type Faulty = 'startTyping' | 'sendPlaceholder' | 'editMessage' | 'deleteMessage';

async function* deltas(text: string): AsyncGenerator<string> {
  for (const word of text.split(/(?<= )/)) yield word;
}

@Injectable()
class ScriptedAgent {
  turns = new Map<string, Turn>();
  constructor(private readonly bus: MessageBusService) {}

  @OnInbound()
  async handle(message: InboundMessage): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    const turn = this.turns.get(message.chatId);
    if (turn === 'fail') throw new Error('model unavailable');
    if (turn === 'answer') await this.bus.respond(message, `answer for ${message.chatId}`);
    if (turn === 'stream') await this.bus.respond(message, deltas(`streamed answer for ${message.chatId}`));
  }
}

const Web = RecordingChannel.for('web', { channel: { acknowledge: ['typing', 'placeholder'] } });

function answersIn(calls: RecordedCall[], chatId: string): string[] {
  return calls.filter((call) => call.chatId === chatId && (call.kind === 'send' || call.kind === 'final' || call.kind === 'edit')).map((call) => call.text);
}

describe('the acknowledgement lifecycle, whatever fails', () => {
  it('delivers each answer once, stops typing, and never leaves a placeholder behind', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom<Turn>('answer', 'stream', 'fail', 'silent'), { minLength: 1, maxLength: 5 }),
        fc.subarray<Faulty>(['startTyping', 'sendPlaceholder', 'editMessage', 'deleteMessage']),
        async (turns, faulty) => {
          const app = await Test.createTestingModule({ imports: [BusModule.forRoot()], providers: [ScriptedAgent, Web] })
            .setLogger(new RecordingLogger())
            .compile();
          await app.init();
          try {
            const web = app.get(Web);
            for (const method of faulty) {
              (web as unknown as Record<string, unknown>)[method] = async () => {
                throw new Error(`${method} is down`);
              };
            }
            const agent = app.get(ScriptedAgent);
            const bus = app.get(MessageBusService);
            for (const [i, turn] of turns.entries()) {
              agent.turns.set(`c${i}`, turn);
              await bus.publishInbound({ channel: 'web', senderId: 'u', chatId: `c${i}`, content: 'hi' });
            }
            await bus.idle();
            for (const [i, turn] of turns.entries()) {
              const chatId = `c${i}`;
              const calls = web.calls.filter((call) => call.chatId === chatId);
              const expected = turn === 'answer' ? [`answer for ${chatId}`] : turn === 'stream' ? [`streamed answer for ${chatId}`] : [];
              expect(answersIn(calls, chatId)).toEqual(expected);
              if (!faulty.includes('startTyping')) expect(calls.filter((call) => call.kind === 'typing-stop')).toHaveLength(1);
              const placeholder = calls.find((call) => call.kind === 'placeholder');
              if (placeholder !== undefined) {
                // Gone: edited into the answer, or deleted; and only one of the two happened to it.
                const fates = calls.filter((call) => call.messageId === placeholder.messageId && (call.kind === 'edit' || call.kind === 'delete'));
                if (faulty.includes('deleteMessage') && !(turn === 'answer' && !faulty.includes('editMessage'))) {
                  // It cannot be deleted: only a successful edit (of an answer, or of a streamed answer) removes it.
                  expect(fates.length).toBeLessThanOrEqual(1);
                } else {
                  expect(fates).toHaveLength(1);
                }
              }
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
