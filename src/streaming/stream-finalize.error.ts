/**
 * The answer streamed fine but its final delivery failed. Carries the full text, so the caller can
 * still deliver it another way, e.g. as a normal outbound message.
 */
export class StreamFinalizeError extends Error {
  override readonly name = 'StreamFinalizeError';

  constructor(
    /** Why `finalize` failed: the error the streamer rejected with. */
    override readonly cause: unknown,
    /** The complete answer. */
    readonly text: string,
    /**
     * What was not delivered: the whole answer, or, when the streamer delivered the first parts of a split
     * answer, the parts it did not (joined by blank lines). Deliver this, not `text`, to send nothing twice.
     */
    readonly undelivered: string = text,
  ) {
    super(`Delivering the streamed answer failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}
