import { busHandlerDecorator } from './bus-handler.metadata.js';
import type { BusHandlerOptions } from './bus-handler.metadata.js';

/**
 * Makes the method a handler of the outbound lane (replies to chats). The bus calls it for each message, in lane order,
 * and waits for the promise it returns before the next message.
 */
export function OnOutbound(options?: BusHandlerOptions): MethodDecorator {
  return busHandlerDecorator('outbound', options);
}
