/**
 * The abort reason of a handler call's `ctx.signal` under `onBusy: 'interrupt'`: a newer message of the
 * same key arrived, and it will be handled next together with this call's messages.
 */
export class SupersededError extends Error {
  override readonly name = 'SupersededError';

  constructor(
    /** The ordering key whose newer message superseded the call. */
    readonly key: string | undefined,
  ) {
    super(`superseded by a newer message${key === undefined ? '' : ` for key "${key}"`}`);
  }
}
