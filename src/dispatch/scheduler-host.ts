import type { CallOutcome } from '../bus/bus-observer.interface.js';
import type { UndeliveredReason } from '../bus/undelivered.interface.js';
import type { Delivery } from './delivery.js';

/** What a scheduler reports to its dispatcher. */
export interface SchedulerHost<T> {
  /** The handler is done with the delivery: handled (`reason` undefined), or given up on. */
  settle(delivery: Delivery<T>, reason?: UndeliveredReason, error?: unknown, handler?: string): void;
  logFailure(handler: string, message: T, error: unknown, willRetry: boolean): void;
}

/** What a handler's scheduler holds now, for `stats()`. */
export interface SchedulerLoad {
  inFlight: number;
  /** Keys with messages waiting (queued, carried over, or due for a retry). */
  queuedKeys: number;
  queuedMessages: number;
  /** Calls that threw, were refused or timed out, retried ones included. */
  failures: number;
}

/** The outcome of every successful call: one object, so that observing a success allocates nothing. */
export const DELIVERED: CallOutcome = Object.freeze({ type: 'delivered' });
