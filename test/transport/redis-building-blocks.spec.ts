import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { Test } from '@nestjs/testing';
import { BusClosedError, BusModule, InvalidBusOptionsError } from '../../src/index.js';
import { redisStreamsTransport } from '../../src/transport/redis/index.js';
import { Admission } from '../../src/transport/redis/admission.js';
import { partitionOf } from '../../src/transport/redis/partition-of.js';
import { TransportCommands } from '../../src/transport/redis/transport-commands.js';
import { redisAvailable, startRedis } from '../support/redis-server.js';
import type { TestRedis } from '../support/redis-server.js';

/** CI sets it: there, a missing redis-server is a failure, not a skip. */
const REQUIRED = process.env.REQUIRE_REDIS === '1';
if (!redisAvailable && !REQUIRED) console.log('Redis transport tests skipped: no redis-server (install Debian redis-server, or set REDIS_SERVER_PATH)');
const describeWithRedis = redisAvailable || REQUIRED ? describe : describe.skip;

describe('partitionOf', () => {
  it('is FNV-1a: stable across processes, machines and versions, so every instance routes a chat alike', () => {
    // The published FNV-1a 32-bit test vectors (ASCII keys: one UTF-16 code unit per byte).
    expect(partitionOf('', 2 ** 32)).toBe(0x811c9dc5);
    expect(partitionOf('a', 2 ** 32)).toBe(0xe40c292c);
    expect(partitionOf('foobar', 2 ** 32)).toBe(0xbf9cf968);
    expect(partitionOf('foobar', 16)).toBe(0xbf9cf968 % 16);
  });

  it('spreads chats evenly over the partitions', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) counts[partitionOf(`telegram:${i}`, 16)]++;
    for (const count of counts) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });
});

describe('redisStreamsTransport options', () => {
  const connection = 'redis://127.0.0.1:6379';

  it.each([
    [{ connection: 42 }, 'transport.connection', 'must be a redis:// URL, ioredis options or an ioredis client'],
    [{ connection, partitions: 0 }, 'transport.partitions', 'must be an integer from 1 to 1024'],
    [{ connection, partitions: 16.5 }, 'transport.partitions', 'must be an integer from 1 to 1024'],
    [{ connection, partitions: '16' }, 'transport.partitions', 'must be an integer from 1 to 1024'],
    [{ connection, leaseTtlMs: 50 }, 'transport.leaseTtlMs', 'must be an integer at least 100'],
    [{ connection, claimIdleMs: -1 }, 'transport.claimIdleMs', 'must be an integer >= 0'],
    [{ connection, readCount: 0 }, 'transport.readCount', 'must be an integer >= 1'],
    [{ connection, connectTimeoutMs: Number.NaN }, 'transport.connectTimeoutMs', 'must be an integer >= 1'],
    [{ connection, prefix: '' }, 'transport.prefix', 'must be a non-empty string without spaces'],
    [{ connection, instanceId: 'my host' }, 'transport.instanceId', 'must be a non-empty string without spaces'],
  ])('refuses %j, naming %s, when the transport is made (before any connection)', (options, option, problem) => {
    const make = (): unknown => redisStreamsTransport(options as never);
    expect(make).toThrow(InvalidBusOptionsError);
    expect(make).toThrow(problem);
    expect(() => make()).toThrow(expect.objectContaining({ option }) as never);
  });

  it('fails a Nest app at startup when forRootAsync builds a transport from a bad setting', async () => {
    const build = Test.createTestingModule({
      imports: [BusModule.forRootAsync({ useFactory: () => ({ transport: redisStreamsTransport({ connection, partitions: Number('sixteen') }) }) })],
    }).compile();
    await expect(build).rejects.toThrow(/BusModule option transport\.partitions must be an integer from 1 to 1024 \(got NaN\)/);
  });
});

