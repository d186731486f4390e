/** Something linked into at most one {@link WaiterQueue}. */
export interface Linked {
  /** The queue it is in; `undefined` once it left it. */
  queue: WaiterQueue<Linked> | undefined;
  prev: Linked | undefined;
  next: Linked | undefined;
}

/** A caller waiting on a lane: linked into one {@link WaiterQueue} while it waits. */
export interface Waiter extends Linked {
  /** The signal that may abort the wait, watched by an {@link AbortWatch}. */
  signal: AbortSignal | undefined;
  reject(reason: unknown): void;
}

/**
 * A FIFO of waiters as an intrusive doubly linked list: push, shift and removal from the middle are
 * all O(1), so an aborted waiter leaves the queue at once instead of lingering (with its message)
 * until a consumer reaches it.
 */
export class WaiterQueue<W extends Linked> {
  private head: W | undefined = undefined;
  private tail: W | undefined = undefined;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(waiter: W): void {
    waiter.queue = this as WaiterQueue<Linked>;
    waiter.prev = this.tail;
    waiter.next = undefined;
    if (this.tail === undefined) this.head = waiter;
    else this.tail.next = waiter;
    this.tail = waiter;
    this.count++;
  }

  /** Calls `visit` on every waiter, longest-waiting first. */
  forEach(visit: (waiter: W) => void): void {
    for (let waiter = this.head; waiter !== undefined; waiter = waiter.next as W | undefined) visit(waiter);
  }

  /** Removes and returns the longest-waiting waiter, or `undefined` when none waits. */
  shift(): W | undefined {
    const waiter = this.head;
    if (waiter !== undefined) this.remove(waiter);
    return waiter;
  }

  /** Unlinks a waiter of this queue. */
  remove(waiter: W): void {
    const { prev, next } = waiter;
    if (prev === undefined) this.head = next as W | undefined;
    else prev.next = next;
    if (next === undefined) this.tail = prev as W | undefined;
    else next.prev = prev;
    waiter.prev = waiter.next = waiter.queue = undefined;
    this.count--;
  }
}
