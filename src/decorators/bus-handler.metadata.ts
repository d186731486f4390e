import { BUS_HANDLER_METADATA } from '../bus.constants.js';
import type { LaneName } from '../bus/messages.interface.js';
import type { DispatchOptions } from '../dispatch/dispatch-options.interface.js';
import { describeValue } from '../bus/describe.js';
import { findDispatchProblem } from '../dispatch/dispatch-options.js';

/** Options of `@OnInbound`, `@OnOutbound` and `@OnOutboundMedia`. */
export interface BusHandlerOptions extends DispatchOptions {
  /**
   * Only messages of this channel, or of these channels.
   * @default every channel
   */
  channel?: string | string[];
}

/** What the decorators record on a method for one lane. */
export interface LaneHandlerMetadata {
  /** The channels it takes; `undefined`: all. */
  channels: ReadonlySet<string> | undefined;
  dispatch: DispatchOptions;
}

/** What the decorators record on a method, per lane. */
export type BusHandlerMetadata = Partial<Record<LaneName, LaneHandlerMetadata>>;

/**
 * Builds the method decorator of one lane. Several decorators on one method all apply; two of the
 * same lane merge their channels (and their dispatch options, the later one winning), so a message
 * is still handled once. Bad options throw a `TypeError` when the class is defined.
 */
export function busHandlerDecorator(lane: LaneName, options: BusHandlerOptions = {}): MethodDecorator {
  const decorator = `@On${lane[0].toUpperCase()}${lane.slice(1)}`;
  const problem = findDispatchProblem(options);
  if (problem !== undefined) throw new TypeError(`${decorator}: ${problem[0]} ${problem[1]} (got ${describeValue(problem[2])})`);
  const { channel, ...dispatch } = options;
  const channels = channelFilter(decorator, channel);
  return (_target, _key, descriptor) => {
    const method = descriptor.value as object;
    const metadata: BusHandlerMetadata = { ...getBusHandlerMetadata(method) };
    const existing = metadata[lane];
    metadata[lane] =
      existing === undefined ? { channels, dispatch } : { channels: union(existing.channels, channels), dispatch: { ...existing.dispatch, ...dispatch } };
    Reflect.defineMetadata(BUS_HANDLER_METADATA, metadata, method);
    return descriptor;
  };
}

export function getBusHandlerMetadata(method: unknown): BusHandlerMetadata | undefined {
  if (typeof method !== 'function') return undefined;
  return Reflect.getMetadata(BUS_HANDLER_METADATA, method) as BusHandlerMetadata | undefined;
}

function channelFilter(decorator: string, channel: BusHandlerOptions['channel']): ReadonlySet<string> | undefined {
  if (channel === undefined) return undefined;
  const channels = Array.isArray(channel) ? channel : [channel];
  if (channels.length === 0 || channels.some((name) => typeof name !== 'string' || name.length === 0)) {
    throw new TypeError(`${decorator}: channel must be a non-empty string or a non-empty array of them`);
  }
  return new Set(channels);
}

/** `undefined` stands for every channel, so it absorbs any filter. */
function union(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): ReadonlySet<string> | undefined {
  return a === undefined || b === undefined ? undefined : new Set([...a, ...b]);
}
