/**
 * The answer streamed fine but its final delivery failed. Carries the full text, so the caller can
 * still deliver it another way, e.g. as a normal outbound message.
 */
export class StreamFinalizeError extends Error {
  override readonly name = 'StreamFinalizeError';

  constructor(
    /** Why `finalize` failed: the error the streamer rejected with. */
    override readonly cause: unknown,
    /** The complete answer that was not delivered. */
    readonly text: string,
  ) {
    super(`Delivering the streamed answer failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}
