import type { Redis } from 'ioredis';

/** A stream entry as Redis returns it: its id and its field-value pairs. */
export type StreamEntry = [id: string, fields: string[]];

/** What taking pending entries over needs from the reader that feeds them to the local lane. */
export interface PendingEntrySink {
  readonly group: string;
  readonly consumer: string;
  readonly readCount: number;
  readonly claimIdleMs: number;
  /** Whether this instance fed the entry to its lane and is not done with it. */
  isInFlight(partition: string, id: string): boolean;
  /** Whether the partition is still being claimed (not lost or handed over meanwhile). */
  stillClaiming(partition: string): boolean;
  feed(partition: string, entry: StreamEntry, deliveryCount: number): void;
  /** Whether more entries may be fed: `true` at once, else a promise of it; `false` once the reader stops. */
  roomToEnter(): boolean | Promise<boolean>;
  /** How many times a connection came back: a claim under way across one starts over (see `LaneReader`). */
  connections(): number;
}

/** `XPENDING` extended form: id, consumer, idle ms, deliveries. */
type PendingSummary = [id: string, consumer: string, idleMs: number, deliveries: number];

/**
 * Feeds the entries delivered to this very consumer that it no longer has: their reply was lost with the
 * connection (a Redis restart, a network cut), or their acknowledgement failed. Nobody else would deliver them
 * while this instance holds the partition, so they are claimed again at once and handled again (at least once).
 * `false` once the reader stops, or when a connection came back meanwhile (the claim starts over).
 */
export async function recoverOwnPending(redis: Redis, stream: string, partition: string, sink: PendingEntrySink): Promise<boolean> {
  const { group, consumer, readCount } = sink;
  const connections = sink.connections();
  for (let start = '-'; sink.stillClaiming(partition); ) {
    const page = (await redis.xpending(stream, group, start, '+', readCount, consumer)) as PendingSummary[];
    const lost = page.filter(([id]) => !sink.isInFlight(partition, id));
    if (lost.length > 0) {
      const deliveries = new Map(lost.map(([id, , , count]) => [id, count + 1]));
      const entries = (await redis.xclaim(stream, group, consumer, 0, ...lost.map(([id]) => id))) as (StreamEntry | null)[];
      if (sink.connections() !== connections) return false;
      for (const entry of entries) {
        if (entry === null) continue; // deleted meanwhile
        sink.feed(partition, entry, deliveries.get(entry[0]) ?? 2);
        if (!(await sink.roomToEnter())) return false;
      }
    }
    if (page.length < readCount) return true;
    start = `(${page[page.length - 1][0]}`;
  }
  return true;
}

/**
 * Takes over the entries another instance left pending past `claimIdleMs` (it died, or lost the partition),
 * oldest first, and feeds them. `false` once the reader stops, or when a connection came back meanwhile.
 */
export async function takeOverPending(redis: Redis, stream: string, partition: string, sink: PendingEntrySink): Promise<boolean> {
  const { group, consumer, readCount, claimIdleMs } = sink;
  const connections = sink.connections();
  let cursor = '0-0';
  do {
    const [next, entries] = (await redis.xautoclaim(stream, group, consumer, claimIdleMs, cursor, 'COUNT', readCount)) as [string, (StreamEntry | null)[]];
    if (sink.connections() !== connections) return false;
    cursor = next;
    for (const entry of entries) {
      if (entry === null || sink.isInFlight(partition, entry[0])) continue;
      sink.feed(partition, entry, await deliveryCount(redis, stream, group, entry[0]));
      if (!(await sink.roomToEnter())) return false;
    }
  } while (cursor !== '0-0' && sink.stillClaiming(partition));
  return true;
}

async function deliveryCount(redis: Redis, stream: string, group: string, id: string): Promise<number> {
  const [entry] = (await redis.xpending(stream, group, id, id, 1)) as PendingSummary[];
  return entry?.[3] ?? 2;
}
