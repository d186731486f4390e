import type { BusObserver } from '../bus/bus-observer.interface.js';
import type { KeySlot } from '../bus/key-slot.js';
import { KeyIndex } from '../bus/key-index.js';
import type { Lane } from '../bus/lane.js';
import type { LaneName } from '../bus/messages.interface.js';
import { RingBuffer } from '../bus/ring-buffer.js';
import { WaiterQueue } from '../bus/waiter-queue.js';
import type { BusHandler } from './bus-handler.interface.js';
import type { Delivery } from './delivery.js';
import type { ResolvedDispatchOptions } from './dispatch-options.js';
import { HandlerCall } from './handler-call.js';
import { failureReason } from './failure-reason.js';
import { HandlerTimeoutError } from './handler-timeout.error.js';
import { KeyState } from './key-state.js';
import type { RetryBatch } from './key-state.js';
import { retryDelay } from './retry-delay.js';
import { SupersededError } from './superseded.error.js';
import { isThenable } from './thenable.js';
import { DELIVERED } from './scheduler-host.js';
import type { SchedulerHost, SchedulerLoad } from './scheduler-host.js';

/** Unordered work waiting to run: one message, or a failed one due for its retry. */
type UnorderedWork<T> = Delivery<T> | RetryBatch<T>;

/**
 * Schedules one handler's calls: messages of one key strictly in order, one call at a time; different
 * keys in parallel up to `concurrency`, ready keys served round-robin so that a busy key cannot starve
 * the others. Applies the busy-key mode, debounce, timeout and retry of the handler's options.
 */
export class KeyedScheduler<T> {
  private readonly keys: KeyIndex<T, KeyState<T>> | undefined;
  /** Keys that may start a call, oldest first. */
  private readonly ready = new RingBuffer<KeyState<T>>();
  /** With `orderBy: 'none'`: messages (and due retries) waiting for a free slot. */
  private readonly unordered = new RingBuffer<UnorderedWork<T>>();
  /** With `orderBy: 'none'`: calls running, and retries waiting for their backoff, for `abandon`. */
  private readonly unorderedCalls = new WaiterQueue<HandlerCall<T>>();
  private readonly unorderedRetries = new Set<RetryBatch<T>>();
  private inFlight = 0;
  private failures = 0;

  constructor(
    private readonly lane: LaneName,
    readonly handler: BusHandler<T>,
    readonly options: ResolvedDispatchOptions,
    private readonly host: SchedulerHost<T>,
    private readonly observer: BusObserver,
    /** Where its key states live when it orders like the lane admits: on the lane's key slots, at `index`. */
    private readonly onSlots?: { index: number; of: number; lane: Lane<T> },
  ) {
    this.keys = options.keyKind === undefined || onSlots !== undefined ? undefined : new KeyIndex(options.keyKind);
  }

  /** What it holds now. Visits every key: for `stats()`, not for the hot path. */
  load(): SchedulerLoad {
    let queuedKeys = 0;
    let queuedMessages = 0;
    for (const state of this.states()) {
      const waiting = state.waitingCount;
      if (waiting === 0) continue;
      queuedKeys++;
      queuedMessages += waiting;
    }
    this.unordered.forEach((work) => (queuedMessages += 'deliveries' in work ? work.deliveries.length : 1));
    for (const retry of this.unorderedRetries) queuedMessages += retry.deliveries.length;
    return { inFlight: this.inFlight, queuedKeys, queuedMessages, failures: this.failures };
  }

  /** Hands the scheduler a message. */
  push(delivery: Delivery<T>): void {
    let state: KeyState<T>;
    if (this.onSlots !== undefined) {
      state = this.stateOnSlot(delivery.slot as KeySlot<T>, this.onSlots);
    } else if (this.keys === undefined) {
      this.unordered.push(delivery);
      return this.pump();
    } else {
      try {
        state = this.keys.getOrCreate(delivery.message, newKeyState);
      } catch (error) {
        return this.host.settle(delivery, 'unreadable', error, this.handler.name);
      }
    }
    // The common case: a quiet key and a free slot. Its message starts at once, without queueing.
    if (state.idle && this.inFlight < this.options.concurrency && this.ready.length === 0 && this.options.debounceMs === 0) {
      return this.startCall(state, [delivery], 1);
    }
    state.enqueue(delivery);
    if (state.running !== undefined && this.options.onBusy === 'interrupt') this.supersede(state, state.running);
    if (this.options.debounceMs > 0) return this.debounce(state);
    if (this.inFlight < this.options.concurrency && this.ready.length === 0 && state.runnable) return this.startKey(state);
    this.markReady(state);
  }

