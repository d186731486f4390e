import type { BusObserver } from '../bus/bus-observer.interface.js';
import type { Lane } from '../bus/lane.js';
import type { BusHandler } from './bus-handler.interface.js';
import type { Delivery } from './delivery.js';
import { failureReason } from './failure-reason.js';
import { HandlerCall } from './handler-call.js';
import { DELIVERED } from './scheduler-host.js';
import type { SchedulerHost } from './scheduler-host.js';
import { isThenable } from './thenable.js';

/** What the serial loop needs from its dispatcher besides settling. */
export interface SerialLoopHost<T> extends SchedulerHost<T> {
  /** Opens the delivery of a message taken from the lane; `undefined` when it cannot be delivered (reported). */
  open(message: T): Delivery<T> | undefined;
}

/**
 * Consumes a lane whose only handler takes one call at a time in lane order (`concurrency: 1`,
 * `orderBy: 'none'`, no timeout, retry or debounce): a loop that awaits each call before taking the next,
 * one frame for the whole lane instead of one per call, as a plain consumer would.
 */
export class SerialLoop<T> {
  /** Messages taken from the lane: one the lane handed over and the loop has not resumed for is not idle. */
  taken = 0;
  failures = 0;
  /** The call in progress, for `abandon`. */
  private current: HandlerCall<T> | undefined = undefined;

  constructor(
    private readonly lane: Lane<T>,
    readonly handler: BusHandler<T>,
    private readonly host: SerialLoopHost<T>,
    private readonly observer: BusObserver,
  ) {}

  get inFlight(): number {
    return this.current === undefined ? 0 : 1;
  }

  /**
   * The loop. Its bookkeeping lives in the methods it calls: an async function saves and restores its
   * whole register file at each `await`, so this one keeps few locals.
   */
  async run(): Promise<void> {
    const lane = this.lane;
    for (;;) {
      const message = lane.tryReceive() ?? (await lane.receive());
      if (message === undefined) return;
      const call = this.callFor(message);
      if (call === undefined) continue;
      try {
        const result = this.invoke(call);
        if (isThenable(result)) await result;
      } catch (error) {
        this.failed(call, error);
        continue;
      }
      this.succeeded(call);
    }
  }

  /** Aborts the call in progress and returns its deliveries, which its outcome no longer decides. */
  abandon(reason: unknown): readonly Delivery<T>[] {
    const call = this.current;
    if (call === undefined || call.detached) return [];
    call.detached = true;
    call.abort(reason);
    if (call.startedAt !== 0) this.observer.callEnded(call, { type: 'abandoned', error: reason });
    return call.deliveries;
  }

  private callFor(message: T): HandlerCall<T> | undefined {
    this.taken++;
    const delivery = this.host.open(message);
    if (delivery === undefined) return undefined;
    const call = new HandlerCall<T>(this.lane.name, undefined, 1, this.handler.name, [delivery]);
    this.current = call;
    if (this.observer.active) this.observer.callStarted(call);
    return call;
  }

  private invoke(call: HandlerCall<T>): unknown {
    const { observer, handler } = this;
    return observer.wrapsCalls ? observer.runCall(call, () => handler.invoke(call.message, call)) : handler.invoke(call.message, call);
  }

  private succeeded(call: HandlerCall<T>): void {
    if (!call.detached) {
      if (call.startedAt !== 0) this.observer.callEnded(call, DELIVERED);
      this.host.settle(call.deliveries[0]);
    }
    this.ended(call);
  }

  private failed(call: HandlerCall<T>, error: unknown): void {
    if (!call.detached) {
      this.failures++;
      if (call.startedAt !== 0) this.observer.callEnded(call, { type: 'failed', error, willRetry: false });
      this.host.logFailure(this.handler.name, call.message, error, false);
      this.host.settle(call.deliveries[0], failureReason(error), error, this.handler.name);
    }
    this.ended(call);
  }

  private ended(call: HandlerCall<T>): void {
    call.detached = true;
    this.current = undefined;
  }
}
