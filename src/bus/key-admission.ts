import { KeyIndex } from './key-index.js';
import type { KeyKind } from './key-index.js';
import { KeySlot } from './key-slot.js';
import type { WaitingPublisher } from './key-slot.js';
import { WaiterQueue } from './waiter-queue.js';

/**
 * Per-key admission of a lane: at most `limit` messages of one key may be accepted and not yet released
 * (handled) at once. A publisher of a key at its limit waits in that key's own queue, so a chat that
 * floods makes only its own publishers wait, never the other chats' publishers behind them.
 */
export class KeyAdmission<T> {
  private readonly index: KeyIndex<T, KeySlot<T>>;
  private waitingTotal = 0;

  constructor(
    kind: KeyKind<T>,
    readonly limit: number,
  ) {
    this.index = new KeyIndex(kind);
  }

  /** Publishers waiting for their key to have a free slot. */
  get waitingCount(): number {
    return this.waitingTotal;
  }

  /** The message's slot. Throws when the message cannot be keyed. */
  slotFor(message: T): KeySlot<T> {
    return this.index.getOrCreate(message, newSlot);
  }

  /** Takes a slot of the key if it has one free. */
  tryReserve(slot: KeySlot<T>): boolean {
    if (slot.pending >= this.limit) return false;
    slot.pending++;
    return true;
  }

  /** Counts a message accepted before admission began, even past the limit: it is pending all the same. */
  count(slot: KeySlot<T>): void {
    slot.pending++;
  }

  /** Queues a publisher until its key has a free slot. */
  wait(publisher: WaitingPublisher<T>): void {
    const slot = publisher.slot as KeySlot<T>;
    (slot.waiting ??= new WaiterQueue<WaitingPublisher<T>>()).push(publisher);
    this.waitingTotal++;
  }

  /** A key-waiting publisher gave up (its signal aborted). */
  forget(publisher: WaitingPublisher<T>): void {
    this.waitingTotal--;
    publisher.queue?.remove(publisher);
  }

  slots(): Iterable<KeySlot<T>> {
    return this.index.values();
  }

  /** Frees a slot of the key. When a publisher of that key waits, the slot passes to it and it is returned. */
  releaseSlot(slot: KeySlot<T>): WaitingPublisher<T> | undefined {
    const next = slot.waiting?.shift();
    if (next !== undefined) {
      this.waitingTotal--;
      return next;
    }
    slot.pending--;
    return undefined;
  }

  /** Removes and returns every publisher waiting for a slot, e.g. to reject them on close. */
  drainWaiting(): WaitingPublisher<T>[] {
    const all: WaitingPublisher<T>[] = [];
    for (const slot of this.index.values()) {
      for (let next = slot.waiting?.shift(); next !== undefined; next = slot.waiting?.shift()) all.push(next);
    }
    this.waitingTotal = 0;
    return all;
  }
}

function newSlot<T>(outer: string, inner: string | undefined): KeySlot<T> {
  return new KeySlot<T>(outer, inner);
}
