import type { LaneName } from '../bus/messages.interface.js';

/** One lane's state and counts since the bus started. */
export interface LaneStats {
  /** Messages buffered now. */
  readonly size: number;
  readonly capacity: number;
  /** Publishers waiting for room (or for their key's turn). */
  readonly waitingPublishers: number;
  /** Messages the lane accepted. */
  readonly published: number;
  /**
   * Messages every handler finished successfully; on a lane without handlers, messages its manual
   * consumer received.
   */
  readonly delivered: number;
  /** Handler calls that failed, timed out or were refused, retried ones included. */
  readonly failed: number;
  /** Reports to `onUndelivered` (a message two handlers gave up on counts twice). */
  readonly undelivered: number;
}

/** One handler's load now, and how long its calls take. */
export interface HandlerStats {
  readonly lane: LaneName;
  /** The handler, as `Class.method`. */
  readonly handler: string;
  /** Calls running now. */
  readonly inFlight: number;
  /** Keys with messages waiting for their turn (queued, carried over, or due for a retry). */
  readonly queuedKeys: number;
  readonly queuedMessages: number;
  readonly concurrency: number;
  /**
   * The median and 99th percentile of the call durations of the last one to two minutes, within about 5%;
   * `null` until a call finished. Calls are timed from the first `stats()` call on (or while `events$`
   * is observed), so a bus nobody asks about does not time its calls.
   */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

/** What `bus.stats()` returns. */
export interface BusStats {
  readonly lanes: Readonly<Record<LaneName, LaneStats>>;
  readonly handlers: readonly HandlerStats[];
  /** Whether `close()` has begun: the bus refuses new messages and drains. */
  readonly closing: boolean;
}
