import type { Logger } from '@nestjs/common';
import type { BusObserver } from '../bus/bus-observer.interface.js';
import type { UndeliveredDetails, UndeliveredReason } from '../bus/undelivered.interface.js';
import { describeError, isInstanceOf, readStringField } from '../bus/describe.js';
import { DeliveryFailedError } from './delivery-failed.error.js';
import type { KeySlot } from '../bus/key-slot.js';
import type { KeyKind } from '../bus/key-index.js';
import type { Lane, LaneConsumer } from '../bus/lane.js';
import type { BusHandler } from './bus-handler.interface.js';
import type { Delivery } from './delivery.js';
import type { ResolvedDispatchOptions } from './dispatch-options.js';
import { KeyedScheduler } from './keyed-scheduler.js';
import { SerialLoop } from './serial-loop.js';
import type { SerialLoopHost } from './serial-loop.js';
import type { DispatchCounts, HandlerLoad } from './dispatch-counts.interface.js';

export type { DispatchCounts, HandlerLoad } from './dispatch-counts.interface.js';

interface Addressed {
  channel: string;
}

/** Cached scheduler lists are keyed by channel; past this many channels the cache starts over. */
const MAX_CACHED_CHANNELS = 1024;

/**
 * Consumes a lane and hands each message to the scheduler of every handler that takes its channel.
 *
 * The lane hands it messages as they are published while it has room ({@link LaneConsumer}), so a
 * message reaches a free handler in the publisher's turn, without a wake-up per message. It holds at
 * most `readAhead` messages not yet finished (so that busy keys do not hold up idle ones, within a
 * bound), and gives each message's key back to the lane once every handler is done with it. A handler
 * that publishes to its own lane while being called gets its message queued in the lane and taken
 * right after, in order.
 */
export class LaneDispatcher<T extends Addressed> implements SerialLoopHost<T>, LaneConsumer<T> {
  private readonly schedulers: KeyedScheduler<T>[];
  private readonly byChannel = new Map<string, readonly KeyedScheduler<T>[]>();
  private readonly everyChannel: boolean;
  /** The ordering the lane admits by: the first handler's that has one. */
  readonly admissionKind: KeyKind<T> | undefined;
  private held = 0;
  /**
   * One handler that takes one message at a time in lane order (`concurrency: 1`, `orderBy: 'none'`, no
   * timeout, retry or debounce): the lane is consumed by a loop that awaits each call, as a plain
   * consumer would, without the scheduler's bookkeeping.
   */
  private readonly serial: SerialLoop<T> | undefined;
  private dispatching = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  readonly counts: DispatchCounts = { delivered: 0, undelivered: 0, abandonedInFlight: 0 };
  /**
   * Told when the dispatcher is done with a message: handled, or reported undelivered (`acknowledge` true),
   * or abandoned at shutdown (`false`). Set by a transport, which acknowledges the message where it came from.
   */
  onFinished: ((message: T, acknowledge: boolean) => void) | undefined = undefined;

  constructor(
    private readonly lane: Lane<T>,
    handlers: readonly BusHandler<T>[],
    private readonly reportUndelivered: (message: T, reason: UndeliveredReason, details: UndeliveredDetails) => void,
    private readonly logger: Logger,
    private readonly readAhead: number,
    private readonly observer: BusObserver,
  ) {
    this.admissionKind = handlers.find((handler) => handler.options.keyKind !== undefined)?.options.keyKind;
    this.schedulers = handlers.map((handler, index) => {
      // A handler ordered like the lane admits keeps its key states on the lane's key slots: no lookup of its own.
      const ordered = handler.options.keyKind !== undefined && handler.options.keyKind === this.admissionKind;
      const onSlots = ordered ? { index, of: handlers.length, lane } : undefined;
      return new KeyedScheduler(lane.name, handler, handler.options, this, observer, onSlots);
    });
    this.everyChannel = handlers.every((handler) => handler.channels === undefined);
    const only = this.schedulers.length === 1 ? this.schedulers[0] : undefined;
    this.serial = only !== undefined && isSerial(only.options) ? new SerialLoop(lane, only.handler, this, observer) : undefined;
  }

