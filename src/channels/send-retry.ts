import { isInstanceOf } from '../bus/describe.js';
import { nonNegativeNumberField, retryAfterMsOf } from '../bus/retry-after.js';
import { NonRetriableError } from '../dispatch/non-retriable.error.js';
import type { ChannelRetryOptions } from './bus-channel-options.interface.js';
import { ChannelPermanentError } from './channel-permanent.error.js';
import { ChannelRateLimitError } from './channel-rate-limit.error.js';

/** Retry options with their defaults, as the original's channel manager has them. */
export type ResolvedChannelRetry = Required<ChannelRetryOptions>;

export const DEFAULT_CHANNEL_RETRY: ResolvedChannelRetry = Object.freeze({ attempts: 4, rateLimitDelayMs: 1000, backoffMs: 500, maxBackoffMs: 8000 });

/** How an error from `send` is treated. */
export type SendErrorClass = 'permanent' | 'rate-limit' | 'temporary';

/**
 * Classifies a send error: the exported classes say it outright; otherwise an HTTP status on the error
 * (`status` or `statusCode`, as HTTP clients and chat SDKs set it) decides: 429 is a rate limit, another
 * 4xx permanent; a numeric `retryAfterMs` means a rate limit; anything else counts as temporary.
 */
export function classifySendError(error: unknown): SendErrorClass {
  if (isInstanceOf(error, ChannelPermanentError) || isInstanceOf(error, NonRetriableError)) return 'permanent';
  if (isInstanceOf(error, ChannelRateLimitError)) return 'rate-limit';
  const status = nonNegativeNumberField(error, 'status') ?? nonNegativeNumberField(error, 'statusCode');
  if (status === 429 || retryAfterMsOf(error) !== undefined) return 'rate-limit';
  if (status !== undefined && status >= 400 && status < 500) return 'permanent';
  return 'temporary';
}

/** How long to wait before the next attempt after `attempt` failed, or `undefined` when it must not be retried. */
export function sendRetryDelay(retry: ResolvedChannelRetry, attempt: number, error: unknown): number | undefined {
  if (attempt >= retry.attempts) return undefined;
  switch (classifySendError(error)) {
    case 'permanent':
      return undefined;
    case 'rate-limit':
      return retryAfterMsOf(error) ?? retry.rateLimitDelayMs;
    case 'temporary':
      return Math.min(retry.maxBackoffMs, retry.backoffMs * 2 ** (attempt - 1));
  }
}
