import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { BusModule, MessageBusService, OnInbound, OnOutbound } from '../../src/index.js';
import type { InboundMessage, OutboundMessage } from '../../src/index.js';
import { startApp } from '../support/app.js';
import { sleep } from '../support/dispatch.js';
import { inboundMessage } from '../support/messages.js';

const TURN_MS = 500;

/** 20 chats ask an agent whose LLM call takes 500 ms; returns when the last answer went out. */
async function twentyChats(concurrency: number | undefined): Promise<number> {
  const answered = new Set<string>();
  @Injectable()
  class Agent {
    constructor(private readonly bus: MessageBusService) {}
    @OnInbound(concurrency === undefined ? {} : { concurrency })
    async handle(message: InboundMessage): Promise<void> {
      await sleep(TURN_MS);
      await this.bus.publishOutbound({ channel: message.channel, chatId: message.chatId, content: 'answer' });
    }
    @OnOutbound()
    send(message: OutboundMessage): void {
      answered.add(message.chatId);
    }
  }
  const { bus } = await startApp([BusModule.forRoot()], [Agent]);
  const startedAt = performance.now();
  for (let i = 0; i < 20; i++) await bus.publishInbound(inboundMessage(`question ${i}`, { chatId: `chat-${i}` }));
  await bus.idle();
  expect(answered.size).toBe(20);
  return performance.now() - startedAt;
}

describe('agent turns in parallel chats', () => {
  it('answers 20 chats of 500 ms turns in about one turn with concurrency 20', async () => {
    const elapsed = await twentyChats(20);
    expect(elapsed).toBeGreaterThanOrEqual(TURN_MS - 5);
    expect(elapsed).toBeLessThan(2 * TURN_MS);
  });

  it('answers them in about three turns with the default concurrency of 8', async () => {
    const elapsed = await twentyChats(undefined);
    expect(elapsed).toBeGreaterThanOrEqual(3 * TURN_MS - 5);
    expect(elapsed).toBeLessThan(4 * TURN_MS);
  });
});
