import type { KeySlot } from './key-slot.js';
import type { Waiter } from './waiter-queue.js';

/** Options of {@link Lane.publish} and {@link Lane.receive}. */
export interface LaneCallOptions {
  /** Gives up waiting: the call rejects with `signal.reason` and nothing is enqueued or taken. */
  signal?: AbortSignal;
}

/**
 * A consumer that takes a lane's messages as they arrive, instead of receiving them: the bus's
 * dispatcher. While it is `ready`, a message published to an empty lane is handed straight to
 * `accept` (no buffering, no wake-up); otherwise it is buffered, and the consumer takes it with
 * `tryReceive` once it is ready again.
 */
export interface LaneConsumer<T> {
  readonly ready: boolean;
  /** `slot` is the message's key slot under per-key admission, when the lane already looked it up. */
  accept(message: T, slot: KeySlot<T> | undefined): void;
}

/** How a lane checks a message before accepting it. Throws to refuse it. */
export type MessageValidator<T> = (message: T) => void;

export interface WaitingReceiver<T> extends Waiter {
  resolve(message: T | undefined): void;
}
