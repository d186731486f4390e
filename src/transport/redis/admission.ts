import { BusClosedError } from '../../bus/bus-closed.error.js';
import type { TransportCommands } from './transport-commands.js';

/** A publish waiting to be added to its stream. */
interface Pending {
  readonly payload: string;
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** One stream's publishes: in call order, at most one admission call in flight. */
interface StreamQueue {
  readonly stream: string;
  capacity: number;
  pending: Pending[];
  sending: boolean;
  retry: NodeJS.Timeout | undefined;
  waitMs: number;
}

const FIRST_WAIT_MS = 2;
const LONGEST_WAIT_MS = 100;
/** Entries per admission call: large enough to make the call's own cost small, small enough to keep Redis responsive. */
const MOST_PER_CALL = 256;

/**
 * Adds published messages to their partition streams with real backpressure, many in one call: the
 * publishes of a stream made while its previous call is under way go together in the next one (one script
 * call per stream instead of one per message, which is most of what publishing costs). The script admits
 * the longest prefix that fits under the capacity; the rest wait, in order, and are tried again when this
 * instance acknowledges entries of that stream, or after a wait that doubles from 2 ms to 100 ms (room made
 * by other instances). While the connection is down, publishes wait here. A publisher whose signal aborts
 * while waiting is rejected with its reason and adds nothing; once its entry is in a call under way, the
 * call's outcome stands (it may have reached Redis).
 */
export class Admission {
  private readonly queues = new Map<string, StreamQueue>();
  private readonly dirty = new Set<StreamQueue>();
  private flushScheduled = false;
  private awaitingConnection = false;
  private closed = false;

  constructor(private readonly commands: TransportCommands) {}

  /** Resolves once the payload is in the stream; rejects with the signal's reason if it aborts first. */
  admit(stream: string, capacity: number, payload: string, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.closed) return Promise.reject(new BusClosedError());
    const queue = this.queueOf(stream, capacity);
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = { payload, resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        pending.onAbort = () => this.withdraw(queue, pending);
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      queue.pending.push(pending);
      if (!queue.sending && queue.retry === undefined) this.markDirty(queue);
    });
  }

  /** This instance made room in the stream (it acknowledged entries): its waiting publishers try at once. */
  roomMade(stream: string): void {
    const queue = this.queues.get(stream);
    if (queue?.retry === undefined) return;
    clearTimeout(queue.retry);
    queue.retry = undefined;
    queue.waitMs = FIRST_WAIT_MS;
    this.markDirty(queue);
  }

  /**
   * The transport closes: publishers still waiting (for room, or for the connection) are rejected with
   * `BusClosedError` and add nothing; later publishes are refused. Calls under way keep their outcome.
   */
  close(): void {
    this.closed = true;
    for (const queue of this.queues.values()) {
      if (queue.retry !== undefined) clearTimeout(queue.retry);
      queue.retry = undefined;
      for (const pending of queue.pending.splice(0)) settle(pending).reject(new BusClosedError());
    }
  }

  private queueOf(stream: string, capacity: number): StreamQueue {
    let queue = this.queues.get(stream);
    if (queue === undefined) this.queues.set(stream, (queue = { stream, capacity, pending: [], sending: false, retry: undefined, waitMs: FIRST_WAIT_MS }));
    queue.capacity = capacity;
    return queue;
  }

  /** Sends the dirty streams' calls once the current microtasks ran: every publish made meanwhile goes along. */
  private markDirty(queue: StreamQueue): void {
    this.dirty.add(queue);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      const queues = [...this.dirty];
      this.dirty.clear();
      for (const dirty of queues) void this.send(dirty);
    });
  }

  private async send(queue: StreamQueue): Promise<void> {
    if (queue.sending || queue.pending.length === 0) return;
    if (!this.commands.connected) return this.resumeOnConnection();
    queue.sending = true;
    const batch = queue.pending.splice(0, MOST_PER_CALL);
    let admitted = 0;
    try {
      admitted = await this.commands.admit(queue.stream, queue.capacity, batch.map((pending) => pending.payload));
    } catch (error) {
      queue.sending = false;
      for (const pending of batch) settle(pending).reject(error);
      this.continue(queue);
      return;
    }
    queue.sending = false;
    for (let i = 0; i < admitted; i++) settle(batch[i]).resolve();
    const refused: Pending[] = [];
    for (let i = admitted; i < batch.length; i++) {
      const pending = batch[i];
      if (pending.signal?.aborted) settle(pending).reject(pending.signal.reason);
      else refused.push(pending);
    }
    if (refused.length === 0) return this.continue(queue);
    queue.pending.unshift(...refused);
    queue.retry = setTimeout(() => {
      queue.retry = undefined;
      void this.send(queue);
    }, queue.waitMs);
    queue.retry.unref?.();
    queue.waitMs = Math.min(LONGEST_WAIT_MS, queue.waitMs * 2);
  }

  /**
   * While the connection is down, publishes stay here rather than in the client's offline queue, so that a
   * publisher whose signal aborts meanwhile is withdrawn (adding nothing); they go once it is back.
   */
  private resumeOnConnection(): void {
    if (this.awaitingConnection) return;
    this.awaitingConnection = true;
    this.commands.onceConnected(() => {
      this.awaitingConnection = false;
      for (const queue of this.queues.values()) if (queue.retry === undefined) this.markDirty(queue);
    });
  }

  /** After a call that left nothing refused: what queued up meanwhile goes next; an idle stream is forgotten. */
  private continue(queue: StreamQueue): void {
    queue.waitMs = FIRST_WAIT_MS;
    if (queue.pending.length > 0) void this.send(queue);
    else if (queue.retry === undefined) this.queues.delete(queue.stream);
  }

  private withdraw(queue: StreamQueue, pending: Pending): void {
    const index = queue.pending.indexOf(pending);
    if (index === -1) return; // in a call under way: its outcome stands
    queue.pending.splice(index, 1);
    pending.onAbort = undefined;
    pending.reject(pending.signal?.reason);
    if (queue.pending.length === 0 && queue.retry !== undefined) {
      clearTimeout(queue.retry);
      queue.retry = undefined;
      this.continue(queue);
    }
  }
}

/** Detaches the abort listener; the pending publish is about to be settled. */
function settle(pending: Pending): Pending {
  if (pending.onAbort !== undefined) pending.signal?.removeEventListener('abort', pending.onAbort);
  pending.onAbort = undefined;
  return pending;
}
