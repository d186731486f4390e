import { BusClosedError } from './bus-closed.error.js';
import type { LaneName } from './messages.interface.js';
import type { BusObserver } from './bus-observer.interface.js';
import { AbortWatch } from './abort-watch.js';
import { invalidSignalError, isAbortSignal } from './abort-signal.js';
import type { KeySlot } from './key-slot.js';
import type { LaneCallOptions, LaneConsumer, MessageValidator, WaitingReceiver } from './lane-contract.interface.js';
import type { KeyKind } from './key-index.js';
import { laneIterator } from './lane-iterator.js';
import { LanePublishers } from './lane-publishers.js';
import { RingBuffer } from './ring-buffer.js';
import { WaiterQueue } from './waiter-queue.js';

export type { LaneCallOptions, LaneConsumer, MessageValidator } from './lane-contract.interface.js';

const ENQUEUED: Promise<void> = Promise.resolve();
const NOTHING: Promise<undefined> = Promise.resolve(undefined);

/**
 * A bounded FIFO lane with backpressure: when it is full, `publish` waits for space instead of
 * dropping anything. Closing rejects the waiting publishers and every later publish with
 * {@link BusClosedError}; receivers still get what is buffered, then `undefined`.
 *
 * Messages must not be `undefined` (it means "closed and empty" to receivers): publishing it is a
 * `TypeError`. A waiter whose signal aborts leaves its queue at once, so a stalled lane polled with
 * timeouts holds only the callers still waiting.
 */
export class Lane<T> implements AsyncIterable<T> {
  private readonly buffer: RingBuffer<T>;
  private readonly receivers = new WaiterQueue<WaitingReceiver<T>>();
  private readonly aborts = new AbortWatch();
  private readonly publishers: LanePublishers<T>;
  private consumer: LaneConsumer<T> | undefined = undefined;
  private observer: BusObserver | undefined = undefined;
  private drainWaiters: (() => void)[] = [];
  private isClosed = false;
  private taken = 0;
  private closeRejections = 0;
  private clearedCount = 0;

