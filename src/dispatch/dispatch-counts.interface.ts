import type { SchedulerLoad } from './scheduler-host.js';

/** What one lane's dispatcher achieved, in messages. */
export interface DispatchCounts {
  /** Every handler that took it finished it successfully. */
  delivered: number;
  /** Reported to `onUndelivered` (by at least one handler, or for lack of one). */
  undelivered: number;
  /** Undelivered because the drain ran out of time while a handler call was still working on it. */
  abandonedInFlight: number;
}

/** One handler's load on a lane, for `stats()`. */
export interface HandlerLoad extends SchedulerLoad {
  readonly handler: string;
  readonly concurrency: number;
}
