import { BUS_CHANNEL_METADATA } from '../bus.constants.js';

/**
 * Marks a provider as the chat channel `name` (the `channel` field of its messages). When the app
 * provides no stream delegate of its own, the bus streams to a channel through its `beginStream`
 * method (see `StreamingCapable`).
 */
export function BusChannel(name: string): ClassDecorator {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('@BusChannel: name must be a non-empty string');
  return (target) => Reflect.defineMetadata(BUS_CHANNEL_METADATA, name, target);
}

export function getBusChannelName(target: unknown): string | undefined {
  if (typeof target !== 'function') return undefined;
  return Reflect.getMetadata(BUS_CHANNEL_METADATA, target) as string | undefined;
}
