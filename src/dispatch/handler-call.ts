import type { ObservedCall } from '../bus/bus-observer.interface.js';
import { deliveryCountOf } from '../bus/delivery-info.js';
import type { LaneName } from '../bus/messages.interface.js';
import type { Linked, WaiterQueue } from '../bus/waiter-queue.js';
import type { BusContext } from './bus-context.interface.js';
import type { Delivery } from './delivery.js';

/**
 * One call of a handler: its context, and what the scheduler needs to settle it. The `AbortController`
 * behind `signal` is only created when the handler reads `signal`, so calls that never look at it (and
 * are never aborted) cost no controller.
 */
export class HandlerCall<T> implements BusContext<T>, Linked, ObservedCall {
  queue: WaiterQueue<Linked> | undefined = undefined;
  prev: Linked | undefined = undefined;
  next: Linked | undefined = undefined;
  private controller: AbortController | undefined = undefined;
  private abortReason: unknown = undefined;
  private aborted = false;
  private messageList: readonly T[] | undefined = undefined;
  /** Set when the call no longer decides the fate of its deliveries (timed out, superseded, abandoned). */
  detached = false;
  /** Set under `onBusy: 'interrupt'` when a newer message arrived: its messages move to the next call. */
  superseded = false;
  /** Set when the handler method itself was reached (its guards and pipes let the message through). */
  entered = false;
  timer: NodeJS.Timeout | undefined = undefined;
  /** Set by the bus's observer, only while one observes. */
  startedAt = 0;
  observed: unknown = undefined;

  constructor(
    readonly lane: LaneName,
    /** The key's state; `undefined` with `orderBy: 'none'`. */
    private readonly state: { readonly key: string } | undefined,
    readonly attempt: number,
    readonly handler: string,
    /** What this call handles, oldest first. */
    readonly deliveries: readonly Delivery<T>[],
  ) {}

  get key(): string | undefined {
    return this.state?.key;
  }

  get messages(): readonly T[] {
    this.messageList ??= Object.freeze(this.deliveries.map((delivery) => delivery.message));
    return this.messageList;
  }

  get deliveryCount(): number {
    return deliveryCountOf(this.message);
  }

  get redelivered(): boolean {
    return this.deliveryCount > 1;
  }

  get batch(): object {
    return this.deliveries;
  }

  get oldestPublication(): unknown {
    return this.deliveries[0].publication;
  }

  get newestPublication(): unknown {
    return this.deliveries[this.deliveries.length - 1].publication;
  }

  /** The message handed to the handler: the newest. */
  get message(): T {
    return this.deliveries[this.deliveries.length - 1].message;
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }

  clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
