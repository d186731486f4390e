import type { Redis } from 'ioredis';
import { recordDelivery } from '../../bus/delivery-info.js';
import { describeError } from '../../bus/describe.js';
import { sleep } from '../../bus/sleep.js';
import type { LocalLane } from '../bus-transport.interface.js';
import { AcknowledgementBatch } from './acknowledgement-batch.js';
import type { OwnershipListener } from './partition-ownership.js';
import { recoverOwnPending, takeOverPending } from './pending-entries.js';
import type { PendingEntrySink, StreamEntry } from './pending-entries.js';
import type { ReaderSettings } from './reader-settings.interface.js';

/** An entry fed to the local lane and not yet finished. */
interface InFlight {
  readonly partition: string;
  readonly id: string;
  /** A handler was not started on it (the partition may have moved): it must not be acknowledged here. */
  left?: boolean;
}

/** How long a blocking read waits, so that changes of the held partitions are seen soon. */
const BLOCK_MS = 100;

/**
 * Feeds one lane of this instance from the partitions it holds. A partition just taken (or held across a lost
 * connection) first gives its pending entries: this instance's own that it lost track of, then those of an
 * instance that died (past `claimIdleMs`); new entries are read only once nothing else is pending, so a chat's
 * older messages come first. Each entry goes into the local lane, where one whose chat is at its limit waits
 * without holding up the others, and is acknowledged when the dispatcher is done with it.
 */
export class LaneReader implements OwnershipListener {
  private readonly states = new Map<string, 'claiming' | 'reading'>();
  private readonly inFlight = new Map<object, InFlight>();
  private readonly inFlightIds = new Map<string, Set<string>>();
  /** Entries to acknowledge: sent together once per event-loop turn. */
  private readonly acknowledgements: AcknowledgementBatch<InFlight>;
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined = undefined;
  /** Entries waiting to enter the local lane (for room, or for their chat's turn). */
  private entering = 0;
  /** Wakes the loop when it waits for entries to enter the local lane. */
  private entered: (() => void) | undefined = undefined;
  /**
   * Counts reconnections: a reply that arrives after one may answer a command sent again, and follow one whose
   * reply was lost; its entries are then left to the claim that follows, which feeds them all in order.
   */
  private connections = 0;
  /** Wakes the loop when it waits for a partition to read. */
  private wake: (() => void) | undefined = undefined;

  private readonly pendingSink: PendingEntrySink;

