import type { LaneMessages, LaneName } from './messages.interface.js';

/**
 * Why a message could not be delivered:
 * - `'no-handler'`: no handler of its lane takes its channel;
 * - `'shutdown-timeout'`: the drain ran out of time before it was handled;
 * - `'unreadable'`: it could not be read any more when its turn came (e.g. a `Proxy` revoked after it
 *   was published), so no handler could be chosen for it;
 * - `'handler-failed'`: a handler failed on it, after its last attempt or with an error not to retry;
 * - `'handler-timeout'`: a handler's last attempt took longer than its `timeoutMs`;
 * - `'handler-rejected'`: a guard denied it, or a pipe refused it, so the handler never ran (not retried);
 * - `'send-failed'`: a `@BusChannel`'s `send` kept failing after its retries; the message reported holds only
 *   the parts not sent.
 */
export type UndeliveredReason =
  | 'no-handler'
  | 'shutdown-timeout'
  | 'unreadable'
  | 'handler-failed'
  | 'handler-timeout'
  | 'handler-rejected'
  | 'send-failed';

/** What else is known about an undelivered message. */
export interface UndeliveredDetails {
  /** The handler that failed (`Class.method`), for `'handler-failed'`, `'handler-timeout'`, and a call cut off by shutdown. */
  handler?: string;
  /** What the handler threw (a `HandlerTimeoutError` on timeout). */
  error?: unknown;
}

/** Receives every message the bus accepted but could not deliver. */
export type UndeliveredHandler = <L extends LaneName>(
  lane: L,
  message: LaneMessages[L],
  reason: UndeliveredReason,
  details: UndeliveredDetails,
) => void;
