import type { LaneName } from './bus/messages.interface.js';

/** Injection token of the options given to `BusModule.forRoot` / `forRootAsync`. */
export const BUS_MODULE_OPTIONS = 'nestjs-agent-bus:module-options';

/**
 * Injection token under which an app may provide its {@link StreamDelegate}, e.g.
 * `{ provide: STREAM_DELEGATE, useExisting: ChannelManager }`.
 */
export const STREAM_DELEGATE = 'nestjs-agent-bus:stream-delegate';

/** Metadata key of `@OnInbound` / `@OnOutbound` / `@OnOutboundMedia` on a method. */
export const BUS_HANDLER_METADATA = 'nestjs-agent-bus:handler';

/** Injection tokens of the lanes, used by `@InjectLane(name)`. */
export const LANE_TOKENS: Readonly<Record<LaneName, string>> = Object.freeze({
  inbound: 'nestjs-agent-bus:lane:inbound',
  outbound: 'nestjs-agent-bus:lane:outbound',
  outboundMedia: 'nestjs-agent-bus:lane:outbound-media',
});

export const LANE_NAMES: readonly LaneName[] = Object.freeze(['inbound', 'outbound', 'outboundMedia'] as const);

/** @default capacity of every lane, as in the Go original. */
export const DEFAULT_LANE_CAPACITY = 64;

/** @default time `close()` waits for the drain before reporting leftovers. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;

/** Metadata key of `@BusChannel(name)` on a class. */
export const BUS_CHANNEL_METADATA = 'nestjs-agent-bus:channel';
