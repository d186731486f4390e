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

/** Metadata key of `@BusChannel(name, options)`'s options (resolved) on a class. */
export const BUS_CHANNEL_OPTIONS_METADATA = 'nestjs-agent-bus:channel-options';

/** The context type of bus handlers as Nest's enhancers see it: `host.getType()` returns it. */
export const BUS_CONTEXT_TYPE = 'bus';

/** Metadata key of `@BusMessage()` / `@BusCtx()` on a handler's parameters. */
export const BUS_PARAM_ARGS_METADATA = 'nestjs-agent-bus:param-args';

/**
 * What a bus handler parameter receives. The numbers are those of microservice handlers' `@Payload()` and
 * `@Ctx()`: pipes see the message as the `'body'`, so `ValidationPipe` validates it as it does a payload.
 */
export enum BusParamType {
  MESSAGE = 3,
  CONTEXT = 6,
  /** The call itself, appended out of sight, so the bus knows the method was reached. */
  CALL = 7,
}

/**
 * Injects the message being handled into a request-scoped provider (a bus handler's, or anything it
 * depends on): `constructor(@Inject(BUS_MESSAGE) private readonly message: InboundMessage)`.
 */
export const BUS_MESSAGE = 'nestjs-agent-bus:message';

/**
 * The `node:diagnostics_channel` channel on which the bus publishes every {@link BusEvent} (the same
 * objects as `bus.events$`), for APM agents and tools that do not take rxjs streams.
 */
export const BUS_EVENTS_CHANNEL = 'nestjs-agent-bus:events';
