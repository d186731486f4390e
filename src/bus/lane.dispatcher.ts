import { Logger } from '@nestjs/common';
import type { BusHandler } from './bus-handler.interface.js';
import type { UndeliveredReason } from './bus-module-options.interface.js';
import { describeError, readStringField } from './describe.js';
import type { Lane } from './lane.js';

interface Addressed {
  channel: string;
}

/** Cached handler lists are keyed by channel; past this many channels the cache starts over. */
const MAX_CACHED_CHANNELS = 1024;

/**
 * Consumes a lane and hands each message to every handler that matches its channel, one message
 * at a time in lane order. A failing handler is logged and the lane goes on.
 */
export class LaneDispatcher<T extends Addressed> {
  private readonly byChannel = new Map<string, readonly BusHandler<T>[]>();
  private running: Promise<void> | undefined;
  private stopped = false;
  private deliveries = 0;
  private undelivered = 0;
  /** No handler filters by channel: every message goes to all of them, no lookup needed. */
  private readonly everyChannel: boolean;

  constructor(
    private readonly lane: Lane<T>,
    private readonly handlers: readonly BusHandler<T>[],
    private readonly reportUndelivered: (message: T, reason: UndeliveredReason) => void,
    private readonly logger: Logger,
  ) {
    this.everyChannel = handlers.every((handler) => handler.channels === undefined);
  }

  /** Messages handed to at least one handler. */
  get deliveredCount(): number {
    return this.deliveries;
  }

  /** Messages taken from the lane but handed to no handler, each reported to `onUndelivered`. */
  get undeliveredCount(): number {
    return this.undelivered;
  }

  /** Starts consuming. Resolves once the lane is closed and empty and the last handler finished. */
  start(): Promise<void> {
    this.running ??= this.consume();
    return this.running;
  }

  /** Takes no further message from the lane, e.g. after the drain timed out. */
  stop(): void {
    this.stopped = true;
  }

  private async consume(): Promise<void> {
    const lane = this.lane;
    while (!this.stopped) {
      // Take what is buffered synchronously; only wait when the lane is empty.
      const message = lane.tryReceive() ?? (await lane.receive());
      if (message === undefined) return;
      if (this.stopped) {
        // Taken while the drain gave up: it still has to be accounted for.
        this.undeliver(message, 'shutdown-timeout');
        return;
      }
      const handlers = this.handlersFor(message);
      if (handlers === undefined) continue;
      if (handlers.length !== 1) {
        const pending = this.dispatchToEach(message, handlers);
        if (pending !== undefined) await pending;
        continue;
      }
      // One handler, the common case: await its own promise rather than wrapping it in another,
      // which would cost a promise, a closure and a microtask per message.
      this.deliveries++;
      try {
        const result = handlers[0].invoke(message);
        if (isThenable(result)) await result;
      } catch (error) {
        this.logFailure(handlers[0], message, error);
      }
    }
  }

  /** Starts every handler at once; returns a promise when any is asynchronous. Never rejects. */
  private dispatchToEach(message: T, handlers: readonly BusHandler<T>[]): Promise<unknown> | undefined {
    if (handlers.length === 0) {
      this.undeliver(message, 'no-handler');
      return undefined;
    }
    this.deliveries++;
    let pending: Promise<unknown>[] | undefined;
    for (const handler of handlers) {
      const result = this.invoke(handler, message);
      if (result !== undefined) (pending ??= []).push(result);
    }
    return pending && Promise.all(pending);
  }

  /** Calls a handler; returns a promise only when the handler is asynchronous. Never rejects. */
  private invoke(handler: BusHandler<T>, message: T): Promise<unknown> | undefined {
    try {
      const result = handler.invoke(message);
      if (isThenable(result)) return Promise.resolve(result).catch((error: unknown) => this.logFailure(handler, message, error));
    } catch (error) {
      this.logFailure(handler, message, error);
    }
    return undefined;
  }

  /** The handlers of the message's channel; `undefined` (reported) when the message cannot be read. */
  private handlersFor(message: T): readonly BusHandler<T>[] | undefined {
    if (this.everyChannel) return this.handlers;
    const channel = readStringField(message, 'channel');
    if (channel === undefined) {
      this.undeliver(message, 'unreadable');
      return undefined;
    }
    let handlers = this.byChannel.get(channel);
    if (handlers === undefined) {
      if (this.byChannel.size >= MAX_CACHED_CHANNELS) this.byChannel.clear();
      handlers = this.handlers.filter((handler) => handler.channels === undefined || handler.channels.has(channel));
      this.byChannel.set(channel, handlers);
    }
    return handlers;
  }

  private undeliver(message: T, reason: UndeliveredReason): void {
    this.undelivered++;
    this.reportUndelivered(message, reason);
  }

  /** Never throws, whatever was thrown and whatever the message has turned into. */
  private logFailure(handler: BusHandler<T>, message: T, error: unknown): void {
    const channel = readStringField(message, 'channel') ?? '(unreadable)';
    this.logger.error(`${handler.name} failed on an ${this.lane.name} message from channel "${channel}"`, describeError(error));
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}
