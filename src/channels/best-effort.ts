import type { Logger } from '@nestjs/common';
import { untilAborted } from '../bus/abort-signal.js';
import { describeError } from '../bus/describe.js';

/**
 * Runs a channel call whose failure must not stop anything (typing, a reaction, a placeholder edit): what it
 * throws is logged and becomes `undefined`; with a `signal`, it stops waiting once the signal aborts, even
 * for a call that never settles.
 */
export async function bestEffort<R>(logger: Logger, channel: string, what: string, run: () => R | Promise<R> | undefined, signal?: AbortSignal): Promise<R | undefined> {
  try {
    return await untilAborted(Promise.resolve(run()), signal);
  } catch (error) {
    logger.warn(`Channel "${channel}": ${what} failed: ${describeError(error)}`);
    return undefined;
  }
}
