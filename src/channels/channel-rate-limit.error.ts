/** Throw it from `send` when the platform rate-limited the call (HTTP 429): the bus waits, then retries. */
export class ChannelRateLimitError extends Error {
  override readonly name = 'ChannelRateLimitError';

  constructor(
    /** How long the platform asked to wait; the channel's `rateLimitDelayMs` when it did not say. */
    readonly retryAfterMs?: number,
    message = retryAfterMs === undefined ? 'rate limited' : `rate limited: retry after ${retryAfterMs} ms`,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
