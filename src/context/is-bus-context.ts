import type { ArgumentsHost } from '@nestjs/common';
import { BUS_CONTEXT_TYPE } from '../bus.constants.js';

/** Whether a guard, interceptor, pipe or filter runs for a bus handler (rather than HTTP, RPC, ...). */
export function isBusContext(host: ArgumentsHost): boolean {
  return host.getType<string>() === BUS_CONTEXT_TYPE;
}
