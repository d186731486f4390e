/** Options every streaming call accepts. */
export interface StreamCallOptions {
  /** Aborts the call (and whatever network request it makes). */
  signal?: AbortSignal;
}

/**
 * Pushes a growing answer to one chat of a streaming-capable channel.
 *
 * `update` and `finalize` take the accumulated text so far, not a delta: a streamer may skip
 * updates (throttling) without losing anything, since the next one carries all of it.
 */
export interface Streamer {
  /** Shows the partial answer (a draft, or an edit in place). May be throttled or ignored. */
  update(content: string, options?: StreamCallOptions): Promise<void>;
  /** Delivers the complete answer as a persisted message. Rejects when the delivery failed. */
  finalize(content: string, options?: StreamCallOptions): Promise<void>;
  /** Abandons the stream and clears whatever preview was shown. */
  cancel(options?: StreamCallOptions): Promise<void>;
}
