import type { Redis, RedisOptions } from 'ioredis';

/** Options of `redisStreamsTransport()`. */
export interface RedisStreamsTransportOptions {
  /** ioredis options, a `redis://` URL, or a client whose options the transport copies (it opens its own connections). */
  connection: RedisOptions | string | Redis;
  /** Prefix of every key (streams, leases, members): instances sharing it share the work. @default 'agent-bus' */
  prefix?: string;
  /** Streams per lane; a chat's messages always go to the same one. Change it only on empty streams. @default 16 */
  partitions?: number;
  /** How long a partition's lease lasts without renewal (renewed every third of it). @default 10000 */
  leaseTtlMs?: number;
  /** An entry pending that long for another instance is taken over (its instance is presumed dead). @default leaseTtlMs */
  claimIdleMs?: number;
  /** Entries read per partition and call; also how many read entries may wait to enter the local lane. @default 64 */
  readCount?: number;
  /** This instance's name in Redis. @default `${hostname}:${pid}:${random}` */
  instanceId?: string;
  /** How long `start()` waits for Redis before failing the app's startup. @default 5000 */
  connectTimeoutMs?: number;
}
