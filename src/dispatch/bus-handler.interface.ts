import type { BusContext } from './bus-context.interface.js';
import type { ResolvedDispatchOptions } from './dispatch-options.js';

/** A method the bus calls for the messages of one lane. */
export interface BusHandler<T> {
  /** `Class.method`, for logs. */
  readonly name: string;
  /** Only messages of these channels; `undefined` means every channel. */
  readonly channels: ReadonlySet<string> | undefined;
  /** How its calls are scheduled. */
  readonly options: ResolvedDispatchOptions;
  /** Calls the method. May return a promise, which the bus waits for. */
  readonly invoke: (message: T, context: BusContext<T>) => unknown;
}
