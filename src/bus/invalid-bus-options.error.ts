/** `BusModule` options that make no sense; thrown at startup so the app fails fast. */
export class InvalidBusOptionsError extends TypeError {
  override readonly name = 'InvalidBusOptionsError';

  constructor(option: string, problem: string, value: unknown) {
    super(`BusModule option ${option} ${problem} (got ${String(value)})`);
  }
}
