import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { BeforeApplicationShutdown, OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { BUS_MODULE_OPTIONS, LANE_NAMES, STREAM_DELEGATE } from '../bus.constants.js';
import { ChannelStreamDelegate } from '../streaming/channel.stream-delegate.js';
import { pipeTextStream } from '../streaming/pipe-text-stream.js';
import { StreamFinalizeError } from '../streaming/stream-finalize.error.js';
import type { StreamDelegate } from '../streaming/stream-delegate.interface.js';
import type { StreamCallOptions, Streamer } from '../streaming/streamer.interface.js';
import type { BusHandler } from './bus-handler.interface.js';
import type { BusModuleOptions, UndeliveredReason } from './bus-module-options.interface.js';
import { resolveBusOptions } from './bus-options.js';
import type { ResolvedBusOptions } from './bus-options.js';
import type { CloseReport } from './close-report.interface.js';
import { LaneDispatcher } from './lane.dispatcher.js';
import { Lane } from './lane.js';
import type { LaneCallOptions } from './lane.js';
import { invalidSignalError, isAbortSignal, untilAborted } from './abort-signal.js';
import { describeError, readStringField } from './describe.js';
import { isTimeout, setLongTimeout } from './long-timeout.js';
import { MESSAGE_VALIDATORS, checkAddress } from './message.validators.js';
import type { InboundMessage, LaneMessages, LaneName, OutboundMediaMessage, OutboundMessage } from './messages.interface.js';

/** Options of `close()`. */
export interface CloseOptions {
  /**
   * Overrides the module's `drainTimeoutMs` for this close: milliseconds >= 0, or `Infinity` to wait
   * as long as the drain takes.
   */
  timeoutMs?: number;
}

/** Where `respond()` sends the answer: an inbound message, or a channel and chat. */
export interface ReplyTarget {
  channel: string;
  chatId: string;
}

/** Options of `respond()`. */
export interface RespondOptions {
  /** Aborts the answer: the streamer is cancelled, nothing is published, and `respond` rejects with the reason. */
  signal?: AbortSignal;
  /**
   * Stream the answer into the chat as it grows, when the channel can. `false` accumulates it and
   * publishes one outbound message at the end.
   * @default true
   */
  stream?: boolean;
  /** Sets `replyToMessageId` on the outbound message. */
  replyToMessageId?: string;
}

/** What `respond()` delivered. */
export interface RespondResult {
  /** The whole answer. */
  text: string;
  /** Whether a streamer delivered it (otherwise it went out as an outbound message, or was empty). */
  streamed: boolean;
}

/** Finalizing does nothing: used to accumulate a text stream that is not shown as it grows. */
const COLLECTOR: Streamer = { update: async () => {}, finalize: async () => {}, cancel: async () => {} };

/** The handlers of each lane, as found by the explorer. */
export type LaneHandlers = { [L in LaneName]: BusHandler<LaneMessages[L]>[] };

type AnyDispatcher = LaneDispatcher<LaneMessages[LaneName]>;

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
  private readonly dispatchers = new Map<LaneName, AnyDispatcher>();
  private streamDelegate: Promise<StreamDelegate | undefined> | undefined;
  private channels: ReadonlyMap<string, object> = new Map();
  private closing: Promise<CloseReport> | undefined;
  /** Messages cleared from the lanes when the drain timed out. */
  private leftovers = 0;

  constructor(
    @Optional() @Inject(BUS_MODULE_OPTIONS) options?: BusModuleOptions,
    @Optional() private readonly moduleRef?: ModuleRef,
  ) {
    this.options = resolveBusOptions(options);
    const { capacity } = this.options;
    this.inbound = new Lane('inbound', capacity.inbound, MESSAGE_VALIDATORS.inbound);
    this.outbound = new Lane('outbound', capacity.outbound, MESSAGE_VALIDATORS.outbound);
    this.outboundMedia = new Lane('outboundMedia', capacity.outboundMedia, MESSAGE_VALIDATORS.outboundMedia);
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Publishes a message from a chat channel to the agent; waits while the inbound lane is full. */
  publishInbound(message: InboundMessage, options?: LaneCallOptions): Promise<void> {
    return this.inbound.publish(message, options);
  }

  /** Publishes a reply to a chat; waits while the outbound lane is full. */
  publishOutbound(message: OutboundMessage, options?: LaneCallOptions): Promise<void> {
    return this.outbound.publish(message, options);
  }

  /** Publishes media to a chat; waits while the outbound media lane is full. */
  publishOutboundMedia(message: OutboundMediaMessage, options?: LaneCallOptions): Promise<void> {
    return this.outboundMedia.publish(message, options);
  }

  /** A streamer for the chat from the stream delegate, or `undefined` when the chat cannot stream. */
  async getStreamer(channel: string, chatId: string, options?: StreamCallOptions): Promise<Streamer | undefined> {
    const delegate = await this.resolveStreamDelegate();
    return delegate?.getStreamer(channel, chatId, options);
  }

  /**
   * Answers a chat. A string is published as one outbound message. A stream of text deltas (e.g. an
   * LLM's) is streamed into the chat when its channel can stream, else accumulated and published as
   * one outbound message. If the streamed answer's final delivery fails, the whole text is published
   * as an outbound message instead, so the answer arrives exactly once. An empty answer publishes nothing.
   */
  async respond(to: ReplyTarget, reply: string | AsyncIterable<string>, options: RespondOptions = {}): Promise<RespondResult> {
    const { signal, stream = true } = options;
    checkRespondCall(to, reply, signal);
    signal?.throwIfAborted();
    if (typeof reply === 'string') return this.publishAnswer(to, reply, options);
    const streamer = stream ? await this.streamerFor(to, signal) : undefined;
    if (streamer === undefined) return this.publishAnswer(to, await pipeTextStream(reply, COLLECTOR, { signal }), options);
    try {
      const text = await pipeTextStream(reply, streamer, { signal });
      return { text, streamed: text !== '' };
    } catch (error) {
      if (!(error instanceof StreamFinalizeError)) throw error;
      this.logger.warn(`Streaming to channel "${to.channel}" failed to finalize; sending the answer as a message: ${error.message}`);
      await untilAborted(streamer.cancel(), signal).catch(() => undefined); // clear the preview before the message arrives
      return this.publishAnswer(to, error.text, options);
    }
  }

  /**
   * Registers the `@BusChannel` providers. When the app has no stream delegate of its own, streamers
   * come from their `beginStream`. Called once at bootstrap by the explorer.
   */
  registerChannels(channels: ReadonlyMap<string, object>): void {
    this.channels = channels;
    this.streamDelegate = undefined; // a lookup made before bootstrap did not know the channels
  }

  /**
   * Starts consuming the lanes that have handlers. Called once at bootstrap by the explorer;
   * lanes without handlers are left to manual consumers.
   */
  startDispatch(handlers: LaneHandlers): void {
    for (const name of LANE_NAMES) {
      if (handlers[name].length === 0 || this.dispatchers.has(name)) continue;
      const lane = this.lane(name);
      const dispatcher = new LaneDispatcher<LaneMessages[LaneName]>(
        lane,
        handlers[name] as BusHandler<LaneMessages[LaneName]>[],
        (message, reason) => this.reportUndelivered(name, message, reason),
        this.logger,
      );
      this.dispatchers.set(name, dispatcher);
      void dispatcher.start();
    }
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

  /** Drains before any provider's `onApplicationShutdown` disconnects a channel. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** A delegate that fails costs the preview, not the answer: it then goes out as a normal message. */
  private async streamerFor(to: ReplyTarget, signal: AbortSignal | undefined): Promise<Streamer | undefined> {
    try {
      return await untilAborted(this.getStreamer(to.channel, to.chatId, signal ? { signal } : undefined), signal);
    } catch (error) {
      signal?.throwIfAborted();
      this.logger.warn(`No streamer for channel "${to.channel}", chat "${to.chatId}": ${describeError(error)}`);
      return undefined;
    }
  }

  private async publishAnswer(to: ReplyTarget, text: string, options: RespondOptions): Promise<RespondResult> {
    if (text !== '') {
      const message: OutboundMessage = { channel: to.channel, chatId: to.chatId, content: text };
      if (options.replyToMessageId !== undefined) message.replyToMessageId = options.replyToMessageId;
      await this.publishOutbound(message, { signal: options.signal });
    }
    return { text, streamed: false };
  }

  private lane(name: LaneName): Lane<LaneMessages[LaneName]> {
    return this[name] as Lane<LaneMessages[LaneName]>;
  }

  private async drain(timeoutMs: number): Promise<CloseReport> {
    const startedAt = performance.now();
    const before = this.countOutcomes();
    const drained = this.drainInStages().then(() => true);
    let cancelTimer = (): void => undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      cancelTimer = setLongTimeout(() => resolve(false), timeoutMs);
    });
    const completed = await Promise.race([drained, timedOut]);
    cancelTimer();
    if (!completed) this.abandonLeftovers();
    const after = this.countOutcomes();
    const report: CloseReport = {
      delivered: after.delivered - before.delivered,
      undelivered: after.undelivered - before.undelivered,
      rejectedPublishers: after.rejected - before.rejected,
      timedOut: !completed,
      durationMs: performance.now() - startedAt,
    };
    this.logReport(report);
    return report;
  }

  private async drainInStages(): Promise<void> {
    await this.drainLane('inbound');
    await Promise.all([this.drainLane('outbound'), this.drainLane('outboundMedia')]);
  }

  /** Closes a lane to publishers and waits until its handlers (or manual consumers) took everything. */
  private drainLane(name: LaneName): Promise<void> {
    const lane = this.lane(name);
    lane.close();
    return this.dispatchers.get(name)?.start() ?? lane.whenDrained();
  }

  private abandonLeftovers(): void {
    for (const name of LANE_NAMES) {
      const lane = this.lane(name);
      lane.close();
      this.dispatchers.get(name)?.stop();
      const leftovers = lane.clear();
      if (leftovers.length === 0) continue;
      this.leftovers += leftovers.length;
      this.logger.warn(`Drain timed out: ${leftovers.length} ${name} messages undelivered (reported to onUndelivered)`);
      for (const message of leftovers) this.notifyUndelivered(name, message, 'shutdown-timeout');
    }
  }

  private countOutcomes(): { delivered: number; undelivered: number; rejected: number } {
    let delivered = 0;
    let undelivered = this.leftovers;
    let rejected = 0;
    for (const name of LANE_NAMES) {
      const lane = this.lane(name);
      const dispatcher = this.dispatchers.get(name);
      delivered += dispatcher?.deliveredCount ?? lane.receivedCount;
      undelivered += dispatcher?.undeliveredCount ?? 0;
      rejected += lane.closedRejectionCount;
    }
    return { delivered, undelivered, rejected };
  }

  private reportUndelivered(lane: LaneName, message: LaneMessages[LaneName], reason: UndeliveredReason): void {
    const channel = readStringField(message, 'channel') ?? '(unreadable)';
    const chatId = readStringField(message, 'chatId') ?? '(unreadable)';
    this.logger.warn(`Undelivered ${lane} message for channel "${channel}", chat "${chatId}": ${reason}`);
    this.notifyUndelivered(lane, message, reason);
  }

  private notifyUndelivered(lane: LaneName, message: LaneMessages[LaneName], reason: UndeliveredReason): void {
    try {
      this.options.onUndelivered?.(lane, message, reason);
    } catch (error) {
      this.logger.error('onUndelivered threw', describeError(error));
    }
  }

  private logReport(report: CloseReport): void {
    const summary =
      `Closed in ${Math.round(report.durationMs)} ms: ${report.delivered} delivered, ${report.undelivered} undelivered, ` +
      `${report.rejectedPublishers} publishers rejected${report.timedOut ? ' (drain timed out)' : ''}`;
    if (report.timedOut || report.undelivered > 0) this.logger.warn(summary);
    else this.logger.log(summary);
  }

  private resolveStreamDelegate(): Promise<StreamDelegate | undefined> {
    this.streamDelegate ??= this.findStreamDelegate().catch((error: unknown) => {
      this.streamDelegate = undefined; // try again on the next call
      throw error;
    });
    return this.streamDelegate;
  }

  private async findStreamDelegate(): Promise<StreamDelegate | undefined> {
    const option = this.options.streamDelegate;
    if (typeof option === 'object') return option;
    if (option !== undefined) return this.fromProviders(option) ?? (await this.moduleRef?.create(option));
    return this.fromProviders(STREAM_DELEGATE) ?? (this.channels.size > 0 ? new ChannelStreamDelegate(this.channels, this.logger) : undefined);
  }

  private fromProviders(token: string | Function): StreamDelegate | undefined {
    try {
      return this.moduleRef?.get<StreamDelegate>(token, { strict: false });
    } catch {
      return undefined; // not registered anywhere in the app
    }
  }
}

/** Bad arguments of `respond()` are refused before anything is streamed or published. */
function checkRespondCall(to: ReplyTarget, reply: unknown, signal: unknown): void {
  checkAddress('outbound', to);
  const isStream = typeof reply === 'object' && reply !== null && typeof (reply as AsyncIterable<string>)[Symbol.asyncIterator] === 'function';
  if (typeof reply !== 'string' && !isStream) throw new TypeError('respond: reply must be a string or an AsyncIterable of text deltas');
  if (signal !== undefined && !isAbortSignal(signal)) throw invalidSignalError('respond', signal);
}
