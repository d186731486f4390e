import type { Type } from '@nestjs/common';
import type { StreamDelegate } from '../streaming/stream-delegate.interface.js';
import type { LaneMessages, LaneName } from './messages.interface.js';

/**
 * Why a message could not be delivered:
 * - `'no-handler'`: no handler of its lane takes its channel;
 * - `'shutdown-timeout'`: the drain ran out of time before it was handled;
 * - `'unreadable'`: it could not be read any more when its turn came (e.g. a `Proxy` revoked after it
 *   was published), so no handler could be chosen for it.
 */
export type UndeliveredReason = 'no-handler' | 'shutdown-timeout' | 'unreadable';

/** Receives every message the bus accepted but could not deliver. */
export type UndeliveredHandler = <L extends LaneName>(lane: L, message: LaneMessages[L], reason: UndeliveredReason) => void;

/** Options of `BusModule.forRoot()` and `BusModule.forRootAsync()`. */
export interface BusModuleOptions {
  /**
   * How many messages each lane buffers before publishers wait: one number for all lanes, or per lane.
   * @default 64
   */
  capacity?: number | Partial<Record<LaneName, number>>;
  /**
   * How long `close()` (and so `app.close()`) waits for the lanes to drain before it reports what is
   * left to `onUndelivered` as `'shutdown-timeout'`. `Infinity` waits as long as the drain takes;
   * delays beyond Node's timer limit (2^31 - 1 ms) are honoured too.
   * @default 10000
   */
  drainTimeoutMs?: number;
  /**
   * Called for every accepted message that could not be delivered. Whatever it does, the bus also logs
   * a warning, so nothing is lost silently.
   * @default none (the warning only)
   */
  onUndelivered?: UndeliveredHandler;
  /**
   * The stream delegate: a class (taken from the app's providers if registered there, else
   * instantiated with its dependencies injected) or an instance. Without it, the bus looks for a
   * provider registered under `STREAM_DELEGATE`.
   * @default none
   */
  streamDelegate?: Type<StreamDelegate> | StreamDelegate;
}
