import type { IndexEntry } from './key-index.js';
import type { Waiter, WaiterQueue } from './waiter-queue.js';

/**
 * One key's share of a lane: its pending messages and the publishers waiting for a free slot.
 *
 * A class rather than an object literal: a literal with a getter is made in dictionary mode, so every
 * read of its fields on the publish path would be a hash lookup instead of an inline-cached load.
 */
export class KeySlot<T> implements IndexEntry {
  /** Messages accepted and not released, plus waiters holding a slot. */
  pending = 0;
  waiting: WaiterQueue<WaitingPublisher<T>> | undefined = undefined;
  /** Whatever the lane's consumer keeps per key (the dispatcher: its handlers' key states). */
  attachment: unknown = undefined;

  constructor(
    readonly outer: string,
    readonly inner: string | undefined,
  ) {}

  get idle(): boolean {
    return this.pending <= 0 && (this.waiting === undefined || this.waiting.length === 0);
  }
}

/**
 * A publisher waiting on a lane: for space, or (with per-key admission) for its key to have a free slot.
 * `reserved` is set once it holds a slot of its key, which it gives back if it gives up.
 */
export interface WaitingPublisher<T> extends Waiter {
  message: T;
  slot: KeySlot<T> | undefined;
  reserved: boolean;
  resolve(): void;
}
