/** An error like a chat API's 429: the bus waits `retryAfterMs` before a retry. */
export class RateLimitedError extends Error {
  override readonly name = 'RateLimitedError';

  constructor(readonly retryAfterMs: number) {
    super(`429 Too Many Requests: retry after ${retryAfterMs} ms`);
  }
}
