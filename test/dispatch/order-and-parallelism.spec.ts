import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, Logger } from '@nestjs/common';
import fc from 'fast-check';
import { BusModule, MessageBusService, OnInbound } from '../../src/index.js';
import type { BusContext, InboundMessage } from '../../src/index.js';
import { startApp } from '../support/app.js';
import { busWithHandler, sleep } from '../support/dispatch.js';
import { eventually, inboundMessage } from '../support/messages.js';
import { MB, heapAfterGc } from '../support/heap.js';

beforeAll(() => Logger.overrideLogger(false));
afterAll(() => Logger.overrideLogger(true));

/** Watches a handler: per-chat order, overlap of one chat with itself, and how many calls ran at once. */
function observer() {
  const seen = new Map<string, number[]>();
  const running = new Set<string>();
  let inFlight = 0;
  let maxInFlight = 0;
  let sameKeyOverlap = false;
  return {
    seen,
    get maxInFlight() {
      return maxInFlight;
    },
    get sameKeyOverlap() {
      return sameKeyOverlap;
    },
    async handle(message: InboundMessage, delayMs: number): Promise<void> {
      if (running.has(message.chatId)) sameKeyOverlap = true;
      running.add(message.chatId);
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      const list = seen.get(message.chatId) ?? [];
      list.push(Number(message.content));
      seen.set(message.chatId, list);
      await sleep(delayMs);
      inFlight--;
      running.delete(message.chatId);
    },
  };
}

