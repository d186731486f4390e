import type { Redis } from 'ioredis';
import { ACK_IF_HOLDER, ADMIT, RELEASE_IF_HOLDER, RENEW_IF_HOLDER } from './redis-scripts.js';

/** The scripts as ioredis commands (ioredis loads each once with EVALSHA, and again if the server forgot it). */
interface ScriptedRedis extends Redis {
  agentBusAdmit(stream: string, capacity: number, ...messages: string[]): Promise<number>;
  agentBusAckIfHolder(lease: string, stream: string, token: string, group: string, ...ids: string[]): Promise<number>;
  agentBusRenewIfHolder(lease: string, token: string, ttlMs: number): Promise<number>;
  agentBusReleaseIfHolder(lease: string, token: string): Promise<number>;
}

/** The transport's Redis steps, each one atomic command or script. */
export class TransportCommands {
  private readonly redis: ScriptedRedis;

  constructor(redis: Redis) {
    redis.defineCommand('agentBusAdmit', { numberOfKeys: 1, lua: ADMIT });
    redis.defineCommand('agentBusAckIfHolder', { numberOfKeys: 2, lua: ACK_IF_HOLDER });
    redis.defineCommand('agentBusRenewIfHolder', { numberOfKeys: 1, lua: RENEW_IF_HOLDER });
    redis.defineCommand('agentBusReleaseIfHolder', { numberOfKeys: 1, lua: RELEASE_IF_HOLDER });
    this.redis = redis as ScriptedRedis;
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

  /** Acknowledges and deletes entries; `undefined` when the lease is no longer the caller's (nothing changed). */
  async acknowledge(lease: string, token: string, stream: string, group: string, ids: readonly string[]): Promise<number | undefined> {
    const acked = await this.redis.agentBusAckIfHolder(lease, stream, token, group, ...ids);
    return acked === -1 ? undefined : acked;
  }
}
