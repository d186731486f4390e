import { Redis } from 'ioredis';
import { describeError, readStringField } from '../../bus/describe.js';
import { InvalidMessageError } from '../../bus/invalid-message.error.js';
import type { LaneName } from '../../bus/messages.interface.js';
import type { BusTransport, TransportHost } from '../bus-transport.interface.js';
import { Admission } from './admission.js';
import { LaneReader } from './lane-reader.js';
import type { PartitionAcknowledgement } from './reader-settings.interface.js';
import { partitionOf } from './partition-of.js';
import { PartitionOwnership } from './partition-ownership.js';
import type { RedisStreamsTransportOptions } from './redis-streams-transport-options.interface.js';
import { TransportCommands } from './transport-commands.js';
import { resolveTransportOptions } from './transport-options.js';
import type { ResolvedTransportOptions } from './transport-options.js';

const GROUP = 'agent-bus';

/** One lane's share of the work on this instance. */
interface LaneWork {
  readonly ownership: PartitionOwnership;
  readonly reader: LaneReader;
  readonly blocking: Redis;
}

/**
 * The lanes on Redis Streams, shared by every instance with the same `prefix`: each lane is `partitions`
 * streams, a chat's messages always in the same one; each partition is read by one instance at a time
 * (a fenced lease), which feeds its in-memory dispatcher, so different chats of one partition still run in
 * parallel. A message is acknowledged (and deleted) once handled or reported undelivered, so it survives the
 * crash of the instance that held it: delivery is at least once (`ctx.deliveryCount` says when it was not the
 * first). Publishers wait while a partition's backlog is at the lane's capacity.
 */
export class RedisStreamsTransport implements BusTransport {
  private readonly options: ResolvedTransportOptions;
  private readonly prefix: string;
  private readonly partitions: number;
  private readonly ttlMs: number;
  private readonly instanceId: string;
  private redis: Redis | undefined = undefined;
  private commands: TransportCommands | undefined = undefined;
  private admission: Admission | undefined = undefined;
  private host: TransportHost | undefined = undefined;
  private readonly work = new Map<LaneName, LaneWork>();
  private readonly streamKeys = new Map<LaneName, string[]>();
  private heartbeat: NodeJS.Timeout | undefined = undefined;
  private ticking = false;

  /** @throws InvalidBusOptionsError naming the option, e.g. `transport.partitions`. */
  constructor(options: RedisStreamsTransportOptions) {
    this.options = resolveTransportOptions(options);
    this.prefix = this.options.prefix;
    this.partitions = this.options.partitions;
    this.ttlMs = this.options.leaseTtlMs;
    this.instanceId = this.options.instanceId;
  }

