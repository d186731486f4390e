import type { CallOutcome, ObservedCall } from '../bus/bus-observer.interface.js';
import type { LaneName } from '../bus/messages.interface.js';

export type { CallOutcome, ObservedCall, PublishRejection } from '../bus/bus-observer.interface.js';

/** What an instrumentation may read from the bus while it runs. */
export interface InstrumentedBus {
  /** Every lane's fill now. */
  lanes(): readonly { readonly lane: LaneName; readonly size: number; readonly capacity: number }[];
}

/**
 * A tracing or metrics integration, given to `BusModule.forRoot({ telemetry })`: the OpenTelemetry one
 * comes from `nestjs-agent-bus/opentelemetry`. Its methods are called on the bus's hot path and must not
 * throw (the bus catches and logs what they throw, but pays for it).
 */
export interface BusInstrumentation {
  /**
   * Called once when the bus starts. Returns whether it records anything (an OpenTelemetry integration
   * without a registered provider does not); if not, the bus never calls it again and costs nothing.
   */
  start(bus: InstrumentedBus): boolean;
  /** A publish began, in the publisher's async context. What it returns travels with the message. */
  publishStarted(lane: LaneName, message: unknown): unknown;
  /** The publish that returned `token` was accepted (`error` undefined) or refused. */
  publishEnded(token: unknown, error?: unknown): void;
  /**
   * Runs one handler call: `invoke` must be called once, synchronously, and its result returned. `token`
   * is what {@link publishStarted} returned for the call's newest message, if it was observed.
   */
  runCall<R>(call: ObservedCall, token: unknown, invoke: () => R): R;
  /** The call ended; `durationMs` is how long it ran. */
  callEnded(call: ObservedCall, outcome: CallOutcome, durationMs: number): void;
  /** The bus closed. */
  stop?(): void;
}
