import type { LaneName } from './messages.interface.js';

/** What closing achieved on one lane, in messages. */
export interface LaneCloseReport {
  /**
   * Handled while closing: every handler that takes the message finished it successfully (or, on a lane
   * without handlers, a manual consumer received it).
   */
  delivered: number;
  /** Reported to `onUndelivered` while closing, whatever the reason; each message once. */
  undelivered: number;
  /** Of `undelivered`: messages whose handler call was still running when the drain ran out of time. */
  abandonedInFlight: number;
}

/** What `MessageBusService.close()` achieved. */
export interface CloseReport {
  /** Messages handled while closing, all lanes together (see {@link LaneCloseReport.delivered}). */
  delivered: number;
  /** Messages reported to `onUndelivered` while closing, all lanes together. */
  undelivered: number;
  /** Publishes refused because their lane had closed, including publishers that were waiting for space. */
  rejectedPublishers: number;
  /** Whether `drainTimeoutMs` ran out before every lane was drained. */
  timedOut: boolean;
  /** How long the close took. */
  durationMs: number;
  /** The same counts per lane. */
  lanes: Record<LaneName, LaneCloseReport>;
}
