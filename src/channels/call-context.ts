import type { BusContext } from '../dispatch/bus-context.interface.js';
import type { SendContext } from './channel-capabilities.interface.js';

/**
 * The context of one send: `signal` is the handler call's, read only when the channel reads it, since
 * creating a call's `AbortController` costs more than a fast send itself.
 */
export class CallContext implements SendContext {
  constructor(
    private readonly call: BusContext<unknown>,
    readonly attempt: number,
    readonly part: number,
    readonly parts: number,
  ) {}

  get signal(): AbortSignal {
    return this.call.signal;
  }
}