describeWithRedis('the Redis transport steps, against a real redis-server', () => {
  let server: TestRedis;
  let redis: Redis;
  let other: Redis;
  let commands: TransportCommands;
  let otherCommands: TransportCommands;
  let admission: Admission;
  const admit = (stream: string, capacity: number, payload: string, signal?: AbortSignal): Promise<void> => admission.admit(stream, capacity, payload, signal);

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.port, '127.0.0.1', { lazyConnect: false, maxRetriesPerRequest: 2 });
    other = new Redis(server.port, '127.0.0.1', { lazyConnect: false, maxRetriesPerRequest: 2 });
    commands = new TransportCommands(redis);
    otherCommands = new TransportCommands(other);
    admission = new Admission(commands);
  }, 20_000);

  afterAll(async () => {
    redis?.disconnect();
    other?.disconnect();
    await server?.stop();
  });

  it('admits entries up to the capacity, then holds publishers until an acknowledgement makes room', async () => {
    const stream = 'test:admit';
    await redis.xgroup('CREATE', stream, 'bus', '$', 'MKSTREAM');
    for (let i = 0; i < 3; i++) await admit(stream, 3, `message ${i}`);
    let admitted = false;
    const waiting = admit(stream, 3, 'message 3').then(() => {
      admitted = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(admitted).toBe(false);
    expect(await redis.xlen(stream)).toBe(3);
    // A consumer reads one, and its holder acknowledges it: the stream has room again.
    const [[, [[id, fields]]]] = (await redis.xreadgroup('GROUP', 'bus', 'c1', 'COUNT', 1, 'STREAMS', stream, '>')) as [string, [string, string[]][]][];
    expect(fields).toEqual(['m', 'message 0']);
    await commands.acquire('test:lease:admit', 'me', 10_000);
    expect(await commands.acknowledge('me', 'bus', [{ lease: 'test:lease:admit', stream, ids: [id] }])).toEqual([1]);
    await waiting;
    expect(admitted).toBe(true);
    const entries = (await redis.xrange(stream, '-', '+')).map(([, [, payload]]) => payload);
    expect(entries).toEqual(['message 1', 'message 2', 'message 3']);
  });

  it('never lets the backlog pass the capacity, whatever the number of publishers', async () => {
    const stream = 'test:many';
    const publishers = Array.from({ length: 20 }, (_, i) => admit(stream, 5, String(i), AbortSignal.timeout(300)).catch(() => 'gave up'));
    const outcomes = await Promise.all(publishers);
    expect(await redis.xlen(stream)).toBe(5);
    expect(outcomes.filter((outcome) => outcome !== 'gave up')).toHaveLength(5);
  });

  it('rejects a publisher whose signal aborts while the stream is full, and adds nothing', async () => {
    const stream = 'test:abort';
    await admit(stream, 1, 'first');
    const controller = new AbortController();
    const waiting = admit(stream, 1, 'second', controller.signal);
    controller.abort(new Error('webhook timed out'));
    await expect(waiting).rejects.toThrow('webhook timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await redis.xlen(stream)).toBe(1);
  });

  it('admits publishes made together in call order, each exactly once, withdrawing only those whose signal aborted', async () => {
    const stream = 'test:order';
    const lease = 'test:lease:order';
    await redis.xgroup('CREATE', stream, 'bus', '$', 'MKSTREAM');
    await commands.acquire(lease, 'me', 10_000);
    const aborted = new Set([7, 120, 121, 399]);
    const controllers = new Map([...aborted].map((i) => [i, new AbortController()]));
    const outcomes = Array.from({ length: 400 }, (_, i) => admit(stream, 50, String(i), controllers.get(i)?.signal).then(() => 'admitted', () => 'withdrawn'));
    for (const controller of controllers.values()) controller.abort(new Error('gave up'));
    const seen: string[] = [];
    while (seen.length < 400 - aborted.size) {
      const read = (await redis.xreadgroup('GROUP', 'bus', 'c1', 'COUNT', 30, 'BLOCK', 1000, 'STREAMS', stream, '>')) as [string, [string, string[]][]][] | null;
      const entries = read?.[0][1] ?? [];
      expect(await redis.xlen(stream)).toBeLessThanOrEqual(50);
      seen.push(...entries.map(([, [, payload]]) => payload));
      if (entries.length > 0) await commands.acknowledge('me', 'bus', [{ lease, stream, ids: entries.map(([id]) => id) }]);
      admission.roomMade(stream);
    }
    const expected = Array.from({ length: 400 }, (_, i) => i).filter((i) => !aborted.has(i));
    expect(seen).toEqual(expected.map(String));
    expect(await Promise.all(outcomes)).toEqual(Array.from({ length: 400 }, (_, i) => (aborted.has(i) ? 'withdrawn' : 'admitted')));
  });

  it('acknowledges several partitions in one call, each only under its own lease, however many entries', async () => {
    const [mine, theirs] = ['test:multi:0', 'test:multi:1'];
    for (const stream of [mine, theirs]) await redis.xgroup('CREATE', stream, 'bus', '$', 'MKSTREAM');
    await commands.acquire('test:lease:multi:0', 'me', 10_000);
    await otherCommands.acquire('test:lease:multi:1', 'other', 10_000);
    for (let i = 0; i < 2500; i++) await admit(mine, 10_000, String(i));
    await admit(theirs, 10, 'not mine');
    const read = async (stream: string): Promise<string[]> => {
      const result = (await redis.xreadgroup('GROUP', 'bus', 'me', 'COUNT', 5000, 'STREAMS', stream, '>')) as [string, [string, string[]][]][];
      return result[0][1].map(([id]) => id);
    };
    const [myIds, theirIds] = [await read(mine), await read(theirs)];
    const results = await commands.acknowledge('me', 'bus', [
      { lease: 'test:lease:multi:0', stream: mine, ids: myIds },
      { lease: 'test:lease:multi:1', stream: theirs, ids: theirIds },
    ]);
    expect(results).toEqual([2500, undefined]);
    expect(await redis.xlen(mine)).toBe(0);
    expect(await redis.xlen(theirs)).toBe(1);
    expect(((await redis.xpending(theirs, 'bus')) as [number])[0]).toBe(1);
  });

  it('rejects the publishers still waiting when it closes with BusClosedError, and refuses later ones', async () => {
    const stream = 'test:closing';
    const closing = new Admission(commands);
    await closing.admit(stream, 1, 'first');
    const waiting = closing.admit(stream, 1, 'second');
    await new Promise((resolve) => setTimeout(resolve, 20));
    closing.close();
    await expect(waiting).rejects.toBeInstanceOf(BusClosedError);
    await expect(closing.admit('test:other', 10, 'late')).rejects.toBeInstanceOf(BusClosedError);
    expect(await redis.xrange(stream, '-', '+')).toHaveLength(1);
    expect(await redis.exists('test:other')).toBe(0);
  });

  it('fences a lease: once it lapsed and another instance took it, the old holder can neither renew nor acknowledge', async () => {
    const lease = 'test:lease:p0';
    const stream = 'test:fenced';
    await redis.xgroup('CREATE', stream, 'bus', '$', 'MKSTREAM');
    await admit(stream, 10, 'hello');
    const [[, [[id]]]] = (await redis.xreadgroup('GROUP', 'bus', 'old', 'COUNT', 1, 'STREAMS', stream, '>')) as [string, [string, string[]][]][];
    expect(await commands.acquire(lease, 'old', 100)).toBe(true);
    expect(await otherCommands.acquire(lease, 'new', 100)).toBe(false);
    expect(await commands.renew(lease, 'old', 100)).toBe(true);
    // The old holder's event loop stalls past the TTL: the lease lapses and the other instance takes it.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await otherCommands.acquire(lease, 'new', 10_000)).toBe(true);
    expect(await commands.renew(lease, 'old', 100)).toBe(false);
    expect(await commands.acknowledge('old', 'bus', [{ lease, stream, ids: [id] }])).toEqual([undefined]);
    expect(await commands.release(lease, 'old')).toBe(false);
    // The entry is still pending, for the new holder to handle and acknowledge.
    expect(((await redis.xpending(stream, 'bus')) as [number])[0]).toBe(1);
    expect(await otherCommands.acknowledge('new', 'bus', [{ lease, stream, ids: [id] }])).toEqual([1]);
    expect(await redis.xlen(stream)).toBe(0);
    expect(await otherCommands.release(lease, 'new')).toBe(true);
    expect(await redis.exists(lease)).toBe(0);
  });
});
