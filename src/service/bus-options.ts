import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_LANE_CAPACITY, LANE_NAMES } from '../bus.constants.js';
import type { BusModuleOptions } from './bus-module-options.interface.js';
import { InvalidBusOptionsError } from '../bus/invalid-bus-options.error.js';
import { isTimeout } from '../bus/long-timeout.js';
import { findDispatchProblem } from '../dispatch/dispatch-options.js';
import type { LaneName } from '../bus/messages.interface.js';

/** Options with defaults applied and every value checked. */
export interface ResolvedBusOptions extends Omit<BusModuleOptions, 'capacity' | 'drainTimeoutMs' | 'maxPendingPerKey'> {
  capacity: Readonly<Record<LaneName, number>>;
  maxPendingPerKey: Readonly<Record<LaneName, number>>;
  drainTimeoutMs: number;
}

export function resolveBusOptions(options: BusModuleOptions = {}): ResolvedBusOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidBusOptionsError('options', 'must be an object', options);
  const { capacity, maxPendingPerKey, handlerDefaults, drainTimeoutMs = DEFAULT_DRAIN_TIMEOUT_MS, onUndelivered, streamDelegate, telemetry, propagateContext, transport } = options;
  if (!isTimeout(drainTimeoutMs)) {
    throw new InvalidBusOptionsError('drainTimeoutMs', 'must be a number >= 0, or Infinity for no limit', drainTimeoutMs);
  }
  if (onUndelivered !== undefined && typeof onUndelivered !== 'function') {
    throw new InvalidBusOptionsError('onUndelivered', 'must be a function', onUndelivered);
  }
  if (streamDelegate !== undefined && !isStreamDelegateOption(streamDelegate)) {
    throw new InvalidBusOptionsError('streamDelegate', 'must be a class or an object with getStreamer()', streamDelegate);
  }
  if (telemetry !== undefined && !isInstrumentation(telemetry)) {
    throw new InvalidBusOptionsError('telemetry', 'must be an object with start(), publishStarted(), publishEnded(), runCall() and callEnded()', telemetry);
  }
  if (transport !== undefined && !hasMethods(transport, TRANSPORT_METHODS)) {
    throw new InvalidBusOptionsError('transport', `must be an object with ${TRANSPORT_METHODS.join('(), ')}()`, transport);
  }
  if (propagateContext !== undefined && typeof propagateContext !== 'boolean') {
    throw new InvalidBusOptionsError('propagateContext', 'must be a boolean', propagateContext);
  }
  if (handlerDefaults !== undefined) {
    const problem = findDispatchProblem(handlerDefaults);
    if (problem !== undefined) throw new InvalidBusOptionsError(`handlerDefaults.${problem[0]}`, problem[1], problem[2]);
  }
  const capacities = perLane('capacity', capacity, () => DEFAULT_LANE_CAPACITY);
  const perKey = perLane('maxPendingPerKey', maxPendingPerKey, (lane) => Math.max(1, Math.floor(capacities[lane] / 4)));
  return { capacity: capacities, maxPendingPerKey: perKey, handlerDefaults, drainTimeoutMs, onUndelivered, streamDelegate, telemetry, propagateContext, transport };
}

/** A per-lane integer option given as one number for all lanes, or a record of lanes. */
function perLane(option: string, value: number | Partial<Record<LaneName, number>> | undefined, fallback: (lane: LaneName) => number): Record<LaneName, number> {
  if (value === undefined || typeof value === 'number') {
    const check = (lane: LaneName) => checkCapacity(option, value ?? fallback(lane));
    return { inbound: check('inbound'), outbound: check('outbound'), outboundMedia: check('outboundMedia') };
  }
  if (typeof value !== 'object' || value === null) {
    throw new InvalidBusOptionsError(option, 'must be a number or a record of lanes', value);
  }
  for (const key of Object.keys(value)) {
    if (!LANE_NAMES.includes(key as LaneName)) {
      throw new InvalidBusOptionsError(option, `has an unknown lane "${key}"; lanes are ${LANE_NAMES.join(', ')}`, key);
    }
  }
  const lane = (name: LaneName) => checkCapacity(`${option}.${name}`, value[name] ?? fallback(name));
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

const INSTRUMENTATION_METHODS = ['start', 'publishStarted', 'publishEnded', 'runCall', 'callEnded'] as const;
const TRANSPORT_METHODS = ['start', 'publish', 'finished', 'stopReceiving', 'close'] as const;

function isInstrumentation(value: unknown): boolean {
  return hasMethods(value, INSTRUMENTATION_METHODS);
}

function hasMethods(value: unknown, methods: readonly string[]): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return methods.every((method) => typeof (value as Record<string, unknown>)[method] === 'function');
}
