import type { Type } from '@nestjs/common';
import type { DispatchOptions } from '../dispatch/dispatch-options.interface.js';
import type { StreamDelegate } from '../streaming/stream-delegate.interface.js';
import type { LaneName } from '../bus/messages.interface.js';
import type { UndeliveredHandler } from '../bus/undelivered.interface.js';
import type { BusInstrumentation } from '../observability/bus-instrumentation.interface.js';
import type { BusTransport } from '../transport/bus-transport.interface.js';

/** Options of `BusModule.forRoot()` and `BusModule.forRootAsync()`. */
export interface BusModuleOptions {
  /**
   * How many messages each lane buffers before publishers wait: one number for all lanes, or per lane.
   * @default 64
   */
  capacity?: number | Partial<Record<LaneName, number>>;
  /**
   * How many messages of one ordering key (one chat, say) may wait or be handled at once on a lane with
   * handlers: a publisher of a key at its limit waits, while other keys' publishers go ahead, so a chat that
   * floods cannot hold up the others. One number for all lanes, or per lane.
   * @default a quarter of the lane's capacity, at least 1 (16 for the default capacity)
   */
  maxPendingPerKey?: number | Partial<Record<LaneName, number>>;
  /**
   * Dispatch options for every handler; a handler's own decorator options override them.
   * @default `{ concurrency: 8, onBusy: 'queue', debounceMs: 0 }`, ordered by session (inbound) or chat
   */
  handlerDefaults?: DispatchOptions;
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
  /**
   * A tracing and metrics integration, e.g. `new BusOpenTelemetry()` from `nestjs-agent-bus/opentelemetry`:
   * spans for publishes and handler calls, and metrics. It is asked once at startup whether it records
   * anything; if not (no tracer provider registered, say), it costs nothing.
   * @default none
   */
  telemetry?: BusInstrumentation;
  /**
   * Runs each handler call in the async context of the publish that produced its message, so that
   * `AsyncLocalStorage` values (a request id set by a CLS module or a logger, the active trace) set around
   * the publish are visible in the handler, as they would be had the handler been called directly.
   * @default true when `telemetry` records, else false
   */
  propagateContext?: boolean;
  /**
   * Where messages live between publish and handling when several instances share the work, e.g. Redis
   * Streams. Without it, the lanes are in this process's memory (the reference semantics).
   * @default none (in memory)
   */
  transport?: BusTransport;
}
