import type { Redis } from 'ioredis';
import { rendezvousOwner } from './rendezvous.js';
import type { TransportCommands } from './transport-commands.js';

/** How ownership is kept. */
export interface OwnershipSettings {
  /** Key prefix of the members set and the leases. */
  readonly prefix: string;
  /** This instance's id: its lease token. */
  readonly instanceId: string;
  /** The partitions to share, e.g. `inbound:0` ... `inbound:15`. */
  readonly partitions: readonly string[];
  /** How long a lease and a membership last without renewal. */
  readonly ttlMs: number;
}

/** What ownership asks of the partitions' reader. */
export interface OwnershipListener {
  /** This instance now holds the partition: start reading it (its pending entries first). */
  acquired(partition: string): void;
  /** The lease was lost (it lapsed, or another instance holds it): stop reading, acknowledge nothing more. */
  lost(partition: string): void;
  /** Whether a partition this instance should hand over has nothing in flight (it is then released). */
  idle(partition: string): boolean;
  /** This instance should hand the partition over: stop reading it, let what is in flight finish. */
  handingOver(partition: string): void;
}

/**
 * Shares partitions among live instances, one holder per partition through a fenced lease. Each `tick()`
 * (every third of the TTL): renews this instance's membership and leases (dropping those it lost), takes the
 * free partitions that rendezvous hashing gives it, and hands over, once they are idle, those it holds but
 * should not, so that joining or leaving instances rebalance within a few ticks.
 */
export class PartitionOwnership {
  private readonly held = new Set<string>();
  /** When each held lease was last taken or renewed, by this process's clock. */
  private readonly renewedAt = new Map<string, number>();
  private readonly handingOver = new Set<string>();

  constructor(
    private readonly redis: Redis,
    private readonly commands: TransportCommands,
    private readonly settings: OwnershipSettings,
    private readonly listener: OwnershipListener,
  ) {}

  get holding(): ReadonlySet<string> {
    return this.held;
  }

  /**
   * Whether the lease is certainly still this instance's: held, and last renewed less than the TTL ago (less
   * a tenth, for the clocks' drift). After a pause longer than that, another instance may hold it.
   */
  surelyHolds(partition: string, now = Date.now()): boolean {
    const renewedAt = this.renewedAt.get(partition);
    return this.held.has(partition) && renewedAt !== undefined && now - renewedAt < this.settings.ttlMs * 0.9;
  }

  async tick(now = Date.now()): Promise<void> {
    const { prefix, instanceId, ttlMs, partitions } = this.settings;
    const membersKey = `${prefix}:members`;
    await this.redis.zadd(membersKey, now + ttlMs, instanceId);
    await this.redis.zremrangebyscore(membersKey, '-inf', now);
    const members = (await this.redis.zrangebyscore(membersKey, now, '+inf')).sort();
    await this.renewHeld();
    for (const partition of partitions) {
      const wanted = rendezvousOwner(partition, members) === instanceId;
      if (wanted && !this.held.has(partition)) await this.tryAcquire(partition);
      else if (wanted && this.handingOver.delete(partition)) this.listener.acquired(partition); // wanted again before it was released
      else if (!wanted && this.held.has(partition)) await this.handOver(partition);
    }
  }

  /** Leaves: every lease released (the caller made sure nothing is in flight), membership removed. */
  async leave(): Promise<void> {
    const { prefix, instanceId } = this.settings;
    for (const partition of this.held) await this.commands.release(this.leaseKey(partition), instanceId);
    this.held.clear();
    this.renewedAt.clear();
    await this.redis.zrem(`${prefix}:members`, instanceId);
  }

  leaseKey(partition: string): string {
    return `${this.settings.prefix}:lease:${partition}`;
  }

  private async renewHeld(): Promise<void> {
    const { instanceId, ttlMs } = this.settings;
    for (const partition of [...this.held]) {
      const startedAt = Date.now();
      if (await this.commands.renew(this.leaseKey(partition), instanceId, ttlMs)) {
        this.renewedAt.set(partition, startedAt);
        continue;
      }
      this.held.delete(partition);
      this.renewedAt.delete(partition);
      this.handingOver.delete(partition);
      this.listener.lost(partition);
    }
  }

  private async tryAcquire(partition: string): Promise<void> {
    const { instanceId, ttlMs } = this.settings;
    const startedAt = Date.now();
    if (!(await this.commands.acquire(this.leaseKey(partition), instanceId, ttlMs))) return;
    this.held.add(partition);
    this.renewedAt.set(partition, startedAt);
    this.listener.acquired(partition);
  }

  private async handOver(partition: string): Promise<void> {
    if (!this.handingOver.has(partition)) {
      this.handingOver.add(partition);
      this.listener.handingOver(partition);
    }
    if (!this.listener.idle(partition)) return;
    await this.commands.release(this.leaseKey(partition), this.settings.instanceId);
    this.held.delete(partition);
    this.renewedAt.delete(partition);
    this.handingOver.delete(partition);
  }
}
