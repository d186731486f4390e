import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { MessageBusService } from '../service/message-bus.service.js';
import type { LaneName } from '../bus/messages.interface.js';
import type { BusHealthOptions } from './bus-health-options.interface.js';

const DEFAULT_MAX_FILL = 0.9;

/** A lane's fill as the health result shows it. */
interface LaneFill {
  size: number;
  capacity: number;
  fill: number;
}

/**
 * Health checks of the bus for `@nestjs/terminus`: `isHealthy` for liveness (lanes not too full), and
 * `isReady` for readiness, which is also down as soon as the bus begins to close, so that a load balancer
 * stops sending webhooks while the bus drains.
 */
@Injectable()
export class BusHealthIndicator {
  constructor(
    private readonly bus: MessageBusService,
    private readonly health: HealthIndicatorService,
  ) {}

  /** Down when a lane is fuller than `maxFill`. */
  isHealthy<const Key extends string>(key: Key, options: BusHealthOptions = {}): HealthIndicatorResult<Key> {
    return this.check(key, options, false);
  }

  /** Down when a lane is fuller than `maxFill`, and once the bus has begun to close. */
  isReady<const Key extends string>(key: Key, options: BusHealthOptions = {}): HealthIndicatorResult<Key> {
    return this.check(key, options, true);
  }

  private check<const Key extends string>(key: Key, options: BusHealthOptions, downWhenClosing: boolean): HealthIndicatorResult<Key> {
    const maxFill = checkMaxFill(options.maxFill);
    const lanes = this.fills();
    const closing = this.bus.closed;
    const session = this.health.check(key);
    if (downWhenClosing && closing) return session.down({ lanes, closing, message: 'the bus is closing' });
    const full = (Object.keys(lanes) as LaneName[]).filter((name) => lanes[name].fill > maxFill);
    if (full.length > 0) return session.down({ lanes, closing, message: `lane ${full.join(', ')} fuller than ${maxFill * 100}%` });
    return session.up({ lanes, closing });
  }

  private fills(): Record<LaneName, LaneFill> {
    // The lanes themselves, not stats(): a health probe must not turn on the timing of handler calls.
    const fill = (name: LaneName): LaneFill => {
      const { size, capacity } = this.bus[name];
      return { size, capacity, fill: size / capacity };
    };
    return { inbound: fill('inbound'), outbound: fill('outbound'), outboundMedia: fill('outboundMedia') };
  }
}

function checkMaxFill(maxFill: number | undefined = DEFAULT_MAX_FILL): number {
  if (typeof maxFill !== 'number' || !(maxFill > 0 && maxFill <= 1)) {
    throw new RangeError(`BusHealthIndicator: maxFill must be a number > 0 and <= 1 (got ${String(maxFill)})`);
  }
  return maxFill;
}
