/** The abort reason of `ctx.signal`, and the reported error, when a handler call exceeds its `timeoutMs`. */
export class HandlerTimeoutError extends Error {
  override readonly name = 'HandlerTimeoutError';

  constructor(
    readonly handler: string,
    readonly timeoutMs: number,
  ) {
    super(`${handler} took longer than ${timeoutMs} ms`);
  }
}
