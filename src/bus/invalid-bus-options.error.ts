import { describeValue } from './describe.js';

/** `BusModule` options that make no sense; thrown at startup so the app fails fast. */
export class InvalidBusOptionsError extends TypeError {
  override readonly name = 'InvalidBusOptionsError';

  constructor(
    /** The option, e.g. `capacity.inbound` or `handlerDefaults.retry.attempts`. */
    readonly option: string,
    problem: string,
    value: unknown,
  ) {
    super(`BusModule option ${option} ${problem} (got ${describeValue(value)})`);
  }
}
