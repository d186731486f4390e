/** Throw it from `send` for a failure worth retrying (a timeout, a 5xx): the bus backs off, then retries. */
export class ChannelTemporaryError extends Error {
  override readonly name = 'ChannelTemporaryError';
}
