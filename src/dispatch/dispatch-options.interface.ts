/** How a handler orders its messages: by session, by chat, not at all, or by a key of your own. */
export type OrderBy<T = never> = 'session' | 'chat' | 'none' | ((message: T) => string);

/**
 * What happens to a key's messages that arrive while that key is being handled:
 * - `'queue'`: each is handled in turn;
 * - `'collect'`: everything that queued up goes to the next call at once (`ctx.messages`);
 * - `'interrupt'`: the running call's `ctx.signal` aborts with a `SupersededError`, and the newest
 *   message is handled next, with the superseded ones in `ctx.messages`.
 */
export type BusyMode = 'queue' | 'collect' | 'interrupt';

/** How a failing handler call is retried. */
export interface RetryOptions {
  /** Calls in all, the first included: `3` means up to two retries. */
  attempts: number;
  /**
   * The first retry's backoff; each later one doubles it.
   * @default 200
   */
  backoffMs?: number;
  /**
   * The longest backoff.
   * @default 30000
   */
  maxBackoffMs?: number;
  /**
   * Full jitter: wait a random time between 0 and the backoff, so failing chats do not retry in step.
   * @default true
   */
  jitter?: boolean;
  /** Whether an error is worth retrying. A `NonRetriableError` never is. @default every error */
  retryIf?: (error: unknown) => boolean;
}

/** How a handler is scheduled. Set per handler on its decorator, or for every handler in `forRoot({ handlerDefaults })`. */
export interface DispatchOptions {
  /**
   * Calls of this handler running at once, across keys. Messages of one key never run in parallel.
   * @default 8
   */
  concurrency?: number;
  /**
   * The ordering key: messages of one key are handled strictly in lane order, one call at a time; different
   * keys run in parallel. `'session'` is the inbound `sessionKey` when set, else `${channel}:${chatId}`.
   * @default 'session' on the inbound lane, 'chat' on the outbound lanes
   */
  orderBy?: OrderBy<any>;
  /** @default 'queue' */
  onBusy?: BusyMode;
  /**
   * Waits until a key has been quiet this long before handling it; with `'collect'`, a burst becomes one call.
   * @default 0
   */
  debounceMs?: number;
  /**
   * A call that takes longer fails with `'handler-timeout'`, its `ctx.signal` aborts, and its key is released.
   * @default none
   */
  timeoutMs?: number;
  /** Retries in place: the key's later messages wait. @default none */
  retry?: RetryOptions;
}
