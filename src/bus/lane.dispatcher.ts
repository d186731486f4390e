import { Logger } from '@nestjs/common';
import type { BusHandler } from './bus-handler.interface.js';
import type { UndeliveredReason } from './bus-module-options.interface.js';
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
  private unmatched = 0;
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

  /** Messages no handler matched (reported as `'no-handler'`). */
  get unmatchedCount(): number {
    return this.unmatched;
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
      if (message === undefined || this.stopped) return;
      const handlers = this.handlersFor(message.channel);
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
      this.unmatched++;
      this.reportUndelivered(message, 'no-handler');
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

  private handlersFor(channel: string): readonly BusHandler<T>[] {
    if (this.everyChannel) return this.handlers;
    let handlers = this.byChannel.get(channel);
    if (handlers === undefined) {
      if (this.byChannel.size >= MAX_CACHED_CHANNELS) this.byChannel.clear();
      handlers = this.handlers.filter((handler) => handler.channels === undefined || handler.channels.has(channel));
      this.byChannel.set(channel, handlers);
    }
    return handlers;
  }

  private logFailure(handler: BusHandler<T>, message: T, error: unknown): void {
    const stack = error instanceof Error ? error.stack : String(error);
    this.logger.error(`${handler.name} failed on an ${this.lane.name} message from channel "${message.channel}"`, stack);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}
