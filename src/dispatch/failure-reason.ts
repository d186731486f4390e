import { isInstanceOf } from '../bus/describe.js';
import type { UndeliveredReason } from '../bus/undelivered.interface.js';
import { HandlerRejectedError } from '../context/handler-rejected.error.js';
import { DeliveryFailedError } from './delivery-failed.error.js';
import { HandlerTimeoutError } from './handler-timeout.error.js';

/** How a handler's final failure is reported: timed out, refused by a guard or pipe, or failed. */
export function failureReason(error: unknown): UndeliveredReason {
  if (isInstanceOf(error, HandlerTimeoutError)) return 'handler-timeout';
  if (isInstanceOf(error, DeliveryFailedError)) return error.reason;
  return isInstanceOf(error, HandlerRejectedError) ? 'handler-rejected' : 'handler-failed';
}
