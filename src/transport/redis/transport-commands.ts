import type { Redis } from 'ioredis';
import { ACK_IF_HOLDER, ADMIT, RELEASE_IF_HOLDER, RENEW_IF_HOLDER } from './redis-scripts.js';

/** The scripts as ioredis commands (ioredis loads each once with EVALSHA, and again if the server forgot it). */
interface ScriptedRedis extends Redis {
  agentBusAdmit(stream: string, capacity: number, ...messages: string[]): Promise<number>;
  agentBusAckIfHolder(numberOfKeys: number, ...keysAndArguments: (string | number)[]): Promise<number[]>;
  agentBusRenewIfHolder(lease: string, token: string, ttlMs: number): Promise<number>;
  agentBusReleaseIfHolder(lease: string, token: string): Promise<number>;
}

/** The transport's Redis steps, each one atomic command or script. */
export class TransportCommands {
  private readonly redis: ScriptedRedis;

  constructor(redis: Redis) {
    redis.defineCommand('agentBusAdmit', { numberOfKeys: 1, lua: ADMIT });
    redis.defineCommand('agentBusAckIfHolder', { lua: ACK_IF_HOLDER }); // the number of keys varies: given per call
    redis.defineCommand('agentBusRenewIfHolder', { numberOfKeys: 1, lua: RENEW_IF_HOLDER });
    redis.defineCommand('agentBusReleaseIfHolder', { numberOfKeys: 1, lua: RELEASE_IF_HOLDER });
    this.redis = redis as ScriptedRedis;
  }

  /** Whether the connection is up (commands sent now are not left in the client's offline queue). */
  get connected(): boolean {
    return this.redis.status === 'ready';
  }

  /** Calls `listener` once the connection is (back) up. */
  onceConnected(listener: () => void): void {
    this.redis.once('ready', listener);
  }

  /** Adds the first of `messages` that fit under the stream's `capacity`, in order; resolves with how many. */
  admit(stream: string, capacity: number, messages: readonly string[]): Promise<number> {
    return this.redis.agentBusAdmit(stream, capacity, ...messages);
  }

  /** Takes the lease if nobody holds it. */
  async acquire(lease: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(lease, token, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async renew(lease: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.agentBusRenewIfHolder(lease, token, ttlMs)) === 1;
  }

  async release(lease: string, token: string): Promise<boolean> {
    return (await this.redis.agentBusReleaseIfHolder(lease, token)) === 1;
  }

  /**
   * Acknowledges and deletes entries of several streams in one call, each only if its lease is still
   * `token`'s. Resolves, per batch, how many were acknowledged, or `undefined` when the lease is no longer the
   * caller's (nothing of that stream changed).
   */
  async acknowledge(token: string, group: string, batches: readonly AcknowledgementBatch[]): Promise<(number | undefined)[]> {
    const keys = batches.flatMap(({ lease, stream }) => [lease, stream]);
    const args = batches.flatMap(({ ids }) => [ids.length, ...ids]);
    const results = await this.redis.agentBusAckIfHolder(keys.length, ...keys, token, group, ...args);
    return results.map((acked) => (acked === -1 ? undefined : acked));
  }
}

/** Entries of one stream to acknowledge, under its partition's lease. */
export interface AcknowledgementBatch {
  readonly lease: string;
  readonly stream: string;
  readonly ids: readonly string[];
}
