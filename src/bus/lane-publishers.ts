import type { AbortWatch } from './abort-watch.js';
import { KeyAdmission } from './key-admission.js';
import type { KeySlot, WaitingPublisher } from './key-slot.js';
import type { KeyKind } from './key-index.js';
import { WaiterQueue } from './waiter-queue.js';

const ENQUEUED: Promise<void> = Promise.resolve();

/** What the publisher side needs from its lane. */
export interface LaneRoom<T> {
  /** Hands the message on or buffers it; `false` when the lane is full. */
  offer(message: T, slot: KeySlot<T> | undefined): boolean;
  isClosed(): boolean;
}

/**
 * The publisher side of a lane: publishers waiting for space, and (once a consumer asks for it) the
 * per-key admission that makes a flooding key's publishers wait in a queue of their own.
 */
export class LanePublishers<T> {
  private readonly waiting = new WaiterQueue<WaitingPublisher<T>>();
  private admission: KeyAdmission<T> | undefined = undefined;

  constructor(
    private readonly lane: LaneRoom<T>,
    private readonly aborts: AbortWatch,
  ) {}

  /** Publishers waiting for space, and for their key to have a free slot. */
  get waitingCount(): number {
    return this.waiting.length + (this.admission?.waitingCount ?? 0);
  }

  /** Whether a publisher waits for space (one waiting for its key does not: space would not help it). */
  get anyWaitingForSpace(): boolean {
    return this.waiting.length > 0;
  }

  /** Enqueues the message, or waits for room (and, under per-key admission, for its key's turn). */
  publish(message: T, signal: AbortSignal | undefined): Promise<void> {
    const admission = this.admission;
    if (admission === undefined) return this.lane.offer(message, undefined) ? ENQUEUED : this.waitForSpace(message, undefined, signal);
    let slot: KeySlot<T>;
    try {
      slot = admission.slotFor(message);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!admission.tryReserve(slot)) return this.waitForKey(admission, message, slot, signal);
    if (this.lane.offer(message, slot)) return ENQUEUED;
    return this.waitForSpace(message, slot, signal);
  }

  /** Enqueues the message if its lane (and its key) have room now. */
  tryPublish(message: T): boolean {
    const admission = this.admission;
    if (admission === undefined) return this.lane.offer(message, undefined);
    const slot = admission.slotFor(message);
    if (!admission.tryReserve(slot)) return false;
    if (this.lane.offer(message, slot)) return true;
    admission.releaseSlot(slot);
    return false;
  }

  /** Starts per-key admission; `pending` are the messages accepted already, which count against their keys. */
  limitPerKey(kind: KeyKind<T>, limit: number, pending: readonly T[]): void {
    const admission = new KeyAdmission(kind, limit);
    for (const message of pending) admission.count(admission.slotFor(message));
    this.waiting.forEach((publisher) => {
      publisher.slot = admission.slotFor(publisher.message);
      publisher.reserved = true;
      admission.count(publisher.slot);
    });
    this.admission = admission;
  }

  slotOf(message: T): KeySlot<T> | undefined {
    return this.admission?.slotFor(message);
  }

  slots(): Iterable<KeySlot<T>> {
    return this.admission?.slots() ?? [];
  }

  /** A key's message is done: the next publisher of that key may enter. */
  release(slot: KeySlot<T>): void {
    if (this.admission !== undefined) this.admitNextOfKey(this.admission.releaseSlot(slot));
  }

  /** The longest-waiting publisher for space, out of its queue and no longer watched for abort. */
  next(): WaitingPublisher<T> | undefined {
    const publisher = this.waiting.shift();
    if (publisher?.signal !== undefined) this.aborts.delete(publisher);
    return publisher;
  }

  /** Every waiting publisher, for space or for its key: for the lane to reject them as it closes. */
  takeAll(): WaitingPublisher<T>[] {
    const all: WaitingPublisher<T>[] = [];
    for (let p = this.next(); p !== undefined; p = this.next()) all.push(p);
    for (const p of this.admission?.drainWaiting() ?? []) {
      if (p.signal !== undefined) this.aborts.delete(p);
      all.push(p);
    }
    return all;
  }

  private admitNextOfKey(next: WaitingPublisher<T> | undefined): void {
    if (next === undefined) return;
    next.reserved = true;
    if (!this.lane.offer(next.message, next.slot)) {
      this.waiting.push(next); // holds its key's slot, waits for space like any publisher
      return;
    }
    if (next.signal !== undefined) this.aborts.delete(next);
    next.resolve();
  }

  private waitForSpace(message: T, slot: KeySlot<T> | undefined, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const publisher = this.publisher(message, slot, slot !== undefined, signal, resolve, reject);
      this.waiting.push(publisher);
      if (signal !== undefined) this.aborts.add(publisher);
    });
  }

  private waitForKey(admission: KeyAdmission<T>, message: T, slot: KeySlot<T>, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const publisher = this.publisher(message, slot, false, signal, resolve, reject);
      admission.wait(publisher);
      if (signal !== undefined) this.aborts.add(publisher);
    });
  }

  private publisher(
    message: T,
    slot: KeySlot<T> | undefined,
    reserved: boolean,
    signal: AbortSignal | undefined,
    resolve: () => void,
    reject: (reason: unknown) => void,
  ): WaitingPublisher<T> {
    const publisher: WaitingPublisher<T> = {
      message,
      slot,
      reserved,
      signal,
      resolve,
      reject: (reason) => {
        // A publisher that gives up while holding its key's slot hands the slot on; one still waiting for a
        // slot leaves the count of key waiters.
        const admission = this.admission;
        if (!this.lane.isClosed() && publisher.slot !== undefined && admission !== undefined) {
          if (publisher.reserved) this.admitNextOfKey(admission.releaseSlot(publisher.slot));
          else admission.forget(publisher);
        }
        reject(reason);
      },
      queue: undefined,
      prev: undefined,
      next: undefined,
    };
    return publisher;
  }
}
