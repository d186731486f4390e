import { isInstanceOf } from '../bus/describe.js';
import { retryAfterMsOf } from '../bus/retry-after.js';
import type { ResolvedDispatchOptions } from './dispatch-options.js';
import { HandlerRejectedError } from '../context/handler-rejected.error.js';
import { NonRetriableError } from './non-retriable.error.js';

/**
 * How long to wait before the next attempt after `attempt` failed with `error`, or `undefined` when it
 * must not be retried: no retry policy, attempts used up, a `NonRetriableError`, or `retryIf` says no
 * (or throws). An error carrying a numeric `retryAfterMs` (a chat API's 429, say) is waited for exactly;
 * otherwise the backoff doubles from `backoffMs` up to `maxBackoffMs`, with full jitter.
 */
export function retryDelay(retry: ResolvedDispatchOptions['retry'], attempt: number, error: unknown): number | undefined {
  if (retry === undefined || attempt >= retry.attempts || isInstanceOf(error, NonRetriableError)) return undefined;
  if (isInstanceOf(error, HandlerRejectedError)) return undefined; // refused by a guard or pipe: it would be again
  if (retry.retryIf !== undefined && !safeRetryIf(retry.retryIf, error)) return undefined;
  const retryAfter = retryAfterMsOf(error);
  if (retryAfter !== undefined) return retryAfter;
  const backoff = Math.min(retry.maxBackoffMs, retry.backoffMs * 2 ** (attempt - 1));
  return retry.jitter ? Math.random() * backoff : backoff;
}

function safeRetryIf(retryIf: (error: unknown) => boolean, error: unknown): boolean {
  try {
    return retryIf(error) === true;
  } catch {
    return false; // a predicate that cannot decide does not earn a retry
  }
}
