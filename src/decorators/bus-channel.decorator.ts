import { BUS_CHANNEL_METADATA, BUS_CHANNEL_OPTIONS_METADATA } from '../bus.constants.js';
import type { BusChannelOptions } from '../channels/bus-channel-options.interface.js';
import { resolveChannelOptions } from '../channels/channel-options.js';
import type { ResolvedChannelOptions } from '../channels/channel-options.js';

/**
 * Marks a provider as the chat channel `name` (the `channel` field of its messages). What the class
 * implements decides what the bus does with it: `send` / `sendMedia` receive the channel's outbound
 * messages (split, paced and retried as `options` say), `beginStream` streams answers, and typing,
 * reactions and placeholders acknowledge users' messages when `options.acknowledge` lists them.
 * Bad options throw an `InvalidBusOptionsError` here, when the class is decorated.
 */
export function BusChannel(name: string, options?: BusChannelOptions): ClassDecorator {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('@BusChannel: name must be a non-empty string');
  const resolved = resolveChannelOptions(name, options);
  return (target) => {
    Reflect.defineMetadata(BUS_CHANNEL_METADATA, name, target);
    Reflect.defineMetadata(BUS_CHANNEL_OPTIONS_METADATA, resolved, target);
  };
}

export function getBusChannelName(target: unknown): string | undefined {
  if (typeof target !== 'function') return undefined;
  return Reflect.getMetadata(BUS_CHANNEL_METADATA, target) as string | undefined;
}

export function getBusChannelOptions(target: unknown): ResolvedChannelOptions {
  const options = typeof target === 'function' ? (Reflect.getMetadata(BUS_CHANNEL_OPTIONS_METADATA, target) as ResolvedChannelOptions | undefined) : undefined;
  return options ?? resolveChannelOptions('(unnamed)');
}
