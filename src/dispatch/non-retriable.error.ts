/**
 * Thrown by a handler to fail at once: no retry, whatever the handler's `retry` options say. The message
 * goes to `onUndelivered` as `'handler-failed'` with this error.
 */
export class NonRetriableError extends Error {
  override readonly name: string = 'NonRetriableError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
