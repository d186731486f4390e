/**
 * A bus handler was never called: a guard denied the message, or a pipe (or an interceptor, before
 * calling on) refused it. Reported to `onUndelivered` as `'handler-rejected'` with the original error,
 * and never retried: the same message would be refused again.
 */
export class HandlerRejectedError extends Error {
  override readonly name = 'HandlerRejectedError';

  constructor(
    readonly handler: string,
    cause: unknown,
  ) {
    super(`${handler} rejected the message before it ran`, { cause });
  }
}
