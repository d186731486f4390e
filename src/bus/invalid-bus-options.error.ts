import { describeValue } from './describe.js';

/** `BusModule` (or `@BusChannel`) options that make no sense; thrown at startup (or decoration) so the app fails fast. */
export class InvalidBusOptionsError extends TypeError {
  override readonly name = 'InvalidBusOptionsError';

  constructor(
    /** The option, e.g. `capacity.inbound` or `handlerDefaults.retry.attempts`. */
    readonly option: string,
    problem: string,
    value: unknown,
  ) {
    const subject = option.startsWith('@') ? option : `BusModule option ${option}`;
    super(`${subject} ${problem} (got ${describeValue(value)})`);
  }
}
