import { BadRequestException, Catch, HttpException, ServiceUnavailableException } from '@nestjs/common';
import type { ArgumentsHost, HttpServer } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { BusClosedError } from '../bus/bus-closed.error.js';
import { isInstanceOf, readStringField } from '../bus/describe.js';
import { InvalidMessageError } from '../bus/invalid-message.error.js';

/**
 * For HTTP controllers that publish to the bus (a webhook, a web chat): turns the bus's errors into
 * the answers a client can act on, instead of a 500 with a stack trace.
 *
 * - `BusClosedError` (the app is shutting down): 503 with `Retry-After`, so the chat platform retries
 *   against another instance or after the restart.
 * - `InvalidMessageError`: 400 with the `field` and `lane`.
 * - An aborted publish (`AbortSignal.timeout()` ran out while the lane was full, or the request's own
 *   signal aborted): 503 with `Retry-After`.
 *
 * Anything else goes to Nest's own handling, as if the filter were not there. Use it on a controller
 * (`@UseFilters(BusExceptionFilter)`), or for the whole app (`{ provide: APP_FILTER, useClass:
 * BusExceptionFilter }`). Change the `Retry-After` delay by extending it and overriding `retryAfterSeconds`.
 */
@Catch()
export class BusExceptionFilter extends BaseExceptionFilter {
  /** Seconds a client is asked to wait before retrying a 503. */
  protected readonly retryAfterSeconds: number = 5;

  override catch(exception: unknown, host: ArgumentsHost): void {
    const translated = host.getType() === 'http' ? this.translate(exception) : undefined;
    if (translated === undefined) return super.catch(exception, host);
    if (translated.getStatus() === 503) {
      const adapter = this.adapter();
      adapter?.setHeader(host.switchToHttp().getResponse(), 'Retry-After', String(this.retryAfterSeconds));
    }
    super.catch(translated, host);
  }

  /** The HTTP answer for a bus error, or `undefined` for any other exception. */
  protected translate(exception: unknown): HttpException | undefined {
    if (isInstanceOf(exception, InvalidMessageError)) {
      return new BadRequestException({ statusCode: 400, error: 'Bad Request', message: exception.message, lane: exception.lane, field: exception.field });
    }
    if (isInstanceOf(exception, BusClosedError)) {
      return new ServiceUnavailableException({ statusCode: 503, error: 'Service Unavailable', message: 'The message bus is shutting down; retry later.' });
    }
    if (isAbort(exception)) {
      return new ServiceUnavailableException({ statusCode: 503, error: 'Service Unavailable', message: 'The message bus is busy; retry later.' });
    }
    return undefined;
  }

  private adapter(): HttpServer | undefined {
    return this.applicationRef ?? this.httpAdapterHost?.httpAdapter;
  }
}

/**
 * `AbortSignal.timeout()` rejects with a `TimeoutError`, `controller.abort()` with an `AbortError`. Known by
 * name: a `DOMException` may come from another realm than this module's.
 */
function isAbort(exception: unknown): boolean {
  if (typeof exception !== 'object' || exception === null) return false;
  const name = readStringField(exception, 'name');
  return name === 'TimeoutError' || name === 'AbortError';
}
