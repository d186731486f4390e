import { BusClosedError } from './bus-closed.error.js';
import type { LaneName } from './messages.interface.js';
import { RingBuffer } from './ring-buffer.js';

/** Options of {@link Lane.publish} and {@link Lane.receive}. */
export interface LaneCallOptions {
  /** Gives up waiting: the call rejects with `signal.reason` and nothing is enqueued or taken. */
  signal?: AbortSignal;
}

/** How a lane checks a message before accepting it. Throws to refuse it. */
export type MessageValidator<T> = (message: T) => void;

interface Waiter {
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  settled: boolean;
}

interface WaitingPublisher<T> extends Waiter {
  message: T;
  resolve(): void;
  reject(reason: unknown): void;
}

interface WaitingReceiver<T> extends Waiter {
  resolve(message: T | undefined): void;
  reject(reason: unknown): void;
}

const ENQUEUED: Promise<void> = Promise.resolve();
const NOTHING: Promise<undefined> = Promise.resolve(undefined);

/**
 * A bounded FIFO lane with backpressure: when it is full, `publish` waits for space instead of
 * dropping anything. Closing rejects the waiting publishers and every later publish with
 * {@link BusClosedError}; receivers still get what is buffered, then `undefined`.
 *
 * Messages must not be `undefined` (it means "closed and empty" to receivers).
 */
export class Lane<T> implements AsyncIterable<T> {
  private readonly buffer: RingBuffer<T>;
  private readonly publishers = new RingBuffer<WaitingPublisher<T>>();
  private readonly receivers = new RingBuffer<WaitingReceiver<T>>();
  private drainWaiters: (() => void)[] = [];
  private isClosed = false;
  private taken = 0;
  private closeRejections = 0;

  constructor(
    readonly name: LaneName,
    readonly capacity: number,
    private readonly validate?: MessageValidator<T>,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Lane ${name}: capacity must be an integer >= 1, got ${String(capacity)}`);
    }
    this.buffer = new RingBuffer<T>(capacity);
  }

  /** Messages buffered and not yet received. */
  get size(): number {
    return this.buffer.length;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Messages received from this lane so far (by `receive`, `tryReceive` or iteration). */
  get receivedCount(): number {
    return this.taken;
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
    if (this.validate !== undefined) {
      const invalid = this.validationError(message);
      if (invalid !== undefined) return Promise.reject(invalid);
    }
    if (this.isClosed) return Promise.reject(this.closedError());
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.offer(message)) return ENQUEUED;
    return this.waitForSpace(message, signal);
  }

  /**
   * Enqueues a message if there is room right now.
   * @returns `false` when the lane is full.
   * @throws BusClosedError when the lane is closed; the validator's error for a bad message.
   */
  tryPublish(message: T): boolean {
    this.validate?.(message);
    if (this.isClosed) throw this.closedError();
    return this.offer(message);
  }

  /** Takes the oldest message, waiting for one. Resolves `undefined` once the lane is closed and empty. */
  receive(options?: LaneCallOptions): Promise<T | undefined> {
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
    for (let p = this.publishers.shift(); p !== undefined; p = this.publishers.shift()) {
      if (settle(p)) p.reject(this.closedError());
    }
    // Receivers only wait on an empty lane, so there is nothing left for them.
    for (let r = this.receivers.shift(); r !== undefined; r = this.receivers.shift()) {
      if (settle(r)) r.resolve(undefined);
    }
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
    this.notifyIfDrained();
    return messages;
  }

  /**
   * Iterates until the lane is closed and empty. A plain iterator rather than an async generator:
   * a buffered message is handed over in one microtask tick instead of three.
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    let finished = false;
    return {
      next: (): Promise<IteratorResult<T, undefined>> => {
        if (finished) return Promise.resolve(DONE);
        if (this.buffer.length > 0) return Promise.resolve({ value: this.take(), done: false });
        return this.receive().then(toIteratorResult);
      },
      // `break` in `for await`: like a finished generator, the iterator yields nothing more.
      return: (): Promise<IteratorResult<T, undefined>> => {
        finished = true;
        return Promise.resolve(DONE);
      },
    };
  }

  /** Kept out of `publish`, so its fast path stays small enough to inline. */
  private validationError(message: T): unknown {
    try {
      this.validate?.(message);
      return undefined;
    } catch (error) {
      return error;
    }
  }

  private closedError(): BusClosedError {
    this.closeRejections++;
    return new BusClosedError();
  }

  /** Hands the message to a waiting receiver, or buffers it if there is room. */
  private offer(message: T): boolean {
    // Receivers wait only while the buffer is empty, so handing over keeps FIFO order.
    while (this.receivers.length > 0) {
      const receiver = this.receivers.shift() as WaitingReceiver<T>;
      if (settle(receiver)) {
        this.taken++;
        receiver.resolve(message);
        return true;
      }
    }
    if (this.buffer.length < this.capacity) {
      this.buffer.push(message);
      return true;
    }
    return false;
  }

  private take(): T {
    const message = this.buffer.shift() as T;
    this.taken++;
    if (this.publishers.length > 0) this.admitWaitingPublisher();
    else if (this.isClosed) this.notifyIfDrained();
    return message;
  }

  /** Moves the longest-waiting publisher's message into the freed slot. */
  private admitWaitingPublisher(): boolean {
    for (let p = this.publishers.shift(); p !== undefined; p = this.publishers.shift()) {
      if (settle(p)) {
        this.buffer.push(p.message);
        p.resolve();
        return true;
      }
    }
    return false;
  }

  private waitForSpace(message: T, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: WaitingPublisher<T> = { message, resolve, reject, signal, onAbort: undefined, settled: false };
      listenForAbort(waiter, signal, reject);
      this.publishers.push(waiter);
    });
  }

  private waitForMessage(signal: AbortSignal | undefined): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
      const waiter: WaitingReceiver<T> = { resolve, reject, signal, onAbort: undefined, settled: false };
      listenForAbort(waiter, signal, reject);
      this.receivers.push(waiter);
    });
  }

  private notifyIfDrained(): void {
    if (!this.isClosed || this.buffer.length > 0 || this.drainWaiters.length === 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

function toIteratorResult<T>(message: T | undefined): IteratorResult<T, undefined> {
  return message === undefined ? DONE : { value: message, done: false };
}

/**
 * An aborted waiter stays in its queue, marked settled, and is skipped when reached: removing it
 * from the middle of the ring would cost O(n) per abort.
 */
function listenForAbort(waiter: Waiter, signal: AbortSignal | undefined, reject: (reason: unknown) => void): void {
  if (signal === undefined) return;
  waiter.onAbort = () => {
    if (settle(waiter)) reject(signal.reason);
  };
  signal.addEventListener('abort', waiter.onAbort, { once: true });
}

/** Marks a waiter settled. Returns `false` when it already was (aborted earlier). */
function settle(waiter: Waiter): boolean {
  if (waiter.settled) return false;
  waiter.settled = true;
  if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
  return true;
}
