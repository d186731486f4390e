import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { BeforeApplicationShutdown, OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { BUS_MODULE_OPTIONS, LANE_NAMES } from '../bus.constants.js';
import type { BusHandler } from '../dispatch/bus-handler.interface.js';
import type { DispatchOptions } from '../dispatch/dispatch-options.interface.js';
import { resolveDispatchOptions } from '../dispatch/dispatch-options.js';
import { LaneDispatcher } from '../dispatch/lane.dispatcher.js';
import { Responder } from '../streaming/responder.js';
import type { Reply, ReplyTarget, RespondOptions, RespondResult } from '../streaming/responder.js';
import { StreamDelegateResolver } from '../streaming/stream-delegate.resolver.js';
import type { StreamContext } from '../streaming/stream-context.interface.js';
import type { Streamer } from '../streaming/streamer.interface.js';
import type { BusModuleOptions } from './bus-module-options.interface.js';
import type { UndeliveredDetails, UndeliveredReason } from '../bus/undelivered.interface.js';
import { resolveBusOptions } from './bus-options.js';
import type { ResolvedBusOptions } from './bus-options.js';
import type { CloseReport } from '../bus/close-report.interface.js';
import { describeError, readStringField } from '../bus/describe.js';
import { BusNotStartedError } from '../bus/bus-not-started.error.js';
import { Lane } from '../bus/lane.js';
import type { LaneCallOptions } from '../bus/lane.js';
import { isTimeout } from '../bus/long-timeout.js';
import { MESSAGE_VALIDATORS } from '../bus/message.validators.js';
import type { InboundMessage, LaneMessages, LaneName, OutboundMediaMessage, OutboundMessage } from '../bus/messages.interface.js';
import { StagedDrain } from './staged-drain.js';
import { BusTelemetry } from '../observability/bus-telemetry.js';
import type { BusEvent } from '../observability/bus-event.interface.js';
import type { BusStats } from '../observability/bus-stats.interface.js';
import { collectStats } from '../observability/collect-stats.js';
import { ChannelHub } from '../channels/channel-hub.js';
import { TransportLink } from './transport-link.js';
import type { FoundChannel } from '../channels/channel-hub.js';
import type { Observable } from 'rxjs';

/** Options of `close()`. */
export interface CloseOptions {
  /**
   * Overrides the module's `drainTimeoutMs` for this close: milliseconds >= 0, or `Infinity` to wait
   * as long as the drain takes.
   */
  timeoutMs?: number;
}

/** A handler as the explorer finds it: its dispatch options are resolved against the module's defaults. */
export interface DiscoveredHandler extends Omit<BusHandler<never>, 'options' | 'invoke'> {
  readonly dispatch: DispatchOptions;
  readonly invoke: (message: never, context: never) => unknown;
}

/** The handlers of each lane, as found by the explorer. */
export type LaneHandlers = Record<LaneName, DiscoveredHandler[]>;

type AnyMessage = LaneMessages[LaneName];

/** How often `idle()` looks again at a lane without handlers, which only its manual consumer empties. */
const MANUAL_LANE_POLL_MS = 5;

/**
 * The message bus: three bounded lanes (inbound to the agent, outbound replies, outbound media),
 * the stream delegate, and the staged graceful drain on shutdown.
 */
@Injectable()
export class MessageBusService implements BeforeApplicationShutdown, OnApplicationShutdown {
  readonly inbound: Lane<InboundMessage>;
  readonly outbound: Lane<OutboundMessage>;
  readonly outboundMedia: Lane<OutboundMediaMessage>;

  private readonly logger = new Logger('MessageBus');
  private readonly options: ResolvedBusOptions;
  private readonly dispatchers = new Map<LaneName, LaneDispatcher<AnyMessage>>();
  private readonly streamDelegates: StreamDelegateResolver;
  private readonly responder: Responder;
  private readonly telemetry: BusTelemetry;
  private channelHub: ChannelHub | undefined = undefined;
  private readonly transport: TransportLink | undefined;
  private readonly undeliveredCounts: Record<LaneName, number> = { inbound: 0, outbound: 0, outboundMedia: 0 };
  private closing: Promise<CloseReport> | undefined;
  /** Whether the app initialised, so that the handlers were found and started. */
  private started = false;

  constructor(
    @Optional() @Inject(BUS_MODULE_OPTIONS) options?: BusModuleOptions,
    @Optional() moduleRef?: ModuleRef,
  ) {
    this.options = resolveBusOptions(options);
    const { capacity } = this.options;
    this.inbound = new Lane('inbound', capacity.inbound, MESSAGE_VALIDATORS.inbound);
    this.outbound = new Lane('outbound', capacity.outbound, MESSAGE_VALIDATORS.outbound);
    this.outboundMedia = new Lane('outboundMedia', capacity.outboundMedia, MESSAGE_VALIDATORS.outboundMedia);
    this.telemetry = new BusTelemetry(this.logger);
    this.transport = this.options.transport === undefined ? undefined : new TransportLink(this.options.transport, this.logger);
    for (const name of LANE_NAMES) this.lane(name).observe(this.telemetry);
    this.streamDelegates = new StreamDelegateResolver(this.options.streamDelegate, moduleRef, this.logger);
    this.responder = new Responder({
      getStreamer: (channel, chatId, callOptions) => this.getStreamer(channel, chatId, callOptions),
      publishOutbound: (message, callOptions) => this.publishOutbound(message, callOptions),
      logger: this.logger,
    });
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  /**
   * What the bus does, as it happens: publishes, deliveries, failures, retries, timeouts, undelivered
   * messages and the close (see {@link BusEvent}). Hot: a subscriber sees the events from when it
   * subscribed; the stream completes once the bus has closed. While nobody subscribes, the bus builds no
   * events at all. The same events go to the `node:diagnostics_channel` channel `BUS_EVENTS_CHANNEL`.
   */
  get events$(): Observable<BusEvent> {
    return this.telemetry.events$;
  }

  /**
   * The lanes' fill and counts, each handler's load and call-duration quantiles, and whether the bus is
   * closing. Cheap enough to poll; call durations are timed from the first call on.
   */
  stats(): BusStats {
    this.telemetry.timeCalls();
    return collectStats({
      lane: (name) => this.lane(name),
      dispatcher: (name) => this.dispatchers.get(name),
      undelivered: this.undeliveredCounts,
      quantiles: (lane, handler) => this.telemetry.quantiles(lane, handler),
      closing: this.closed,
    });
  }

  /** Publishes a message from a chat channel to the agent; waits while the inbound lane is full. */
  publishInbound(message: InboundMessage, options?: LaneCallOptions): Promise<void> {
    if (this.transport !== undefined) return this.transport.publish(this.inbound, message, options);
    return this.inbound.publish(message, options);
  }

  /** Publishes a reply to a chat; waits while the outbound lane is full. */
  publishOutbound(message: OutboundMessage, options?: LaneCallOptions): Promise<void> {
    this.channelHub?.answerPublished(message);
    if (this.transport !== undefined) return this.transport.publish(this.outbound, message, options);
    return this.outbound.publish(message, options);
  }

  /** Publishes media to a chat; waits while the outbound media lane is full. */
  publishOutboundMedia(message: OutboundMediaMessage, options?: LaneCallOptions): Promise<void> {
    this.channelHub?.answerPublished(message);
    if (this.transport !== undefined) return this.transport.publish(this.outboundMedia, message, options);
    return this.outboundMedia.publish(message, options);
  }

  /** A streamer for the chat from the stream delegate, or `undefined` when the chat cannot stream. */
  async getStreamer(channel: string, chatId: string, context?: StreamContext): Promise<Streamer | undefined> {
    const delegate = await this.streamDelegates.resolve();
    const streamer = await delegate?.getStreamer(channel, chatId, context);
    return streamer === undefined || this.channelHub === undefined ? streamer : this.channelHub.wrapStreamer(channel, chatId, streamer);
  }

  /**
   * Answers a chat. A string is published as one outbound message. A stream of text deltas (e.g. an
   * LLM's), or a function `(signal) => stream` that starts it with the answer's signal, is streamed into
   * the chat when its channel can stream, else accumulated and published as one outbound message. If the
   * streamed answer's final delivery fails, what was not delivered is published as an outbound message
   * instead, so every part arrives exactly once. An empty answer publishes nothing.
   */
  respond(to: ReplyTarget, reply: Reply, options?: RespondOptions): Promise<RespondResult> {
    return this.responder.respond(to, reply, options);
  }

  /**
   * Resolves once every lane is empty and no handler call is running or waiting for a retry: the bus has
   * nothing left to do. A lane without handlers counts as idle once its manual consumer emptied it.
   */
  async idle(): Promise<void> {
    if (!this.started && LANE_NAMES.some((name) => this.lane(name).size > 0)) throw new BusNotStartedError();
    for (;;) {
      await Promise.all(LANE_NAMES.map((name) => this.laneIdle(name)));
      await this.channelHub?.settled();
      // An inbound handler may have published a reply after the outbound lane looked idle: look again.
      if (LANE_NAMES.every((name) => this.isLaneIdle(name))) return;
    }
  }

  /**
   * Registers the `@BusChannel` providers. When the app has no stream delegate of its own, streamers
   * come from their `beginStream`. Called once at bootstrap by the explorer.
   */
  registerChannels(channels: ReadonlyMap<string, FoundChannel>): void {
    this.streamDelegates.setChannels(new Map([...channels].map(([name, found]) => [name, found.instance])));
    this.channelHub = channels.size === 0 ? undefined : new ChannelHub(channels, this.logger);
  }

  /**
   * Starts consuming the lanes that have handlers. Called once at bootstrap by the explorer;
   * lanes without handlers are left to manual consumers.
   */
  startDispatch(handlers: LaneHandlers): Promise<void> {
    handlers = this.withChannelHandlers(handlers);
    if (!this.started) this.startTelemetry(LANE_NAMES.filter((name) => handlers[name].length > 0));
    this.started = true;
    this.channelHub?.start();
    for (const name of LANE_NAMES) {
      if (handlers[name].length === 0 || this.dispatchers.has(name)) continue;
      const lane = this.lane(name);
      const dispatcher = new LaneDispatcher<AnyMessage>(
        lane,
        handlers[name].map((found) => this.toHandler(name, found)),
        (message, reason, details) => this.reportUndelivered(name, message, reason, details),
        this.logger,
        this.options.capacity[name],
        this.telemetry,
      );
      if (dispatcher.admissionKind !== undefined) lane.limitPerKey(dispatcher.admissionKind, this.options.maxPendingPerKey[name]);
      this.dispatchers.set(name, dispatcher);
      dispatcher.start();
    }
    return this.transport?.start(this.dispatchers, (name) => this.lane(name), this.options.capacity) ?? Promise.resolve();
  }

  /**
   * Closes the bus with a staged drain: inbound first (its handlers may still publish replies), then
   * the outbound lanes. Whatever is left after the timeout goes to `onUndelivered`. Idempotent: every
   * call returns the same promise.
   */
  close(options?: CloseOptions): Promise<CloseReport> {
    const timeoutMs = options?.timeoutMs ?? this.options.drainTimeoutMs;
    if (!isTimeout(timeoutMs)) {
      return Promise.reject(new RangeError(`close: timeoutMs must be a number >= 0 or Infinity (got ${String(timeoutMs)})`));
    }
    this.closing ??= this.drain(timeoutMs);
    return this.closing;
  }

  private async drain(timeoutMs: number): Promise<CloseReport> {
    this.telemetry.closeStarted(timeoutMs);
    await this.transport?.stopReceiving();
    const report = await new StagedDrain(
      (name) => this.lane(name),
      (name) => this.dispatchers.get(name),
      (name, message, reason) => this.reportUndelivered(name, message, reason, {}),
      this.logger,
      this.started,
    ).run(timeoutMs);
    await this.channelHub?.close();
    await this.transport?.close();
    this.telemetry.closeCompleted(report);
    return report;
  }

  /** Drains before any provider's `onApplicationShutdown` disconnects a channel. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  private startTelemetry(dispatchedLanes: LaneName[]): void {
    const { telemetry, propagateContext } = this.options;
    const bus = { lanes: () => LANE_NAMES.map((name) => ({ lane: name, size: this.lane(name).size, capacity: this.lane(name).capacity })) };
    this.telemetry.start({ instrumentation: telemetry, propagateContext }, bus, dispatchedLanes);
  }

  private toHandler(lane: LaneName, found: DiscoveredHandler): BusHandler<AnyMessage> {
    const { name, channels, dispatch } = found;
    const options = resolveDispatchOptions(lane, dispatch, this.options.handlerDefaults);
    const hub = this.channelHub;
    // Only when a channel acknowledges users' messages does an inbound call pass through the hub.
    const acknowledged = lane === 'inbound' && hub?.acknowledging === true ? hub.wrapInbound(found.invoke) : found.invoke;
    const invoke = this.transport === undefined ? acknowledged : this.transport.guard(lane, name, acknowledged);
    return { name, channels, options, invoke: invoke as BusHandler<AnyMessage>['invoke'] };
  }

  /** Adds each channel's delivery (its `send` / `sendMedia`) to the handlers of its outbound lane. */
  private withChannelHandlers(handlers: LaneHandlers): LaneHandlers {
    if (this.channelHub === undefined) return handlers;
    const { outbound, outboundMedia } = this.channelHub.outboundHandlers();
    return { inbound: handlers.inbound, outbound: [...handlers.outbound, ...outbound], outboundMedia: [...handlers.outboundMedia, ...outboundMedia] };
  }

  private lane(name: LaneName): Lane<AnyMessage> {
    return this[name] as Lane<AnyMessage>;
  }

  private laneIdle(name: LaneName): Promise<void> {
    const dispatcher = this.dispatchers.get(name);
    if (dispatcher !== undefined) return dispatcher.whenIdle();
    return new Promise<void>((resolve) => {
      const check = (): void => void (this.lane(name).size === 0 ? resolve() : setTimeout(check, MANUAL_LANE_POLL_MS));
      check();
    });
  }

  private isLaneIdle(name: LaneName): boolean {
    return this.dispatchers.get(name)?.isIdle() ?? this.lane(name).size === 0;
  }

  private reportUndelivered(lane: LaneName, message: AnyMessage, reason: UndeliveredReason, details: UndeliveredDetails): void {
    const channel = readStringField(message, 'channel') ?? '(unreadable)';
    const chatId = readStringField(message, 'chatId') ?? '(unreadable)';
    const by = details.handler === undefined ? '' : ` (${details.handler})`;
    this.logger.warn(`Undelivered ${lane} message for channel "${channel}", chat "${chatId}": ${reason}${by}`);
    this.undeliveredCounts[lane]++;
    this.telemetry.undelivered(lane, message, reason, details);
    try {
      this.options.onUndelivered?.(lane, message, reason, details);
    } catch (error) {
      this.logger.error('onUndelivered threw', describeError(error));
    }
  }
}