  async start(host: TransportHost): Promise<void> {
    this.host = host;
    const redis = this.connect();
    this.redis = redis;
    const timeoutMs = this.options.connectTimeoutMs;
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms (${describeTarget(this.options.connection)})`)), timeoutMs).unref()),
    ]).catch((error: unknown) => {
      redis.disconnect();
      throw new Error(`The bus cannot reach Redis: ${describeError(error)}`, { cause: error });
    });
    this.commands = new TransportCommands(redis);
    this.admission = new Admission(this.commands);
    for (const [lane, local] of Object.entries(host.lanes) as [LaneName, NonNullable<TransportHost['lanes'][LaneName]>][]) {
      const blocking = redis.duplicate();
      const reader = new LaneReader(local, redis, blocking, {
        group: GROUP,
        consumer: this.instanceId,
        readCount: this.options.readCount,
        claimIdleMs: this.options.claimIdleMs,
        streamOf: (partition) => this.streamKey(lane, Number(partition)),
        acknowledge: (batches) => this.acknowledge(lane, batches),
        surelyHolds: (partition) => this.work.get(lane)?.ownership.surelyHolds(partition) ?? false,
        warn: host.warn,
      });
      const partitions = Array.from({ length: this.partitions }, (_, index) => String(index));
      const ownership = new PartitionOwnership(redis, this.commands, { prefix: `${this.prefix}:${lane}`, instanceId: this.instanceId, partitions, ttlMs: this.ttlMs }, reader);
      this.work.set(lane, { ownership, reader, blocking });
      reader.start();
    }
    // The main connection carries the acknowledgements: one lost with it leaves entries pending for this instance.
    redis.on('ready', () => {
      for (const { reader } of this.work.values()) reader.reconnected();
    });
    await this.tick();
    this.heartbeat = setInterval(() => void this.tick(), Math.max(10, Math.floor(this.ttlMs / 3)));
    this.heartbeat.unref();
  }

  async publish(lane: LaneName, message: unknown, signal?: AbortSignal): Promise<void> {
    const { admission, host } = this;
    if (admission === undefined || host === undefined) throw new Error('The Redis transport has not started: call app.init() first');
    const stream = this.streamKey(lane, partitionOf(orderingKey(message), this.partitions));
    await admission.admit(stream, host.capacity[lane], serialize(lane, message), signal);
  }

  mayHandle(lane: LaneName, message: unknown): boolean {
    return this.work.get(lane)?.reader.mayHandle(message) ?? true;
  }

  finished(lane: LaneName, message: unknown, acknowledge: boolean): void {
    this.work.get(lane)?.reader.finished(message, acknowledge);
  }

  async stopReceiving(): Promise<void> {
    await Promise.all([...this.work.values()].map(({ reader }) => reader.stop()));
  }

  async close(): Promise<void> {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.admission?.close();
    for (const { reader, ownership, blocking } of this.work.values()) {
      await reader.stop();
      await reader.settled();
      await ownership.leave().catch((error: unknown) => this.host?.warn(`Releasing partitions failed (they lapse after the lease TTL): ${describeError(error)}`));
      blocking.disconnect();
    }
    this.work.clear();
    await this.redis?.quit().catch(() => this.redis?.disconnect());
  }

  private async tick(): Promise<void> {
    // One at a time: while Redis is unreachable a tick waits, and one started beside it could renew from a
    // stale view (and drop a partition the other just took back).
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.tickLanes();
    } finally {
      this.ticking = false;
    }
  }

  private async tickLanes(): Promise<void> {
    for (const [lane, { ownership, reader }] of this.work) {
      try {
        await ownership.tick();
        await reader.touchInFlight();
      } catch (error) {
        this.host?.warn(`Renewing the ${lane} partitions failed: ${describeError(error)}`);
      }
    }
  }

  private async acknowledge(lane: LaneName, batches: readonly PartitionAcknowledgement[]): Promise<(number | undefined)[]> {
    const { commands } = this;
    const work = this.work.get(lane);
    if (commands === undefined || work === undefined) return batches.map(() => undefined);
    const streams = batches.map(({ partition }) => this.streamKey(lane, Number(partition)));
    const results = await commands.acknowledge(
      this.instanceId,
      GROUP,
      batches.map(({ partition, ids }, index) => ({ lease: work.ownership.leaseKey(partition), stream: streams[index], ids })),
    );
    results.forEach((acked, index) => acked !== undefined && this.admission?.roomMade(streams[index]));
    return results;
  }

  /** The stream of a lane's partition; the keys are built once, so that publishing hashes no new string. */
  private streamKey(lane: LaneName, partition: number): string {
    let keys = this.streamKeys.get(lane);
    if (keys === undefined) this.streamKeys.set(lane, (keys = Array.from({ length: this.partitions }, (_, index) => `${this.prefix}:${lane}:stream:${index}`)));
    return keys[partition];
  }

  private connect(): Redis {
    const { connection } = this.options;
    // No auto-pipelining: publishes and acknowledgements are already batched into few calls, and the client's
    // per-turn pipeline costs more than it saves then. No request limit, so commands wait through a reconnect.
    const options = { lazyConnect: false, maxRetriesPerRequest: null, enableAutoPipelining: false } as const;
    if (typeof connection === 'string') return new Redis(connection, options);
    if (connection instanceof Redis) return connection.duplicate(options);
    return new Redis({ ...connection, ...options });
  }
}

/** The message as stored: JSON. One that JSON cannot hold (a cycle, a BigInt) is refused as invalid, adding nothing. */
function serialize(lane: LaneName, message: unknown): string {
  try {
    return JSON.stringify(message);
  } catch (error) {
    throw new InvalidMessageError(lane, 'message', `cannot be stored as JSON by the Redis transport (${describeError(error)})`, { cause: error });
  }
}

/** The key that decides a message's partition: its session, else its chat (as the dispatcher orders by). */
function orderingKey(message: unknown): string {
  const session = readStringField(message, 'sessionKey');
  if (session !== undefined) return session;
  return `${readStringField(message, 'channel') ?? ''}:${readStringField(message, 'chatId') ?? ''}`;
}

function describeTarget(connection: RedisStreamsTransportOptions['connection']): string {
  if (typeof connection === 'string') return connection.replace(/\/\/[^@]*@/, '//***@');
  if (connection instanceof Redis) return `${connection.options.host ?? 'localhost'}:${connection.options.port ?? 6379}`;
  return `${connection.host ?? 'localhost'}:${connection.port ?? 6379}`;
}
