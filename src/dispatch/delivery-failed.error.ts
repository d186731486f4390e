import type { UndeliveredReason } from '../bus/undelivered.interface.js';
import { NonRetriableError } from './non-retriable.error.js';

/**
 * A handler gave up on part of its message after retrying in its own way (a channel's send, say): the bus
 * reports `undelivered` (what was not delivered, e.g. the parts of a split message not sent) with `reason`,
 * instead of the whole message, and does not retry it.
 */
export class DeliveryFailedError extends NonRetriableError {
  override readonly name = 'DeliveryFailedError';

  constructor(
    readonly reason: UndeliveredReason,
    /** What is reported undelivered in place of the message the handler was given. */
    readonly undelivered: unknown,
    cause: unknown,
  ) {
    super(`delivery failed (${reason}): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