  /** Messages accepted from the lane and not yet finished. */
  get pending(): number {
    return this.held;
  }

  /** Whether the lane may hand it a message now. */
  get ready(): boolean {
    return !this.dispatching && !this.stopped && this.held < this.readAhead;
  }

  /** Starts consuming: takes what the lane already holds, then whatever is published. */
  start(): void {
    if (this.serial !== undefined) {
      void this.serial.run();
      return;
    }
    this.lane.attach(this);
    this.pull();
  }

  /** Each handler's load. The serial loop's waiting messages are in the lane, not queued by it. */
  load(): HandlerLoad[] {
    return this.schedulers.map((scheduler) => {
      const { name } = scheduler.handler;
      const { concurrency } = scheduler.options;
      const serial = this.serial;
      if (serial === undefined) return { handler: name, concurrency, ...scheduler.load() };
      return { handler: name, concurrency, inFlight: serial.inFlight, queuedKeys: 0, queuedMessages: 0, failures: serial.failures };
    });
  }

  /** Resolves once the lane is empty and no message is being handled or waits for a retry. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  isIdle(): boolean {
    return this.held === 0 && this.lane.size === 0 && (this.serial === undefined || this.serial.taken === this.lane.receivedCount);
  }

  /** Ends every debounce window now: the bus is closing. */
  flushDebounce(): void {
    for (const scheduler of this.schedulers) scheduler.flushDebounce();
  }

  /**
   * The drain ran out of time: running calls' signals abort with `reason`, and every message not finished
   * is reported `'shutdown-timeout'` once. What is still in the lane is left to the caller.
   */
  abandon(reason: unknown): void {
    this.stopped = true;
    const inFlight = new Set<Delivery<T>>();
    const all = new Set<Delivery<T>>();
    for (const scheduler of this.schedulers) {
      const { running, waiting } = scheduler.abandon(reason);
      for (const delivery of running) inFlight.add(delivery);
      for (const delivery of [...running, ...waiting]) all.add(delivery);
    }
    for (const delivery of this.serial?.abandon(reason) ?? []) {
      inFlight.add(delivery);
      all.add(delivery);
    }
    for (const delivery of all) {
      if (delivery.finished) continue;
      delivery.failed = true;
      delivery.abandoned = true;
      if (inFlight.has(delivery)) this.counts.abandonedInFlight++;
      this.reportUndelivered(delivery.message, 'shutdown-timeout', {});
      this.finish(delivery);
    }
  }

  accept(message: T, slot: KeySlot<T> | undefined): void {
    this.dispatchOnce(message, slot);
    this.pull();
  }

  settle(delivery: Delivery<T>, reason?: UndeliveredReason, error?: unknown, handler?: string): void {
    if (delivery.finished) return;
    if (reason !== undefined) {
      delivery.failed = true;
      // A handler that delivered part of its message reports only the rest.
      const undelivered = isInstanceOf(error, DeliveryFailedError) ? (error.undelivered as T) : delivery.message;
      this.reportUndelivered(undelivered, reason, { handler, error });
    }
    if (--delivery.remaining === 0) this.finish(delivery);
  }

  /** Never throws, whatever was thrown and whatever the message has turned into. */
  logFailure(handler: string, message: T, error: unknown, willRetry: boolean): void {
    const channel = readStringField(message, 'channel') ?? '(unreadable)';
    const retrying = willRetry ? '; retrying' : '';
    this.logger.error(`${handler} failed on an ${this.lane.name} message from channel "${channel}"${retrying}`, describeError(error));
  }

  /** The serial loop took a message: its delivery, or `undefined` when it cannot be delivered (reported). */
  open(message: T): Delivery<T> | undefined {
    const schedulers = this.stopped ? undefined : this.schedulersFor(message);
    if (schedulers === undefined || schedulers.length === 0) {
      const reason = this.stopped ? 'shutdown-timeout' : schedulers === undefined ? 'unreadable' : 'no-handler';
      this.undeliverUnaccepted(message, undefined, reason);
      this.notifyIfIdle();
      return undefined;
    }
    return this.opened(message, undefined, 1);
  }

