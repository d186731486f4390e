import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { PartitionOwnership } from '../../src/transport/redis/partition-ownership.js';
import type { OwnershipListener } from '../../src/transport/redis/partition-ownership.js';
import { rendezvousOwner } from '../../src/transport/redis/rendezvous.js';
import { TransportCommands } from '../../src/transport/redis/transport-commands.js';
import { redisAvailable, startRedis } from '../support/redis-server.js';
import type { TestRedis } from '../support/redis-server.js';

const REQUIRED = process.env.REQUIRE_REDIS === '1';
const describeWithRedis = redisAvailable || REQUIRED ? describe : describe.skip;
const PARTITIONS = Array.from({ length: 16 }, (_, i) => `inbound:${i}`);
const TTL_MS = 400;

/** What an instance's reader was told, and whether it still has work in flight per partition. */
class RecordingListener implements OwnershipListener {
  readonly log: string[] = [];
  readonly busy = new Set<string>();
  acquired(partition: string): void {
    this.log.push(`acquired ${partition}`);
  }
  lost(partition: string): void {
    this.log.push(`lost ${partition}`);
  }
  handingOver(partition: string): void {
    this.log.push(`handing over ${partition}`);
  }
  idle(partition: string): boolean {
    return !this.busy.has(partition);
  }
}

describe('rendezvousOwner', () => {
  it('moves only the partitions of a member that joins or leaves', () => {
    const before = PARTITIONS.map((partition) => rendezvousOwner(partition, ['a', 'b', 'c']));
    const after = PARTITIONS.map((partition) => rendezvousOwner(partition, ['a', 'b']));
    PARTITIONS.forEach((_, i) => {
      if (before[i] !== 'c') expect(after[i]).toBe(before[i]);
    });
    expect(rendezvousOwner('inbound:0', [])).toBeUndefined();
  });

  it('shares partitions about evenly, whatever the member names look like', () => {
    for (const members of [['a', 'b', 'c'], ['host-1:123:ab12', 'host-2:456:cd34', 'host-3:789:ef56']]) {
      const counts = new Map<string, number>();
      for (let p = 0; p < 300; p++) {
        const owner = rendezvousOwner(String(p), members) as string;
        counts.set(owner, (counts.get(owner) ?? 0) + 1);
      }
      for (const member of members) expect(counts.get(member)).toBeGreaterThan(70);
    }
  });
});

describeWithRedis('PartitionOwnership, three instances against a real redis-server', () => {
  let server: TestRedis;
  const clients: Redis[] = [];

  beforeAll(async () => {
    server = await startRedis();
  }, 20_000);
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await server?.stop();
  });

  function instance(id: string, prefix: string) {
    const redis = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 2 });
    clients.push(redis);
    const listener = new RecordingListener();
    const ownership = new PartitionOwnership(redis, new TransportCommands(redis), { prefix, instanceId: id, partitions: PARTITIONS, ttlMs: TTL_MS }, listener);
    return { id, ownership, listener };
  }

  async function holders(prefix: string): Promise<(string | null)[]> {
    const redis = clients[0];
    return Promise.all(PARTITIONS.map((partition) => redis.get(`${prefix}:lease:${partition}`)));
  }

  it('gives every partition exactly one holder, the one rendezvous hashing picks, and rebalances when members come and go', async () => {
    const prefix = 'own1';
    const [a, b, c] = [instance('a', prefix), instance('b', prefix), instance('c', prefix)];
    for (let round = 0; round < 2; round++) for (const it of [a, b, c]) await it.ownership.tick();
    expect(await holders(prefix)).toEqual(PARTITIONS.map((partition) => rendezvousOwner(partition, ['a', 'b', 'c'])));
    const all = [a, b, c].flatMap((it) => [...it.ownership.holding]).sort();
    expect(all).toEqual([...PARTITIONS].sort());

    // c dies (stops renewing): once its lease and membership lapse, a and b take its partitions.
    const ofC = [...c.ownership.holding];
    expect(ofC.length).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, TTL_MS + 100));
    for (let round = 0; round < 2; round++) for (const it of [a, b]) await it.ownership.tick();
    expect(await holders(prefix)).toEqual(PARTITIONS.map((partition) => rendezvousOwner(partition, ['a', 'b'])));
    for (const partition of ofC) expect([...a.listener.log, ...b.listener.log]).toContain(`acquired ${partition}`);

    // d joins: the partitions it wins are handed over by their holders once idle, then taken by d.
    const d = instance('d', prefix);
    const wonByD = PARTITIONS.filter((partition) => rendezvousOwner(partition, ['a', 'b', 'd']) === 'd');
    const busyOne = wonByD[0];
    const holderOfBusy = a.ownership.holding.has(busyOne) ? a : b;
    holderOfBusy.listener.busy.add(busyOne); // still handling a message of it
    for (let round = 0; round < 3; round++) for (const it of [d, a, b]) await it.ownership.tick();
    expect(holderOfBusy.listener.log).toContain(`handing over ${busyOne}`);
    expect(holderOfBusy.ownership.holding.has(busyOne)).toBe(true); // not released while busy
    expect((await holders(prefix))[PARTITIONS.indexOf(busyOne)]).toBe(holderOfBusy.id);
    holderOfBusy.listener.busy.delete(busyOne);
    for (let round = 0; round < 2; round++) for (const it of [a, b, d]) await it.ownership.tick();
    expect(await holders(prefix)).toEqual(PARTITIONS.map((partition) => rendezvousOwner(partition, ['a', 'b', 'd'])));
    expect([...d.ownership.holding].sort()).toEqual([...wonByD].sort());
  });

  it('tells the reader when a lease is lost, and never counts it as held again until re-acquired', async () => {
    const prefix = 'own2';
    const a = instance('a', prefix);
    await a.ownership.tick();
    const [partition] = [...a.ownership.holding];
    // Another client holds the lease now (a's lapsed during a pause, and someone took it).
    await clients[0].set(`${prefix}:lease:${partition}`, 'intruder', 'PX', 60_000);
    await a.ownership.tick();
    expect(a.listener.log).toContain(`lost ${partition}`);
    expect(a.ownership.holding.has(partition)).toBe(false);
  });
});
