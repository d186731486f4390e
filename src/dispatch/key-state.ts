import { keyName } from '../bus/key-index.js';
import type { IndexEntry } from '../bus/key-index.js';
import { RingBuffer } from '../bus/ring-buffer.js';
import type { Delivery } from './delivery.js';
import type { HandlerCall } from './handler-call.js';

/** A failed batch waiting for its backoff to pass (`due` false), or ready to run again. */
export interface RetryBatch<T> {
  readonly deliveries: readonly Delivery<T>[];
  readonly attempt: number;
  due: boolean;
  timer: NodeJS.Timeout | undefined;
}

/** One ordering key of one handler: its queued messages and what it is doing now. */
export class KeyState<T> implements IndexEntry {
  /** Created on first use: most keys never queue anything (their message starts at once). */
  private pendingQueue: RingBuffer<Delivery<T>> | undefined = undefined;
  private name: string | undefined = undefined;
  running: HandlerCall<T> | undefined = undefined;
  retry: RetryBatch<T> | undefined = undefined;
  debounceTimer: NodeJS.Timeout | undefined = undefined;
  /** The messages of a superseded call (`onBusy: 'interrupt'`), handled with the next call. */
  carried: Delivery<T>[] | undefined = undefined;
  /** Whether it is in the scheduler's ready list. */
  ready = false;

  constructor(
    readonly outer: string,
    readonly inner: string | undefined,
  ) {}

  /** The key as users see it: the session or custom key, or `${channel}:${chatId}`. */
  get key(): string {
    this.name ??= keyName(this);
    return this.name;
  }

  get queued(): number {
    return this.pendingQueue?.length ?? 0;
  }

  enqueue(delivery: Delivery<T>): void {
    (this.pendingQueue ??= new RingBuffer<Delivery<T>>(4)).push(delivery);
  }

  dequeue(): Delivery<T> | undefined {
    return this.pendingQueue?.shift();
  }

  /** Messages waiting for a call: queued, carried over from a superseded call, or due for a retry. */
  get waitingCount(): number {
    return this.queued + (this.carried?.length ?? 0) + (this.retry?.deliveries.length ?? 0);
  }

  /** Nothing running, nothing waiting: the scheduler may forget it. */
  get idle(): boolean {
    return this.running === undefined && this.retry === undefined && this.queued === 0 && this.debounceTimer === undefined && this.carried === undefined;
  }

  /** May start a call now. */
  get runnable(): boolean {
    if (this.running !== undefined || this.debounceTimer !== undefined) return false;
    return this.retry === undefined ? this.queued > 0 || this.carried !== undefined : this.retry.due;
  }

  /** Removes and returns what the next call handles under `collect` or `interrupt`: carried, then queued. */
  takeAll(): Delivery<T>[] {
    const all = [...(this.carried ?? []), ...(this.pendingQueue?.drain() ?? [])];
    this.carried = undefined;
    return all;
  }

  /** Removes and returns every delivery it holds that is not in a running call, and stops its timers. */
  takeWaiting(): Delivery<T>[] {
    const waiting = [...(this.retry?.deliveries ?? []), ...this.takeAll()];
    if (this.retry?.timer !== undefined) clearTimeout(this.retry.timer);
    if (this.debounceTimer !== undefined) clearTimeout(this.debounceTimer);
    this.retry = undefined;
    this.debounceTimer = undefined;
    return waiting;
  }
}
