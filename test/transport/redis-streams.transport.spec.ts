import 'reflect-metadata';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { MessageBusService } from '../../src/index.js';
import type { BusContext, InboundMessage } from '../../src/index.js';
import { redisStreamsTransport } from '../../src/transport/redis/index.js';
import { partitionOf } from '../../src/transport/redis/partition-of.js';
import { rendezvousOwner } from '../../src/transport/redis/rendezvous.js';
import type { RedisStreamsTransport } from '../../src/transport/redis/index.js';
import { eventually, inboundMessage } from '../support/messages.js';
import { redisAvailable, startRedis } from '../support/redis-server.js';
import type { TestRedis } from '../support/redis-server.js';

const REQUIRED = process.env.REQUIRE_REDIS === '1';
const describeWithRedis = redisAvailable || REQUIRED ? describe : describe.skip;
const TTL_MS = 600;

interface Handled {
  instance: string;
  chatId: string;
  seq: number;
  deliveryCount: number;
}

describeWithRedis('the lanes on Redis Streams, three bus instances against a real redis-server', () => {
  let server: TestRedis;
  let prefixCount = 0;
  const running: MessageBusService[] = [];

  beforeAll(async () => {
    server = await startRedis();
  }, 20_000);
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((bus) => bus.close({ timeoutMs: 0 }).catch(() => undefined)));
  });

  /** A bus instance whose inbound handler is `handle`, on the shared prefix. */
  async function instance(name: string, prefix: string, handle: (message: InboundMessage, ctx: BusContext<InboundMessage>) => unknown, capacity = 64) {
    const transport = redisStreamsTransport({ connection: { host: '127.0.0.1', port: server.port }, prefix, partitions: 8, leaseTtlMs: TTL_MS, instanceId: name });
    const bus = new MessageBusService({ transport, capacity, drainTimeoutMs: 2000 });
    await bus.startDispatch({ inbound: [{ name: `${name}.handle`, channels: undefined, dispatch: {}, invoke: handle as never }], outbound: [], outboundMedia: [] });
    running.push(bus);
    return { bus, transport: transport as RedisStreamsTransport };
  }

  function recorder(log: Handled[], name: string) {
    return async (message: InboundMessage, ctx: BusContext<InboundMessage>) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      log.push({ instance: name, chatId: message.chatId, seq: Number(message.content), deliveryCount: ctx.deliveryCount });
    };
  }

  const newPrefix = () => `t${++prefixCount}`;

  it('handles every message exactly once, a chat’s messages in order, chats spread over the instances', async () => {
    const prefix = newPrefix();
    const log: Handled[] = [];
    const instances = await Promise.all(['a', 'b', 'c'].map((name) => instance(name, prefix, recorder(log, name))));
    // Let the three agree on who holds which partition.
    await new Promise((resolve) => setTimeout(resolve, TTL_MS));
    for (let seq = 0; seq < 10; seq++) {
      for (let chat = 0; chat < 30; chat++) await instances[(seq + chat) % 3].bus.publishInbound(inboundMessage(String(seq), { chatId: `chat-${chat}` }));
    }
    await eventually(() => log.length >= 300, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(log).toHaveLength(300);
    for (let chat = 0; chat < 30; chat++) {
      expect(log.filter((entry) => entry.chatId === `chat-${chat}`).map((entry) => entry.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
    expect(new Set(log.map((entry) => entry.instance)).size).toBe(3);
    expect(log.every((entry) => entry.deliveryCount === 1)).toBe(true);
  }, 30_000);

  it('redelivers the messages of an instance that died mid-handler to another, which handles them', async () => {
    const prefix = newPrefix();
    const log: Handled[] = [];
    const stuck: string[] = [];
    const handler = (name: string) => async (message: InboundMessage, ctx: BusContext<InboundMessage>) => {
      if (message.content === 'stuck' && ctx.deliveryCount === 1) {
        stuck.push(name);
        return new Promise(() => undefined); // the process dies before this ends
      }
      log.push({ instance: name, chatId: message.chatId, seq: 0, deliveryCount: ctx.deliveryCount });
    };
    const instances = await Promise.all(['a', 'b', 'c'].map(async (name) => ({ name, ...(await instance(name, prefix, handler(name))) })));
    await new Promise((resolve) => setTimeout(resolve, TTL_MS));
    await instances[0].bus.publishInbound(inboundMessage('stuck', { chatId: 'doomed' }));
    await eventually(() => stuck.length === 1, 5000);
    const victim = instances.find((it) => it.name === stuck[0]);
    if (victim === undefined) throw new Error('nobody took the message');
    crash(victim.transport);
    running.splice(running.indexOf(victim.bus), 1);
    await eventually(() => log.some((entry) => entry.chatId === 'doomed'), 10_000);
    const redelivered = log.find((entry) => entry.chatId === 'doomed');
    expect(redelivered?.instance).not.toBe(victim.name);
    expect(redelivered?.deliveryCount).toBe(2);
  }, 30_000);

  it('does not let a new holder take a message over while its handler still works on it, however long that takes', async () => {
    const prefix = newPrefix();
    const log: (Handled & { at: number })[] = [];
    const handlerMs = TTL_MS * 4; // far longer than claimIdleMs
    const slow = (name: string) => async (message: InboundMessage, ctx: BusContext<InboundMessage>) => {
      log.push({ instance: name, chatId: message.chatId, seq: 0, deliveryCount: ctx.deliveryCount, at: Date.now() });
      await new Promise((resolve) => setTimeout(resolve, handlerMs));
    };
    const a = await instance('a', prefix, slow('a'));
    await a.bus.publishInbound(inboundMessage('long', { chatId: 'slow-chat' }));
    await eventually(() => log.length === 1, 5000);
    const startedAt = log[0].at;
    // a loses the lease while alive (say Redis lost the key), and b, which rendezvous hashing prefers, takes it.
    const partition = partitionOf('telegram:slow-chat', 8);
    const nameOfB = ['b', 'c', 'd', 'e', 'f', 'g', 'h'].find((name) => rendezvousOwner(String(partition), ['a', name]) === name) as string;
    const redis = new Redis(server.port, '127.0.0.1');
    await redis.del(`${prefix}:inbound:lease:${partition}`);
    redis.disconnect();
    await instance(nameOfB, prefix, slow(nameOfB));
    // While a's call runs, its entry stays fresh: b waits instead of starting the same message beside it.
    await new Promise((resolve) => setTimeout(resolve, handlerMs - 200));
    expect(log).toHaveLength(1);
    // Once a's call is over (its acknowledgement refused: it no longer holds the lease), b delivers it again.
    await eventually(() => log.length === 2, 10_000);
    expect(log[1]).toMatchObject({ instance: nameOfB, deliveryCount: 2 });
    expect(log[1].at - startedAt).toBeGreaterThanOrEqual(handlerMs);
  }, 30_000);

  it('hands a draining instance’s partitions over to the others', async () => {
    const prefix = newPrefix();
    const log: Handled[] = [];
    const [a, b] = await Promise.all(['a', 'b'].map((name) => instance(name, prefix, recorder(log, name))));
    await new Promise((resolve) => setTimeout(resolve, TTL_MS));
    await a.bus.close();
    running.splice(running.indexOf(a.bus), 1);
    for (let chat = 0; chat < 20; chat++) await b.bus.publishInbound(inboundMessage('0', { chatId: `chat-${chat}` }));
    await eventually(() => log.length === 20, 5000);
    expect(new Set(log.map((entry) => entry.instance))).toEqual(new Set(['b']));
  }, 30_000);

  it('starts no handler on an instance whose lease lapsed during a pause: the new holder handles the chat', async () => {
    const prefix = newPrefix();
    const started: { instance: string; seq: number }[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const a = await instance('a', prefix, async (message: InboundMessage) => {
      started.push({ instance: 'a', seq: Number(message.content) });
      if (message.content === '1') await gate;
    });
    await a.bus.publishInbound(inboundMessage('1', { chatId: 'x' }));
    await a.bus.publishInbound(inboundMessage('2', { chatId: 'x' })); // waits behind 1 in a's dispatcher
    await eventually(() => started.length === 1, 5000);
    // a stops renewing, as if its event loop were blocked: its leases lapse, and b takes the partitions.
    pause(a.transport);
    await instance('b', prefix, async (message: InboundMessage) => {
      started.push({ instance: 'b', seq: Number(message.content) });
    });
    await eventually(() => started.filter((entry) => entry.instance === 'b').length === 2, 10_000);
    // a wakes up: its running call ends, and it starts nothing more for that chat.
    release();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(started).toEqual([
      { instance: 'a', seq: 1 },
      { instance: 'b', seq: 1 },
      { instance: 'b', seq: 2 },
    ]);
  }, 30_000);

  it('accepts the replies an inbound handler publishes while the bus drains, as in memory', async () => {
    const prefix = newPrefix();
    const replies: Promise<void>[] = [];
    let bus: MessageBusService | undefined;
    const started: string[] = [];
    const a = await instance('a', prefix, async (message: InboundMessage) => {
      started.push(message.chatId);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const reply = (bus as MessageBusService).publishOutbound({ channel: message.channel, chatId: message.chatId, content: 'answer' });
      replies.push(reply);
      await reply;
    });
    bus = a.bus;
    await new Promise((resolve) => setTimeout(resolve, TTL_MS / 2));
    await a.bus.publishInbound(inboundMessage('question', { chatId: 'drain' }));
    await eventually(() => started.length === 1, 5000);
    running.splice(running.indexOf(a.bus), 1);
    await a.bus.close();
    await expect(Promise.all(replies)).resolves.toBeDefined();
    const redis = new Redis(server.port, '127.0.0.1');
    const stored = await Promise.all(Array.from({ length: 8 }, (_, p) => redis.xlen(`${prefix}:outbound:stream:${p}`)));
    expect(stored.reduce((sum, length) => sum + length, 0)).toBe(1);
    redis.disconnect();
  }, 30_000);

  it('does not hold other chats up behind a flooding chat: only the flooding chat’s messages wait for its turn', async () => {
    const prefix = newPrefix();
    const hotPartition = partitionOf('telegram:hot', 8);
    const coldChats = Array.from({ length: 100 }, (_, i) => `cold-${i}`)
      .filter((chat) => partitionOf(`telegram:${chat}`, 8) !== hotPartition)
      .slice(0, 5);
    const coldHandledAt = new Map<string, number>();
    let hotHandled = 0;
    const a = await instance('a', prefix, async (message: InboundMessage) => {
      if (message.chatId !== 'hot') return void coldHandledAt.set(message.chatId, Date.now());
      await new Promise((resolve) => setTimeout(resolve, 20));
      hotHandled++;
    });
    let flooding = true;
    const flood = (async () => {
      for (let seq = 0; flooding; seq++) await a.bus.publishInbound(inboundMessage(String(seq), { chatId: 'hot' }), { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
    })();
    // The flood fills the hot chat's partition and its share of the local lane; then cold chats write, one
    // every 30 ms, each in another partition.
    await eventually(() => hotHandled >= 3, 5000);
    const latencies: number[] = [];
    for (const chat of coldChats) {
      const publishedAt = Date.now();
      await a.bus.publishInbound(inboundMessage('hello', { chatId: chat }));
      await eventually(() => coldHandledAt.has(chat), 5000);
      latencies.push((coldHandledAt.get(chat) as number) - publishedAt);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    flooding = false;
    await flood;
    // Behind the hot chat's backlog (64 in its partition, one handled every 20 ms) each would wait up to a second.
    expect(Math.max(...latencies)).toBeLessThan(100);
  }, 30_000);

  it('handles again, at once, the entries delivered to it whose reply it never got (taken with a lost connection)', async () => {
    const prefix = newPrefix();
    const handled: { content: string; deliveryCount: number }[] = [];
    const redis = new Redis(server.port, '127.0.0.1');
    try {
      // An earlier run of instance 'a' was delivered an entry and never saw it.
      const stream = `${prefix}:inbound:stream:${partitionOf('telegram:chat-1', 8)}`;
      await redis.xgroup('CREATE', stream, 'agent-bus', '0', 'MKSTREAM');
      await redis.xadd(stream, '*', 'm', JSON.stringify(inboundMessage('lost at startup')));
      await redis.xreadgroup('GROUP', 'agent-bus', 'a', 'COUNT', 10, 'STREAMS', stream, '>');
      const startedAt = Date.now();
      await instance('a', prefix, (message: InboundMessage, ctx: BusContext<InboundMessage>) => void handled.push({ content: message.content, deliveryCount: ctx.deliveryCount }));
      await eventually(() => handled.length === 1, 5000);
      expect(Date.now() - startedAt).toBeLessThan(TTL_MS); // not after claimIdleMs, as another instance's would be
      expect(handled[0]).toEqual({ content: 'lost at startup', deliveryCount: 2 });

      // While it runs, another entry is delivered to it behind its back; then its connections drop and come back.
      await redis.xadd(stream, '*', 'm', JSON.stringify(inboundMessage('lost in a reconnect')));
      await redis.xreadgroup('GROUP', 'agent-bus', 'a', 'COUNT', 10, 'STREAMS', stream, '>');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(handled).toHaveLength(1);
      await redis.call('CLIENT', 'KILL', 'SKIPME', 'yes');
      await eventually(() => handled.length === 2, 5000);
      expect(handled[1]).toEqual({ content: 'lost in a reconnect', deliveryCount: 2 });
      const pending = async (): Promise<number> => ((await redis.xpending(stream, 'agent-bus')) as [number])[0];
      for (const deadline = Date.now() + 2000; (await pending()) > 0 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await pending()).toBe(0);
    } finally {
      redis.disconnect();
    }
  }, 30_000);

  it('does not acknowledge a message it left unhandled while unsure of its lease, and handles it once sure again', async () => {
    const prefix = newPrefix();
    const handled: { content: string; deliveryCount: number }[] = [];
    const a = await instance('a', prefix, (message: InboundMessage, ctx: BusContext<InboundMessage>) => void handled.push({ content: message.content, deliveryCount: ctx.deliveryCount }));
    await a.bus.publishInbound(inboundMessage('first'));
    await eventually(() => handled.length === 1, 5000); // reading its partitions
    // As after a pause or an outage: by its own clock, the instance last renewed its leases too long ago.
    pause(a.transport);
    const internals = a.transport as unknown as { tick(): Promise<void>; work: Map<string, { ownership: { renewedAt: Map<string, number> } }> };
    const renewedAt = internals.work.get('inbound')?.ownership.renewedAt as Map<string, number>;
    for (const partition of renewedAt.keys()) renewedAt.set(partition, Date.now() - TTL_MS);
    await a.bus.publishInbound(inboundMessage('while unsure'));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(handled).toHaveLength(1);
    // Its heartbeat renews the leases (still its own): the message is handled then, not acknowledged unhandled.
    await internals.tick();
    await eventually(() => handled.length === 2, 5000);
    expect(handled[1]).toEqual({ content: 'while unsure', deliveryCount: 2 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(handled).toHaveLength(2);
  }, 30_000);

  it('holds a partition’s backlog at the lane capacity: publishers wait, nothing is trimmed', async () => {
    const prefix = newPrefix();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const log: Handled[] = [];
    const a = await instance('a', prefix, async (message: InboundMessage, ctx: BusContext<InboundMessage>) => {
      await gate;
      await recorder(log, 'a')(message, ctx);
    }, 4);
    await new Promise((resolve) => setTimeout(resolve, TTL_MS / 2));
    const publishes = Array.from({ length: 12 }, (_, seq) => a.bus.publishInbound(inboundMessage(String(seq), { chatId: 'one-chat' })));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const redis = new Redis(server.port, '127.0.0.1');
    const lengths = await Promise.all(Array.from({ length: 8 }, (_, p) => redis.xlen(`${prefix}:inbound:stream:${p}`)));
    expect(Math.max(...lengths)).toBe(4);
    release();
    await Promise.all(publishes);
    await eventually(() => log.length === 12, 10_000);
    expect(log.map((entry) => entry.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    redis.disconnect();
  }, 30_000);
});

describeWithRedis('the lanes on Redis Streams across a Redis restart', () => {
  it('loses nothing acknowledged and keeps each chat in order when Redis restarts mid-run (appendonly)', async () => {
    const server = await startRedis(['--save', '', '--appendonly', 'yes', '--appendfsync', 'always']);
    const buses: MessageBusService[] = [];
    try {
      const log: Handled[] = [];
      for (const name of ['a', 'b']) {
        const transport = redisStreamsTransport({ connection: { host: '127.0.0.1', port: server.port }, prefix: 'restart', partitions: 4, leaseTtlMs: 2000, instanceId: name });
        const bus = new MessageBusService({ transport, drainTimeoutMs: 2000 });
        await bus.startDispatch({
          inbound: [
            {
              name: `${name}.handle`,
              channels: undefined,
              dispatch: {},
              invoke: (async (message: InboundMessage, ctx: BusContext<InboundMessage>) => {
                await new Promise((resolve) => setTimeout(resolve, 2));
                log.push({ instance: name, chatId: message.chatId, seq: Number(message.content), deliveryCount: ctx.deliveryCount });
              }) as never,
            },
          ],
          outbound: [],
          outboundMedia: [],
        });
        buses.push(bus);
      }
      const publishAll = async (from: number, to: number) => {
        for (let seq = from; seq < to; seq++) for (let chat = 0; chat < 10; chat++) await buses[chat % 2].publishInbound(inboundMessage(String(seq), { chatId: `chat-${chat}` }));
      };
      await publishAll(0, 5);
      const restarting = server.restart(300);
      // Published while Redis is down or coming back: the publishers wait, then go through.
      const late = publishAll(5, 10);
      await restarting;
      await late;
      await eventually(() => new Set(log.map((entry) => `${entry.chatId}:${entry.seq}`)).size === 100, 20_000);
      for (let chat = 0; chat < 10; chat++) {
        const seqs = log.filter((entry) => entry.chatId === `chat-${chat}`).map((entry) => entry.seq);
        // At least once: a message may come again across the restart (a delivery whose acknowledgement was lost),
        // but each is first handled in its chat's order.
        expect(seqs.filter((seq, i) => seqs.indexOf(seq) === i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      }
    } finally {
      await Promise.all(buses.map((bus) => bus.close({ timeoutMs: 0 }).catch(() => undefined)));
      await server.stop();
    }
  }, 40_000);
});

describeWithRedis('publishing while Redis is down', () => {
  it('holds publishers until Redis is back; one whose signal aborts meanwhile is rejected with its reason and adds nothing', async () => {
    const server = await startRedis(['--save', '', '--appendonly', 'yes', '--appendfsync', 'always']);
    const handled: string[] = [];
    const transport = redisStreamsTransport({ connection: { host: '127.0.0.1', port: server.port }, prefix: 'down', partitions: 2, leaseTtlMs: 2000 });
    const bus = new MessageBusService({ transport, drainTimeoutMs: 2000 });
    try {
      await bus.startDispatch({
        inbound: [{ name: 'handle', channels: undefined, dispatch: {}, invoke: ((message: InboundMessage) => void handled.push(message.content)) as never }],
        outbound: [],
        outboundMedia: [],
      });
      await bus.publishInbound(inboundMessage('before'));
      await eventually(() => handled.length === 1, 5000);
      const restarting = server.restart(1500);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const startedAt = Date.now();
      const givenUp = bus.publishInbound(inboundMessage('given up'), { signal: AbortSignal.timeout(200) });
      const patient = bus.publishInbound(inboundMessage('patient'));
      await expect(givenUp).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(Date.now() - startedAt).toBeLessThan(1000);
      await restarting;
      await patient;
      await eventually(() => handled.includes('patient'), 10_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(handled).toEqual(['before', 'patient']);
    } finally {
      await bus.close({ timeoutMs: 0 }).catch(() => undefined);
      await server.stop();
    }
  }, 30_000);
});

/** What a paused instance looks like from Redis: it stops renewing its membership and leases. */
function pause(transport: RedisStreamsTransport): void {
  clearInterval((transport as unknown as { heartbeat?: NodeJS.Timeout }).heartbeat);
}

/** What a process that dies does: nothing more. Its heartbeat stops and its connections drop, nothing acknowledged or released. */
function crash(transport: RedisStreamsTransport): void {
  const internals = transport as unknown as { heartbeat?: NodeJS.Timeout; redis?: Redis; work: Map<string, { blocking: Redis; reader: { stop(): Promise<void> } }> };
  clearInterval(internals.heartbeat);
  for (const { blocking, reader } of internals.work.values()) {
    void reader.stop();
    blocking.disconnect();
  }
  internals.redis?.disconnect();
}