  /** Takes buffered messages while there is room; a reentrant call leaves it to the outer one. */
  private pull(): void {
    if (this.dispatching) return;
    while (this.serial === undefined && this.lane.size > 0 && this.ready) {
      const message = this.lane.tryReceive();
      if (message === undefined) break;
      this.dispatchOnce(message, undefined);
    }
    this.notifyIfIdle();
  }

  /** Dispatches with the lane told it is busy: a handler publishing to this lane meanwhile gets queued. */
  private dispatchOnce(message: T, slot: KeySlot<T> | undefined): void {
    this.dispatching = true;
    try {
      this.dispatch(message, slot);
    } finally {
      this.dispatching = false;
    }
  }

  /** Resolves the `whenIdle()` waiters once nothing is left to do. */
  private notifyIfIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** `slot` is the message's key slot when the lane handed it over; a buffered message's is looked up. */
  private dispatch(message: T, slot: KeySlot<T> | undefined): void {
    if (slot === undefined && this.admissionKind !== undefined) {
      try {
        slot = this.lane.slotOf(message);
      } catch {
        // Unreadable now: its slot cannot be found (and stays taken).
        return this.undeliverUnaccepted(message, undefined, 'unreadable');
      }
    }
    const schedulers = this.schedulersFor(message);
    if (schedulers === undefined) return this.undeliverUnaccepted(message, slot, 'unreadable');
    if (schedulers.length === 0) return this.undeliverUnaccepted(message, slot, 'no-handler');
    const delivery = this.opened(message, slot, schedulers.length);
    for (const scheduler of schedulers) scheduler.push(delivery);
  }

  /** A message accepted for `handlers` handlers: held until every one of them is done with it. */
  private opened(message: T, slot: KeySlot<T> | undefined, handlers: number): Delivery<T> {
    const publication = this.observer.holding ? this.observer.claim(message) : undefined;
    this.held++;
    return { message, slot, remaining: handlers, failed: false, finished: false, abandoned: false, publication };
  }

  private undeliverUnaccepted(message: T, slot: KeySlot<T> | undefined, reason: UndeliveredReason): void {
    this.counts.undelivered++;
    this.reportUndelivered(message, reason, {});
    if (slot !== undefined) this.lane.release(slot);
    this.onFinished?.(message, reason !== 'shutdown-timeout');
  }

  private finish(delivery: Delivery<T>): void {
    delivery.finished = true;
    this.held--;
    if (delivery.failed) this.counts.undelivered++;
    else this.counts.delivered++;
    if (delivery.slot !== undefined) this.lane.release(delivery.slot);
    this.onFinished?.(delivery.message, !delivery.abandoned);
    this.pull();
  }

  /** The schedulers of the message's channel; `undefined` when the message cannot be read. */
  private schedulersFor(message: T): readonly KeyedScheduler<T>[] | undefined {
    if (this.everyChannel) return this.schedulers;
    const channel = readStringField(message, 'channel');
    if (channel === undefined) return undefined;
    let schedulers = this.byChannel.get(channel);
    if (schedulers === undefined) {
      if (this.byChannel.size >= MAX_CACHED_CHANNELS) this.byChannel.clear();
      schedulers = this.schedulers.filter(({ handler }) => handler.channels === undefined || handler.channels.has(channel));
      this.byChannel.set(channel, schedulers);
    }
    return schedulers;
  }
}

/** Options under which one call at a time, in lane order, is all a handler needs. */
function isSerial(options: ResolvedDispatchOptions): boolean {
  const { concurrency, keyKind, timeoutMs, retry, debounceMs } = options;
  return concurrency === 1 && keyKind === undefined && timeoutMs === undefined && retry === undefined && debounceMs === 0;
}