  constructor(
    private readonly lane: LocalLane,
    private readonly redis: Redis,
    private readonly blocking: Redis,
    private readonly settings: ReaderSettings,
  ) {
    this.acknowledgements = new AcknowledgementBatch<InFlight>({
      acknowledge: (batches) => settings.acknowledge(batches),
      warn: (message) => settings.warn(message),
      settled: (entry) => this.forget(entry),
    });
    const { group, consumer, readCount, claimIdleMs } = settings;
    this.pendingSink = {
      group,
      consumer,
      readCount,
      claimIdleMs,
      isInFlight: (partition, id) => this.inFlightIds.get(partition)?.has(id) === true,
      stillClaiming: (partition) => this.states.get(partition) === 'claiming',
      feed: (partition, entry, deliveryCount) => this.feed(partition, entry, deliveryCount),
      roomToEnter: () => this.roomToEnter(),
      connections: () => this.connections,
    };
    let connected = blocking.status === 'ready';
    blocking.on('ready', () => {
      if (connected) this.reconnected();
      connected = true;
    });
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Stops reading and feeding; entries not fed stay pending for whoever holds their partition next. */
  async stop(): Promise<void> {
    this.stopping.abort(new Error('the transport is stopping'));
    await this.running;
  }

  /** Waits for the acknowledgements under way (and those not yet sent). */
  settled(): Promise<void> {
    return this.acknowledgements.settled();
  }

  acquired(partition: string): void {
    this.states.set(partition, 'claiming');
    this.wake?.();
  }

  /**
   * A connection came back: a read or an acknowledgement may have been lost with it (delivered by Redis, never
   * seen here). Every partition is claimed again, which feeds such entries once more before reading on.
   */
  reconnected(): void {
    this.connections++;
    for (const [partition, state] of this.states) if (state === 'reading') this.states.set(partition, 'claiming');
  }

  lost(partition: string): void {
    this.states.delete(partition);
  }

  handingOver(partition: string): void {
    this.states.delete(partition);
  }

  idle(partition: string): boolean {
    return (this.inFlightIds.get(partition)?.size ?? 0) === 0;
  }

  /**
   * Marks the entries still being handled as fresh (`XCLAIM ... JUSTID` resets their idle time without
   * counting a delivery), so that a long handler call is not taken over by another instance meanwhile.
   */
  async touchInFlight(): Promise<void> {
    const { group, consumer, streamOf } = this.settings;
    for (const [partition, ids] of this.inFlightIds) {
      if (ids.size === 0) continue;
      await this.redis.xclaim(streamOf(partition), group, consumer, 0, ...ids, 'JUSTID');
    }
  }

  /** Whether a handler may start on a message this reader fed: not once its partition may have moved. */
  mayHandle(message: unknown): boolean {
    const entry = typeof message === 'object' && message !== null ? this.inFlight.get(message) : undefined;
    if (entry === undefined || this.settings.surelyHolds(entry.partition)) return true;
    entry.left = true;
    return false;
  }

  /** The dispatcher is done with a message this reader fed. */
  finished(message: unknown, acknowledge: boolean): void {
    const entry = typeof message === 'object' && message !== null ? this.inFlight.get(message) : undefined;
    if (entry === undefined) return;
    this.inFlight.delete(message as object);
    if (entry.left === true) {
      // Left unhandled: pending in Redis for the partition's holder. If that is still this instance once its
      // lease is surely its own again, claiming the partition feeds the entry once more.
      this.forget(entry);
      if (this.states.get(entry.partition) === 'reading') this.states.set(entry.partition, 'claiming');
      return;
    }
    if (!acknowledge) return this.forget(entry);
    this.acknowledgements.add(entry);
  }

  private async loop(): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      try {
        for (const [partition, state] of this.states) if (state === 'claiming') await this.claim(partition);
        const reading = [...this.states].filter(([, state]) => state === 'reading').map(([partition]) => partition);
        if (reading.length === 0) {
          if (this.states.size === 0) await this.partitionAcquired(signal);
          else await sleep(BLOCK_MS, signal);
          continue;
        }
        await this.readNew(reading);
      } catch (error) {
        if (signal.aborted) return;
        this.settings.warn(`Reading lane ${this.lane.name} failed; trying again: ${describeError(error)}`);
        await sleep(BLOCK_MS * 5, signal).catch(() => undefined);
      }
    }
  }

  /** Resolves when this reader is given a partition, or the signal aborts. */
  private partitionAcquired(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.wake = undefined;
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * Takes a partition's pending entries before reading new ones, so that a chat's older messages come first:
   * this consumer's own that it lost track of, then those another instance left past `claimIdleMs`. Reading
   * starts once nothing is pending but what this instance is handling.
   */
  private async claim(partition: string): Promise<void> {
    const { group, streamOf } = this.settings;
    // Not while the lease may have lapsed (a pause, an outage): what is fed now would not be handled.
    if (!this.settings.surelyHolds(partition)) return;
    const stream = streamOf(partition);
    await this.redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM').catch((error: unknown) => {
      if (!String(error).includes('BUSYGROUP')) throw error;
    });
    if (!(await recoverOwnPending(this.redis, stream, partition, this.pendingSink))) return;
    if (!(await takeOverPending(this.redis, stream, partition, this.pendingSink))) return;
    const [pending] = (await this.redis.xpending(stream, group)) as [number];
    if (pending <= (this.inFlightIds.get(partition)?.size ?? 0) && this.states.get(partition) === 'claiming') this.states.set(partition, 'reading');
  }

  private async readNew(partitions: readonly string[]): Promise<void> {
    const { group, consumer, readCount, streamOf } = this.settings;
    const streams = partitions.map((partition) => streamOf(partition));
    const connections = this.connections;
    const result = (await this.blocking.xreadgroup('GROUP', group, consumer, 'COUNT', readCount, 'BLOCK', BLOCK_MS, 'STREAMS', ...streams, ...streams.map(() => '>'))) as
      | [string, StreamEntry[]][]
      | null;
    if (result === null || connections !== this.connections) return;
    // Round-robin over the partitions: the local lane then holds many chats at once, so that handlers run
    // side by side, rather than one partition's few chats in a row.
    const read = result.map(([stream, entries]) => ({ partition: partitions[streams.indexOf(stream)], entries }));
    const longest = Math.max(...read.map(({ entries }) => entries.length));
    for (let index = 0; index < longest; index++) {
      for (const { partition, entries } of read) {
        if (index >= entries.length) continue;
        this.feed(partition, entries[index], 1);
        const room = this.roomToEnter();
        if (room !== true && !(await room)) return;
      }
    }
  }

  /**
   * Puts an entry into the local lane: at once when it has room. Otherwise the entry waits there, for room or
   * for its chat's turn (the lane's per-chat limit), without holding up the entries of other chats behind it;
   * the lane keeps each chat's entries in order. One the reader stops for stays pending in Redis.
   */
  private feed(partition: string, [id, fields]: StreamEntry, deliveryCount: number): void {
    const message = JSON.parse(fields[fields.indexOf('m') + 1]) as object;
    if (deliveryCount > 1) recordDelivery(message, deliveryCount); // absent means the first delivery
    let ids = this.inFlightIds.get(partition);
    if (ids === undefined) this.inFlightIds.set(partition, (ids = new Set()));
    ids.add(id);
    this.inFlight.set(message, { partition, id });
    const notFed = (): void => {
      this.inFlight.delete(message);
      ids.delete(id);
    };
    try {
      if (this.lane.tryPublish(message)) return;
    } catch {
      return notFed();
    }
    this.entering++;
    this.lane
      .publish(message, { signal: this.stopping.signal })
      .catch(notFed)
      .finally(() => {
        this.entering--;
        this.entered?.();
      });
  }

  /**
   * Whether the reader may feed on: `true` at once while fewer than `readCount` entries wait to enter the local
   * lane (no await per entry), else a promise of it once one entered (so what the reader holds stays bounded);
   * `false` once the reader stops.
   */
  private roomToEnter(): boolean | Promise<boolean> {
    const { signal } = this.stopping;
    if (this.entering < this.settings.readCount || signal.aborted) return !signal.aborted;
    return (async () => {
      while (this.entering >= this.settings.readCount && !signal.aborted) {
        await new Promise<void>((resolve) => (this.entered = resolve));
        this.entered = undefined;
      }
      return !signal.aborted;
    })();
  }

  private forget(entry: InFlight): void {
    this.inFlightIds.get(entry.partition)?.delete(entry.id);
  }
}
