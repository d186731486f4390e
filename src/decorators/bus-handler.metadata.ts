import { BUS_HANDLER_METADATA } from '../bus.constants.js';
import type { LaneName } from '../bus/messages.interface.js';

/** Options of `@OnInbound`, `@OnOutbound` and `@OnOutboundMedia`. */
export interface BusHandlerOptions {
  /**
   * Only messages of this channel, or of these channels.
   * @default every channel
   */
  channel?: string | string[];
}

/** What the decorators record on a method: per lane, the channels it takes (`undefined`: all). */
export type BusHandlerMetadata = Partial<Record<LaneName, ReadonlySet<string> | undefined>>;

/**
 * Builds the method decorator of one lane. Several decorators on one method all apply; two of the
 * same lane merge their channels, so a message is still handled once.
 */
export function busHandlerDecorator(lane: LaneName, options: BusHandlerOptions = {}): MethodDecorator {
  const channels = channelFilter(lane, options.channel);
  return (_target, _key, descriptor) => {
    const method = descriptor.value as object;
    const metadata: BusHandlerMetadata = { ...getBusHandlerMetadata(method) };
    const merged = lane in metadata ? union(metadata[lane], channels) : channels;
    metadata[lane] = merged;
    Reflect.defineMetadata(BUS_HANDLER_METADATA, metadata, method);
    return descriptor;
  };
}

export function getBusHandlerMetadata(method: unknown): BusHandlerMetadata | undefined {
  if (typeof method !== 'function') return undefined;
  return Reflect.getMetadata(BUS_HANDLER_METADATA, method) as BusHandlerMetadata | undefined;
}

function channelFilter(lane: LaneName, channel: BusHandlerOptions['channel']): ReadonlySet<string> | undefined {
  if (channel === undefined) return undefined;
  const channels = Array.isArray(channel) ? channel : [channel];
  if (channels.length === 0 || channels.some((name) => typeof name !== 'string' || name.length === 0)) {
    throw new TypeError(`@On${lane[0].toUpperCase()}${lane.slice(1)}: channel must be a non-empty string or a non-empty array of them`);
  }
  return new Set(channels);
}

/** `undefined` stands for every channel, so it absorbs any filter. */
function union(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): ReadonlySet<string> | undefined {
  return a === undefined || b === undefined ? undefined : new Set([...a, ...b]);
}
