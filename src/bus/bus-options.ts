import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_LANE_CAPACITY, LANE_NAMES } from '../bus.constants.js';
import type { BusModuleOptions } from './bus-module-options.interface.js';
import { InvalidBusOptionsError } from './invalid-bus-options.error.js';
import { isTimeout } from './long-timeout.js';
import type { LaneName } from './messages.interface.js';

/** Options with defaults applied and every value checked. */
export interface ResolvedBusOptions extends Omit<BusModuleOptions, 'capacity' | 'drainTimeoutMs'> {
  capacity: Readonly<Record<LaneName, number>>;
  drainTimeoutMs: number;
}

export function resolveBusOptions(options: BusModuleOptions = {}): ResolvedBusOptions {
  const { capacity, drainTimeoutMs = DEFAULT_DRAIN_TIMEOUT_MS, onUndelivered, streamDelegate } = options;
  if (!isTimeout(drainTimeoutMs)) {
    throw new InvalidBusOptionsError('drainTimeoutMs', 'must be a number >= 0, or Infinity for no limit', drainTimeoutMs);
  }
  if (onUndelivered !== undefined && typeof onUndelivered !== 'function') {
    throw new InvalidBusOptionsError('onUndelivered', 'must be a function', onUndelivered);
  }
  if (streamDelegate !== undefined && !isStreamDelegateOption(streamDelegate)) {
    throw new InvalidBusOptionsError('streamDelegate', 'must be a class or an object with getStreamer()', streamDelegate);
  }
  return { capacity: resolveCapacity(capacity), drainTimeoutMs, onUndelivered, streamDelegate };
}

function resolveCapacity(capacity: BusModuleOptions['capacity']): Record<LaneName, number> {
  if (capacity === undefined || typeof capacity === 'number') {
    const all = checkCapacity('capacity', capacity ?? DEFAULT_LANE_CAPACITY);
    return { inbound: all, outbound: all, outboundMedia: all };
  }
  if (typeof capacity !== 'object' || capacity === null) {
    throw new InvalidBusOptionsError('capacity', 'must be a number or a record of lane capacities', capacity);
  }
  for (const key of Object.keys(capacity)) {
    if (!LANE_NAMES.includes(key as LaneName)) {
      throw new InvalidBusOptionsError('capacity', `has an unknown lane "${key}"; lanes are ${LANE_NAMES.join(', ')}`, key);
    }
  }
  const lane = (name: LaneName) => checkCapacity(`capacity.${name}`, capacity[name] ?? DEFAULT_LANE_CAPACITY);
  return { inbound: lane('inbound'), outbound: lane('outbound'), outboundMedia: lane('outboundMedia') };
}

function checkCapacity(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidBusOptionsError(option, 'must be an integer >= 1', value);
  }
  return value;
}

function isStreamDelegateOption(value: unknown): boolean {
  if (typeof value === 'function') return true;
  return typeof value === 'object' && value !== null && typeof (value as { getStreamer?: unknown }).getStreamer === 'function';
}