  private stateOnSlot(slot: KeySlot<T>, onSlots: { index: number; of: number }): KeyState<T> {
    const states = (slot.attachment ??= new Array<KeyState<T> | undefined>(onSlots.of)) as (KeyState<T> | undefined)[];
    return (states[onSlots.index] ??= new KeyState<T>(slot.outer, slot.inner));
  }

  /** Every key state it has (idle ones included). */
  private *states(): IterableIterator<KeyState<T>> {
    if (this.keys !== undefined) yield* this.keys.values();
    if (this.onSlots === undefined) return;
    for (const slot of this.onSlots.lane.slots()) {
      const state = (slot.attachment as (KeyState<T> | undefined)[] | undefined)?.[this.onSlots.index];
      if (state !== undefined) yield state;
    }
  }

  /** Ends every debounce window at once (the bus is closing). */
  flushDebounce(): void {
    for (const state of this.states()) {
      if (state.debounceTimer === undefined) continue;
      clearTimeout(state.debounceTimer);
      state.debounceTimer = undefined;
      this.markReady(state);
    }
    this.pump();
  }

  /**
   * Gives up on everything: running calls are aborted and detached, waiting messages dropped. Returns the
   * deliveries it held: those of running calls, and those waiting.
   */
  abandon(reason: unknown): { running: Delivery<T>[]; waiting: Delivery<T>[] } {
    const running: Delivery<T>[] = [];
    for (const call of this.runningCalls()) {
      call.detached = true;
      call.clearTimer();
      call.abort(reason);
      if (call.startedAt !== 0 && !call.superseded) this.observer.callEnded(call, { type: 'abandoned', error: reason });
      if (!call.superseded) running.push(...call.deliveries); // a superseded call's messages are carried by its key
    }
    const waiting: Delivery<T>[] = [];
    for (const state of this.states()) waiting.push(...state.takeWaiting());
    for (const work of this.unordered.drain()) waiting.push(...('deliveries' in work ? work.deliveries : [work]));
    for (const retry of this.unorderedRetries) {
      clearTimeout(retry.timer);
      waiting.push(...retry.deliveries);
    }
    this.unorderedRetries.clear();
    this.ready.drain();
    return { running, waiting };
  }

  private runningCalls(): HandlerCall<T>[] {
    const calls: HandlerCall<T>[] = [];
    for (const state of this.states()) if (state.running !== undefined) calls.push(state.running);
    this.unorderedCalls.forEach((call) => calls.push(call));
    return calls;
  }

  private debounce(state: KeyState<T>): void {
    if (state.debounceTimer !== undefined) clearTimeout(state.debounceTimer);
    state.debounceTimer = setTimeout(() => {
      state.debounceTimer = undefined;
      this.markReady(state);
      this.pump();
    }, this.options.debounceMs);
  }

  private markReady(state: KeyState<T>): void {
    if (state.ready || !state.runnable) return;
    state.ready = true;
    this.ready.push(state);
  }

  private pump(): void {
    while (this.inFlight < this.options.concurrency) {
      const state = this.ready.shift();
      if (state !== undefined) {
        state.ready = false;
        if (state.runnable) this.startKey(state);
        continue;
      }
      const work = this.unordered.shift();
      if (work === undefined) return;
      if ('deliveries' in work) this.startCall(undefined, work.deliveries, work.attempt);
      else this.startCall(undefined, [work], 1);
    }
  }

  private startKey(state: KeyState<T>): void {
    const retry = state.retry;
    if (retry !== undefined) {
      state.retry = undefined;
      this.startCall(state, retry.deliveries, retry.attempt);
    } else if (this.options.onBusy === 'queue' && state.carried === undefined) {
      this.startCall(state, [state.dequeue() as Delivery<T>], 1);
    } else {
      this.startCall(state, state.takeAll(), 1);
    }
  }

