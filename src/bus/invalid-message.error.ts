import type { LaneName } from './messages.interface.js';

/** A message that fails validation on publish. Nothing is enqueued. */
export class InvalidMessageError extends TypeError {
  override readonly name = 'InvalidMessageError';

  constructor(
    /** The lane the message was published to. */
    readonly lane: LaneName,
    /** The offending field, e.g. `chatId` or `parts[1].ref`. */
    readonly field: string,
    problem: string,
    /** Set when reading the field threw: the original error. */
    options?: ErrorOptions,
  ) {
    super(`Invalid ${lane} message: ${field} ${problem}`, options);
  }
}
