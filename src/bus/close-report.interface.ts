/** What `MessageBusService.close()` achieved. */
export interface CloseReport {
  /** Messages handed to handlers or manual consumers while closing (buffered ones and replies produced meanwhile). */
  delivered: number;
  /** Messages reported to `onUndelivered` while closing: no handler matched, or the drain timed out. */
  undelivered: number;
  /** Publishes refused because their lane had closed, including publishers that were waiting for space. */
  rejectedPublishers: number;
  /** Whether `drainTimeoutMs` ran out before every lane was drained. */
  timedOut: boolean;
  /** How long the close took. */
  durationMs: number;
}
