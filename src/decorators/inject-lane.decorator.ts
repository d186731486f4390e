import { Inject } from '@nestjs/common';
import { LANE_TOKENS } from '../bus.constants.js';
import type { LaneName } from '../bus/messages.interface.js';

/** Injects one lane of the bus (the same object as `bus.inbound`, `bus.outbound` or `bus.outboundMedia`). */
export function InjectLane(name: LaneName): PropertyDecorator & ParameterDecorator {
  const token = LANE_TOKENS[name];
  if (token === undefined) throw new TypeError(`@InjectLane: unknown lane "${String(name)}"`);
  return Inject(token);
}