  constructor(
    readonly name: LaneName,
    readonly capacity: number,
    private readonly validate?: MessageValidator<T>,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Lane ${name}: capacity must be an integer >= 1, got ${String(capacity)}`);
    }
    this.buffer = new RingBuffer<T>(capacity);
    // Functions, not a getter: an object literal with an accessor is made in dictionary mode, and
    // `offer` is looked up on every publish.
    this.publishers = new LanePublishers<T>({ offer: (message, slot) => this.offer(message, slot), isClosed: () => this.isClosed }, this.aborts);
  }

  /** Messages buffered and not yet received. */
  get size(): number {
    return this.buffer.length;
  }

  /** Publishers waiting for space. Only live waiters: an aborted one leaves at once. */
  get waitingPublishers(): number {
    return this.publishers.waitingCount;
  }

  /** Receivers waiting for a message. Only live waiters: an aborted one leaves at once. */
  get waitingReceivers(): number {
    return this.receivers.length;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Messages received from this lane so far (by `receive`, `tryReceive` or iteration). */
  get receivedCount(): number {
    return this.taken;
  }

  /** Messages the lane accepted so far (received since, still buffered, or cleared). */
  get acceptedCount(): number {
    return this.taken + this.buffer.length + this.clearedCount;
  }

  /** Publishes rejected because the lane was closed (waiting when it closed, or arriving after). */
  get closedRejectionCount(): number {
    return this.closeRejections;
  }

  /**
   * Enqueues a message, waiting while the lane is full. Resolves once the message is enqueued
   * (or handed straight to a waiting receiver).
   */
  publish(message: T, options?: LaneCallOptions): Promise<void> {
    const observer = this.observer;
    if (observer !== undefined && observer.watchingPublishes) {
      return observer.observePublish(this.name, message, options?.signal, () => this.unobservedPublish(message, options));
    }
    return this.unobservedPublish(message, options);
  }

  /**
   * Why a publish of `message` would be refused right now: the validator's error, a `TypeError` for a signal
   * that is not an `AbortSignal`, or `BusClosedError` once the lane is closed (counted as a rejection);
   * `undefined` when it would be accepted or wait for room. A transport publishing on the lane's behalf asks it.
   */
  refusal(message: T, options?: LaneCallOptions): unknown {
    const invalid = this.validationError(message) ?? this.signalError(options, 'publish');
    if (invalid !== undefined) return invalid;
    return this.isClosed ? this.closedError() : undefined;
  }

  private unobservedPublish(message: T, options: LaneCallOptions | undefined): Promise<void> {
    const refusal = this.refusal(message, options);
    if (refusal !== undefined) return Promise.reject(refusal);
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return this.publishers.publish(message, signal);
  }

  /**
   * Enqueues a message if there is room right now.
   * @returns `false` when the lane is full.
   * @throws BusClosedError when the lane is closed; the validator's error for a bad message.
   */
  tryPublish(message: T): boolean {
    const observer = this.observer;
    if (observer !== undefined && observer.watchingPublishes) return observer.observeTryPublish(this.name, message, () => this.unobservedTryPublish(message));
    return this.unobservedTryPublish(message);
  }

  private unobservedTryPublish(message: T): boolean {
    const invalid = this.validationError(message);
    if (invalid !== undefined) throw invalid;
    if (this.isClosed) throw this.closedError();
    return this.publishers.tryPublish(message);
  }

  /** Reports what happens to publishes and accepted messages to `observer` while it is active. */
  observe(observer: BusObserver): void {
    this.observer = observer;
  }

  /** Hands messages to `consumer` as they arrive while it is ready (see {@link LaneConsumer}). */
  attach(consumer: LaneConsumer<T>): void {
    this.consumer = consumer;
  }

  /**
   * Admits at most `limit` pending messages per key (`keyOf(message)`, e.g. its chat): a publisher whose
   * key is at its limit waits even when the lane has room, while publishers of other keys go ahead.
   * A message stays pending until {@link release} is called with its key. Used by the bus's dispatcher,
   * which releases a message once it is handled. Messages already buffered or waiting count as pending.
   */
  limitPerKey(kind: KeyKind<T>, limit: number): void {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`Lane ${this.name}: the per-key limit must be an integer >= 1, got ${String(limit)}`);
    const buffered: T[] = [];
    this.buffer.forEach((message) => buffered.push(message));
    this.publishers.limitPerKey(kind, limit, buffered);
  }

  /** The key slot of a message under per-key admission; `undefined` without it. Throws when the message cannot be keyed. */
  slotOf(message: T): KeySlot<T> | undefined {
    return this.publishers.slotOf(message);
  }

  /** Every key slot under per-key admission (e.g. to visit what consumers attached to them at close). */
  slots(): Iterable<KeySlot<T>> {
    return this.publishers.slots();
  }

  /** Ends a message's pending time under per-key admission; the next publisher of its key may enter. */
  release(slot: KeySlot<T>): void {
    this.publishers.release(slot);
  }

  /** Takes the oldest message, waiting for one. Resolves `undefined` once the lane is closed and empty. */
  receive(options?: LaneCallOptions): Promise<T | undefined> {
    const invalid = this.signalError(options, 'receive');
    if (invalid !== undefined) return Promise.reject(invalid);
    if (this.buffer.length > 0) return Promise.resolve(this.take());
    if (this.isClosed) return NOTHING;
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return this.waitForMessage(signal);
  }

  /** Takes the oldest message if one is buffered, without waiting. */
  tryReceive(): T | undefined {
    return this.buffer.length > 0 ? this.take() : undefined;
  }

  /** Closes the lane to new messages. Idempotent. What is buffered can still be received. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const publisher of this.publishers.takeAll()) publisher.reject(this.closedError());
    // Receivers only wait on an empty lane, so there is nothing left for them.
    for (let r = this.nextReceiver(); r !== undefined; r = this.nextReceiver()) r.resolve(undefined);
    this.notifyIfDrained();
  }

  /** Resolves once the lane is closed and every buffered message has been received or cleared. */
  whenDrained(): Promise<void> {
    if (this.isClosed && this.buffer.length === 0) return ENQUEUED;
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Removes and returns every buffered message, oldest first, e.g. to report them undelivered. */
  clear(): T[] {
    const messages = this.buffer.drain();
    while (this.admitWaitingPublisher()) messages.push(this.buffer.shift() as T);
    this.clearedCount += messages.length;
    this.notifyIfDrained();
    return messages;
  }

  /** Iterates until the lane is closed and empty (see {@link laneIterator}). */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return laneIterator(this);
  }

  /** Kept out of `publish`, so its fast path stays small enough to inline. */
  private validationError(message: T): unknown {
    if (message === undefined) return new TypeError(`Lane ${this.name}: cannot publish undefined (it means "closed and empty" to receivers)`);
    if (this.validate === undefined) return undefined;
    try {
      this.validate(message);
      return undefined;
    } catch (error) {
      return error;
    }
  }

  private signalError(options: LaneCallOptions | undefined, call: string): TypeError | undefined {
    const signal = options?.signal;
    return signal === undefined || isAbortSignal(signal) ? undefined : invalidSignalError(`Lane ${this.name}: ${call}`, signal);
  }

  private closedError(): BusClosedError {
    this.closeRejections++;
    return new BusClosedError();
  }

  /** Hands the message to a waiting receiver, or buffers it if there is room. */
  private offer(message: T, slot: KeySlot<T> | undefined): boolean {
    // Receivers wait only while the buffer is empty, so handing over keeps FIFO order.
    const receiver = this.nextReceiver();
    if (receiver !== undefined) {
      this.noteAccepted(message);
      this.taken++;
      receiver.resolve(message);
      return true;
    }
    const consumer = this.consumer;
    if (consumer !== undefined && this.buffer.length === 0 && consumer.ready) {
      this.noteAccepted(message);
      this.taken++;
      consumer.accept(message, slot);
      return true;
    }
    if (this.buffer.length < this.capacity) {
      this.noteAccepted(message);
      this.buffer.push(message);
      return true;
    }
    return false;
  }

  /** Before the message moves on, so that a handler it reaches at once is observed after its publish. */
  private noteAccepted(message: T): void {
    const observer = this.observer;
    if (observer !== undefined && observer.active) observer.accepted(this.name, message);
  }

  private take(): T {
    const message = this.buffer.shift() as T;
    this.taken++;
    if (this.publishers.anyWaitingForSpace) this.admitWaitingPublisher();
    else if (this.isClosed) this.notifyIfDrained();
    return message;
  }

  /** Moves the longest-waiting publisher's message into the freed slot. */
  private admitWaitingPublisher(): boolean {
    const publisher = this.publishers.next();
    if (publisher === undefined) return false;
    this.buffer.push(publisher.message);
    publisher.resolve();
    return true;
  }

  private nextReceiver(): WaitingReceiver<T> | undefined {
    if (this.receivers.length === 0) return undefined;
    const receiver = this.receivers.shift() as WaitingReceiver<T>;
    if (receiver.signal !== undefined) this.aborts.delete(receiver);
    return receiver;
  }

  private waitForMessage(signal: AbortSignal | undefined): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
      const receiver: WaitingReceiver<T> = { resolve, reject, signal, queue: undefined, prev: undefined, next: undefined };
      this.receivers.push(receiver);
      if (signal !== undefined) this.aborts.add(receiver);
    });
  }

  private notifyIfDrained(): void {
    if (!this.isClosed || this.buffer.length > 0 || this.drainWaiters.length === 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