  private startCall(state: KeyState<T> | undefined, deliveries: readonly Delivery<T>[], attempt: number): void {
    const call = new HandlerCall<T>(this.lane, state, attempt, this.handler.name, deliveries);
    this.inFlight++;
    if (state === undefined) this.unorderedCalls.push(call);
    else state.running = call;
    const observer = this.observer;
    if (observer.active) observer.callStarted(call);
    const { timeoutMs } = this.options;
    if (timeoutMs !== undefined) {
      call.timer = setTimeout(() => {
        const error = new HandlerTimeoutError(this.handler.name, timeoutMs);
        call.abort(error);
        this.failed(call, state, error);
      }, timeoutMs);
    }
    try {
      const result = observer.wrapsCalls ? observer.runCall(call, () => this.handler.invoke(call.message, call)) : this.handler.invoke(call.message, call);
      if (isThenable(result)) {
        void this.settleWhenDone(call, state, result);
        return;
      }
    } catch (error) {
      return this.failed(call, state, error);
    }
    this.succeeded(call, state);
  }

  /** Awaits rather than `then`: the engine's await path costs no closures and no extra promise. */
  private async settleWhenDone(call: HandlerCall<T>, state: KeyState<T> | undefined, result: PromiseLike<unknown>): Promise<void> {
    try {
      await result;
    } catch (error) {
      return this.failed(call, state, error);
    }
    this.succeeded(call, state);
  }

  private succeeded(call: HandlerCall<T>, state: KeyState<T> | undefined): void {
    if (!this.release(call, state)) return;
    if (call.startedAt !== 0) this.observer.callEnded(call, DELIVERED);
    for (const delivery of call.deliveries) this.host.settle(delivery);
    this.next(state);
  }

  private failed(call: HandlerCall<T>, state: KeyState<T> | undefined, error: unknown): void {
    if (!this.release(call, state)) return;
    const delay = retryDelay(this.options.retry, call.attempt, error);
    this.failures++;
    if (call.startedAt !== 0) this.observer.callEnded(call, { type: 'failed', error, willRetry: delay !== undefined });
    this.host.logFailure(this.handler.name, call.message, error, delay !== undefined);
    if (delay !== undefined) {
      this.scheduleRetry(state, call, delay);
    } else {
      const reason = failureReason(error);
      for (const delivery of call.deliveries) this.host.settle(delivery, reason, error, this.handler.name);
    }
    this.next(state);
  }

  /**
   * Frees the call's slot and key. Returns whether the call still decides its deliveries' fate: not when
   * it was detached (timed out before, abandoned), nor when it was superseded (its messages moved on).
   */
  private release(call: HandlerCall<T>, state: KeyState<T> | undefined): boolean {
    if (call.detached) return false;
    call.detached = true;
    call.clearTimer();
    this.inFlight--;
    if (state === undefined) this.unorderedCalls.remove(call);
    else if (state.running === call) state.running = undefined;
    if (!call.superseded) return true;
    this.next(state);
    return false;
  }

  private scheduleRetry(state: KeyState<T> | undefined, call: HandlerCall<T>, delay: number): void {
    const retry: RetryBatch<T> = { deliveries: call.deliveries, attempt: call.attempt + 1, due: false, timer: undefined };
    retry.timer = setTimeout(() => {
      retry.due = true;
      retry.timer = undefined;
      if (state === undefined) {
        this.unorderedRetries.delete(retry);
        this.unordered.push(retry);
      } else {
        this.markReady(state);
      }
      this.pump();
    }, delay);
    if (state === undefined) this.unorderedRetries.add(retry);
    else state.retry = retry; // in place: the key's later messages wait for it
  }

  /** After a call: the key goes back to the ready list if it has more to do (idle keys are swept by the index). */
  private next(state: KeyState<T> | undefined): void {
    if (state !== undefined) this.markReady(state);
    this.pump();
  }

  private supersede(state: KeyState<T>, call: HandlerCall<T>): void {
    if (call.detached || call.superseded) return;
    call.superseded = true;
    (state.carried ??= []).push(...call.deliveries);
    const error = new SupersededError(state.key);
    if (call.startedAt !== 0) this.observer.callEnded(call, { type: 'superseded', error });
    call.abort(error);
  }
}

function newKeyState<T>(outer: string, inner: string | undefined): KeyState<T> {
  return new KeyState<T>(outer, inner);
}
