import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { BusModule, InvalidMessageError, MessageBusService, OnInbound } from '../../src/index.js';
import type { BusContext, InboundMessage, LaneName, UndeliveredReason } from '../../src/index.js';
import { redisStreamsTransport } from '../../src/transport/redis/index.js';
import { eventually, inboundMessage } from '../support/messages.js';
import { redisAvailable, startRedis } from '../support/redis-server.js';
import type { TestRedis } from '../support/redis-server.js';

const REQUIRED = process.env.REQUIRE_REDIS === '1';
const describeWithRedis = redisAvailable || REQUIRED ? describe : describe.skip;

interface Report {
  lane: LaneName;
  content: string;
  reason: UndeliveredReason;
}

describeWithRedis('the Redis transport in a Nest application, configured with forRootAsync', () => {
  let server: TestRedis;

  beforeAll(async () => {
    server = await startRedis();
  }, 20_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('reports a poison message once its attempts are spent and acknowledges it: it is never delivered again', async () => {
    const calls: { content: string; attempt: number; deliveryCount: number }[] = [];
    const reports: Report[] = [];

    @Injectable()
    class Agent {
      @OnInbound({ retry: { attempts: 3, backoffMs: 1 } })
      handle(message: InboundMessage, ctx: BusContext<InboundMessage>): void {
        calls.push({ content: message.content, attempt: ctx.attempt, deliveryCount: ctx.deliveryCount });
        if (message.content === 'poison') throw new Error('cannot digest this');
      }
    }

    const moduleRef = await Test.createTestingModule({
      imports: [
        BusModule.forRootAsync({
          useFactory: () => ({
            transport: redisStreamsTransport({ connection: server.url, prefix: 'nest-app', partitions: 2, leaseTtlMs: 2000 }),
            onUndelivered: (lane, message, reason) => void reports.push({ lane, content: (message as InboundMessage).content, reason }),
          }),
        }),
      ],
      providers: [Agent],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const redis = new Redis(server.url);
    try {
      const bus = app.get(MessageBusService);
      await bus.publishInbound(inboundMessage('poison', { chatId: 'chat-p' }));
      await bus.publishInbound(inboundMessage('after it', { chatId: 'chat-p' }));
      await eventually(() => calls.some((call) => call.content === 'after it'), 10_000);

      expect(reports).toEqual([{ lane: 'inbound', content: 'poison', reason: 'handler-failed' }]);
      expect(calls).toEqual([
        { content: 'poison', attempt: 1, deliveryCount: 1 },
        { content: 'poison', attempt: 2, deliveryCount: 1 },
        { content: 'poison', attempt: 3, deliveryCount: 1 },
        { content: 'after it', attempt: 1, deliveryCount: 1 },
      ]);
      // Acknowledged and deleted: nothing pending that another instance could claim and deliver again.
      const backlog = async (): Promise<number> => (await Promise.all([0, 1].map((p) => redis.xlen(`nest-app:inbound:stream:${p}`)))).reduce((sum, length) => sum + length, 0);
      for (const deadline = Date.now() + 5000; (await backlog()) > 0 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await backlog()).toBe(0);
      // A while later, still nothing more.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(calls).toHaveLength(4);
      expect(reports).toHaveLength(1);
      // A message JSON cannot hold is refused with a typed error, and nothing is stored.
      const cyclic = inboundMessage('cyclic', { chatId: 'chat-c', metadata: {} });
      (cyclic.metadata as Record<string, unknown>).self = cyclic;
      await expect(bus.publishInbound(cyclic)).rejects.toBeInstanceOf(InvalidMessageError);
      expect(await backlog()).toBe(0);

      await app.close();
      // The drain released the leases and left the members set.
      expect(await redis.keys('nest-app:*lease*')).toEqual([]);
      expect(await redis.zcard('nest-app:inbound:members')).toBe(0);
    } finally {
      await app.close();
      redis.disconnect();
    }
  }, 30_000);
});
