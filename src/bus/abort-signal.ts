/**
 * Whether `value` is an `AbortSignal`. Checked by shape rather than `instanceof`, so that signals from
 * another realm (a VM context, a test environment) or a polyfill are accepted too, while the usual
 * mistake, passing the `AbortController` itself, is caught: it has no `aborted` flag of its own.
 */
export function isAbortSignal(value: unknown): value is AbortSignal {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<AbortSignal>;
  return typeof candidate.aborted === 'boolean' && typeof candidate.addEventListener === 'function';
}

/** The error for a `signal` option that is not an `AbortSignal`. */
export function invalidSignalError(where: string, value: unknown): TypeError {
  const hint = value !== null && typeof value === 'object' && 'signal' in value ? ' (pass controller.signal, not the controller)' : '';
  return new TypeError(`${where}: signal must be an AbortSignal${hint}`);
}

/**
 * Settles like `promise`, but rejects with `signal.reason` as soon as `signal` aborts (at once if it
 * already has): the caller stops waiting for work that may never settle, such as a hung chat API call.
 * The work itself goes on; its outcome is ignored.
 */
export function untilAborted<T>(work: PromiseLike<T> | T, signal: AbortSignal | undefined): Promise<T> {
  const promise = Promise.resolve(work);
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined); // nobody waits for it any more
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