describe('per-chat order with parallel chats', () => {
  it('50 chats x 40 messages, random delays, concurrency 8: order kept per chat, chats in parallel, never more than 8', async () => {
    const watch = observer();
    const delays = Array.from({ length: 2000 }, (_, i) => (i * 7919) % 4);
    @Injectable()
    class Agent {
      @OnInbound({ concurrency: 8 })
      handle(message: InboundMessage): Promise<void> {
        return watch.handle(message, delays[Number(message.content)]);
      }
    }
    const { bus } = await startApp([BusModule.forRoot({ capacity: 64 })], [Agent]);
    const publishes: Promise<void>[] = [];
    for (let n = 0; n < 40; n++) {
      for (let chat = 0; chat < 50; chat++) publishes.push(bus.publishInbound(inboundMessage(String(n * 50 + chat), { chatId: `c${chat}` })));
    }
    await Promise.all(publishes);
    await bus.idle();
    for (let chat = 0; chat < 50; chat++) {
      expect(watch.seen.get(`c${chat}`)).toEqual(Array.from({ length: 40 }, (_, n) => n * 50 + chat));
    }
    expect(watch.sameKeyOverlap).toBe(false);
    expect(watch.maxInFlight).toBeGreaterThan(1);
    expect(watch.maxInFlight).toBeLessThanOrEqual(8);
  });

  it('holds as a property over random delays, concurrency and key counts', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.tuple(fc.nat({ max: 7 }), fc.nat({ max: 2 })), { minLength: 1, maxLength: 60 }),
        async (concurrency, capacity, messages) => {
          const watch = observer();
          const bus = busWithHandler((message) => watch.handle(message, messages[Number(message.content)][1]), { concurrency }, { capacity });
          await Promise.all(messages.map(([chat], i) => bus.publishInbound(inboundMessage(String(i), { chatId: `c${chat}` }))));
          await bus.idle();
          for (const [chatId, order] of watch.seen) {
            const expected = messages.flatMap(([chat], i) => (`c${chat}` === chatId ? [i] : []));
            expect(order).toEqual(expected);
          }
          expect(watch.sameKeyOverlap).toBe(false);
          expect(watch.maxInFlight).toBeLessThanOrEqual(concurrency);
          await bus.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('orders inbound messages by sessionKey when set, else by chat; orderBy none runs one chat in parallel', async () => {
    const keys: (string | undefined)[] = [];
    const bus = busWithHandler((_message, ctx: BusContext<InboundMessage>) => void keys.push(ctx.key));
    await bus.publishInbound(inboundMessage('a', { chatId: '42' }));
    await bus.publishInbound(inboundMessage('b', { chatId: '42', sessionKey: 'agent:main:42' }));
    await bus.idle();
    expect(keys).toEqual(['telegram:42', 'agent:main:42']);

    const watch = observer();
    const unordered = busWithHandler((message) => watch.handle(message, 5), { orderBy: 'none', concurrency: 4 });
    await Promise.all([0, 1, 2, 3].map((i) => unordered.publishInbound(inboundMessage(String(i)))));
    await unordered.idle();
    expect(watch.sameKeyOverlap).toBe(true);
    expect(watch.maxInFlight).toBe(4);
  });

  it('orders by a key function of your own', async () => {
    const watch = observer();
    const bus = busWithHandler((message) => watch.handle(message, 1), { orderBy: (m: InboundMessage) => m.senderId, concurrency: 4 });
    await Promise.all(
      [0, 1, 2, 3, 4, 5].map((i) => bus.publishInbound(inboundMessage(String(i), { chatId: `c${i}`, senderId: i % 2 === 0 ? 'even' : 'odd' }))),
    );
    await bus.idle();
    expect(watch.maxInFlight).toBe(2); // two senders, two keys
  });
});

describe('handlers of one lane ordered differently', () => {
  it('keeps each handler\'s own order: one by chat, one by sender', async () => {
    const byChat = observer();
    const bySender: string[][] = [[], []];
    @Injectable()
    class Two {
      @OnInbound({ concurrency: 4 })
      chats(message: InboundMessage): Promise<void> {
        return byChat.handle(message, Number(message.content) % 3);
      }
      @OnInbound({ concurrency: 4, orderBy: (m: InboundMessage) => m.senderId })
      async senders(message: InboundMessage): Promise<void> {
        await sleep(Number(message.content) % 2);
        bySender[message.senderId === 's0' ? 0 : 1].push(message.content);
      }
    }
    const { bus } = await startApp([BusModule.forRoot()], [Two]);
    const messages = Array.from({ length: 40 }, (_, i) => inboundMessage(String(i), { chatId: `c${i % 4}`, senderId: `s${i % 2}` }));
    await Promise.all(messages.map((m) => bus.publishInbound(m)));
    await bus.idle();
    for (let chat = 0; chat < 4; chat++) {
      expect(byChat.seen.get(`c${chat}`)).toEqual(messages.filter((m) => m.chatId === `c${chat}`).map((m) => Number(m.content)));
    }
    expect(bySender[0]).toEqual(messages.filter((m) => m.senderId === 's0').map((m) => m.content));
    expect(bySender[1]).toEqual(messages.filter((m) => m.senderId === 's1').map((m) => m.content));
  });
});

describe('a hot chat cannot starve the others', () => {
  it("one chat floods a 1 ms handler; another chat's message is handled within a few handler durations, lane and heap bounded", async () => {
    const handledAt = new Map<string, number>();
    const bus = busWithHandler(
      async (message) => {
        await sleep(1);
        handledAt.set(message.content, performance.now());
      },
      {},
      { capacity: 64, drainTimeoutMs: 50 },
    );
    const stop = new AbortController();
    const heapBefore = await heapAfterGc();
    let published = 0;
    const flood = (async () => {
      for (let i = 0; i < 10_000 && !stop.signal.aborted; i++) {
        await bus.publishInbound(inboundMessage(`hot ${i}`, { chatId: 'hot' }), { signal: stop.signal }).catch(() => undefined);
        published++;
      }
    })();
    await eventually(() => published > 100);
    expect(bus.inbound.size).toBeLessThanOrEqual(64);
    const sentAt = performance.now();
    await bus.publishInbound(inboundMessage('cold', { chatId: 'cold' }));
    await eventually(() => handledAt.has('cold'));
    const coldLatency = (handledAt.get('cold') as number) - sentAt;
    const heapGrowth = (await heapAfterGc()) - heapBefore;
    stop.abort();
    await flood;
    await bus.close();
    // A 1 ms handler: the cold chat waits for a free slot at most, never behind the hot chat's backlog.
    expect(coldLatency).toBeLessThan(50);
    expect(heapGrowth).toBeLessThan(16 * MB);
  });

  it("makes only the hot chat's publishers wait, at maxPendingPerKey", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const bus = busWithHandler(() => gate, {}, { capacity: 64, maxPendingPerKey: 4 });
    const hot = Array.from({ length: 10 }, (_, i) => bus.publishInbound(inboundMessage(`hot ${i}`, { chatId: 'hot' })));
    await sleep(5);
    expect(bus.inbound.waitingPublishers).toBe(6);
    await bus.publishInbound(inboundMessage('cold', { chatId: 'cold' })); // not held up by the hot chat's waiters
    release();
    await Promise.all(hot);
    await bus.idle();
  });
});

describe('one call at a time in lane order (concurrency 1, orderBy none)', () => {
  it('handles every message in lane order across chats, never two at once', async () => {
    const watch = observer();
    const seen: string[] = [];
    const bus = busWithHandler(
      (message) => {
        seen.push(message.content);
        return watch.handle(message, Number(message.content) % 3);
      },
      { orderBy: 'none', concurrency: 1 },
      { capacity: 4 },
    );
    await Promise.all(Array.from({ length: 30 }, (_, i) => bus.publishInbound(inboundMessage(String(i), { chatId: `c${i % 5}` }))));
    await bus.idle();
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => String(i)));
    expect(watch.maxInFlight).toBe(1);
  });

  it('reports a message no handler takes, and idle() still resolves', async () => {
    const reasons: string[] = [];
    const bus = new MessageBusService({ onUndelivered: (_lane, _message, reason) => void reasons.push(reason) });
    bus.startDispatch({
      inbound: [{ name: 'Agent.handle', channels: new Set(['web']), dispatch: { orderBy: 'none', concurrency: 1 }, invoke: () => undefined }],
      outbound: [],
      outboundMedia: [],
    });
    await bus.publishInbound(inboundMessage('for nobody', { channel: 'telegram' }));
    await bus.idle();
    expect(reasons).toEqual(['no-handler']);
  });
});
