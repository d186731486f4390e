import type { Waiter } from './waiter-queue.js';

/** One watched signal: its listener and the waiters it would abort. */
interface WatchedSignal {
  readonly waiters: Set<Waiter>;
  readonly onAbort: () => void;
}

/**
 * Watches the signals of one lane's waiters with a single `abort` listener per signal, however many
 * waiters share it: a hundred publishers waiting on one `AbortSignal.timeout()` add one listener, not a
 * hundred (which would also trip Node's `MaxListenersExceededWarning`). The listener is removed as soon as
 * the last waiter on its signal leaves, so nothing here outlives the wait.
 */
export class AbortWatch {
  private readonly watched = new Map<AbortSignal, WatchedSignal>();

  /** Aborting `waiter.signal` will unlink the waiter from its queue and reject it with the reason. */
  add(waiter: Waiter): void {
    const signal = waiter.signal as AbortSignal;
    let entry = this.watched.get(signal);
    if (entry === undefined) {
      entry = { waiters: new Set(), onAbort: () => this.abortAll(signal) };
      signal.addEventListener('abort', entry.onAbort, { once: true });
      this.watched.set(signal, entry);
    }
    entry.waiters.add(waiter);
  }

  /** Stops watching a waiter that left its queue some other way (served, or closed). */
  delete(waiter: Waiter): void {
    const signal = waiter.signal as AbortSignal;
    const entry = this.watched.get(signal);
    if (entry === undefined || !entry.waiters.delete(waiter) || entry.waiters.size > 0) return;
    signal.removeEventListener('abort', entry.onAbort);
    this.watched.delete(signal);
  }

  private abortAll(signal: AbortSignal): void {
    const entry = this.watched.get(signal);
    if (entry === undefined) return;
    this.watched.delete(signal);
    for (const waiter of entry.waiters) {
      waiter.queue?.remove(waiter);
      waiter.reject(signal.reason);
    }
  }
}
