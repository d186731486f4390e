/** Throw it from `send` for a failure that would fail again (a 4xx other than 429, a blocked bot): no retry. */
export class ChannelPermanentError extends Error {
  override readonly name = 'ChannelPermanentError';
}
