import type { KeySlot } from '../bus/key-slot.js';

/**
 * One accepted message on its way through the handlers of its lane. It is finished when every handler
 * that takes it is done with it, one way or another; only then is its key released to the lane.
 */

export interface Delivery<T> {
  readonly message: T;
  /** Its key's slot in the lane, under per-key admission: given back when the delivery finishes. */
  readonly slot: KeySlot<T> | undefined;
  /** Handlers still working on it. */
  remaining: number;
  /** Whether it was reported undelivered by at least one handler. */
  failed: boolean;
  /** What the bus's observer remembered of its publish, while one observes. */
  readonly publication: unknown;
  /** Set when the drain ran out of time on it: a transport must not acknowledge it (another instance will redeliver it). */
  abandoned: boolean;
  /** Whether it was finished (or abandoned at shutdown): later outcomes are ignored. */
  finished: boolean;
}
