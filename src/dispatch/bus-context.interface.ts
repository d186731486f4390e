import type { LaneName } from '../bus/messages.interface.js';

/** The second argument of every bus handler: what this call is about. */
export interface BusContext<T = unknown> {
  /** The lane the message came from. */
  readonly lane: LaneName;
  /** The ordering key of the call (e.g. `telegram:42`); `undefined` with `orderBy: 'none'`. */
  readonly key: string | undefined;
  /** 1 for the first call, 2 for the first retry, and so on. */
  readonly attempt: number;
  /**
   * Every message this call handles, oldest first: one, or several under `onBusy: 'collect'` and
   * `'interrupt'`. The first argument of the handler is the newest of them.
   */
  readonly messages: readonly T[];
  /**
   * Aborted when the call times out (`timeoutMs`), is superseded (`onBusy: 'interrupt'`, reason a
   * `SupersededError`), or the shutdown drain runs out of time (reason `'shutdown'`). Pass it to the LLM
   * and chat API calls so they stop too.
   */
  readonly signal: AbortSignal;
  /** `Class.method` of the handler. */
  readonly handler: string;
  /**
   * How many times the newest message was delivered: 1, unless a transport redelivered it (its instance
   * died before acknowledging it). Handlers with side effects use it, or `redelivered`, to deduplicate.
   */
  readonly deliveryCount: number;
  /** `deliveryCount > 1`. */
  readonly redelivered: boolean;
}
