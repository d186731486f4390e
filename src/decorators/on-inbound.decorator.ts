import { busHandlerDecorator } from './bus-handler.metadata.js';
import type { BusHandlerOptions } from './bus-handler.metadata.js';

/**
 * Makes the method a handler of the inbound lane (messages from chat channels to the agent). The bus calls it for each message, in lane order,
 * and waits for the promise it returns before the next message.
 */
export function OnInbound(options?: BusHandlerOptions): MethodDecorator {
  return busHandlerDecorator('inbound', options);
}
