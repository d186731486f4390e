import type { Logger } from '@nestjs/common';
import { AsyncResource } from 'node:async_hooks';
import { BusClosedError } from '../bus/bus-closed.error.js';
import type { BusObserver, CallOutcome, ObservedCall, PublishRejection } from '../bus/bus-observer.interface.js';
import { describeError, isInstanceOf, readStringField } from '../bus/describe.js';
import type { LaneName } from '../bus/messages.interface.js';
import type { UndeliveredDetails, UndeliveredReason } from '../bus/undelivered.interface.js';
import { HandlerTimeoutError } from '../dispatch/handler-timeout.error.js';
import type { CloseReport } from '../bus/close-report.interface.js';
import type { BusEvent } from './bus-event.interface.js';
import type { BusInstrumentation, InstrumentedBus } from './bus-instrumentation.interface.js';
import { EventOutlet } from './event-outlet.js';
import { LatencyEstimator } from './latency-estimator.js';

/** What the bus remembers of an observed publish, for the calls that handle its message. */
interface Publication {
  /** `performance.now()` when the lane accepted it; 0 until then. */
  acceptedAt: number;
  /**
   * The publisher's async context (with `propagateContext`). An `AsyncResource` rather than
   * `AsyncLocalStorage.snapshot()`, which costs a hundred times more on Node 20.
   */
  readonly scope: AsyncResource | undefined;
  /** What the instrumentation returned for the publish. */
  readonly token: unknown;
}

/** How telemetry is set up when the bus starts. */
export interface TelemetrySetup {
  readonly instrumentation: BusInstrumentation | undefined;
  /** `undefined`: on when an instrumentation records. */
  readonly propagateContext: boolean | undefined;
}

/**
 * The bus's observer: turns what the lanes and the dispatcher report into events, latency figures, an
 * instrumentation's spans and metrics, and context propagation. While nobody listens and nothing is set
 * up, `active` is false and none of it runs.
 */
export class BusTelemetry implements BusObserver {
  private readonly outlet: EventOutlet;
  /**
   * Publications not yet claimed by a dispatcher, by message: a `Map` emptied as messages move on (claimed,
   * refused, reported undelivered), not a `WeakMap`, whose entries cost the garbage collector dearly.
   */
  private readonly pending = new Map<object, Publication>();
  /** Lanes with a dispatcher to claim publications; on the others, nothing is kept past acceptance. */
  private readonly claimed = new Set<LaneName>();
  private readonly latency = new Map<string, LatencyEstimator>();
  private instrumentation: BusInstrumentation | undefined = undefined;
  private propagate = false;
  private timingWanted = false;
  /** Whether something observes whatever the listeners do: timing, propagation or an instrumentation. */
  private always = false;
  wrapsCalls = false;

  constructor(private readonly logger: Logger) {
    this.outlet = new EventOutlet(logger);
  }

  get events$() {
    return this.outlet.events$;
  }

  get active(): boolean {
    return this.always || this.outlet.emitting;
  }

  get watchingPublishes(): boolean {
    return this.wrapsCalls || this.outlet.emitting;
  }

  get holding(): boolean {
    return this.pending.size > 0;
  }

  /** Fixes what wraps the handler calls; called once, before the first call is dispatched. */
  start(setup: TelemetrySetup, bus: InstrumentedBus, dispatchedLanes: readonly LaneName[]): void {
    for (const lane of dispatchedLanes) this.claimed.add(lane);
    const { instrumentation } = setup;
    if (instrumentation !== undefined && this.guard('start', () => instrumentation.start(bus)) === true) {
      this.instrumentation = instrumentation;
    }
    this.propagate = setup.propagateContext ?? this.instrumentation !== undefined;
    this.wrapsCalls = this.propagate || this.instrumentation !== undefined;
    this.refresh();
  }

  /** Starts timing every handler call, for the latency quantiles of `stats()`. */
  timeCalls(): void {
    this.timingWanted = true;
    this.refresh();
  }

  /** The call-duration quantiles of a handler; `null` before any timed call ended. */
  quantiles(lane: LaneName, handler: string): { p50Ms: number | null; p99Ms: number | null } {
    const estimator = this.latency.get(latencyKey(lane, handler));
    if (estimator === undefined) return { p50Ms: null, p99Ms: null };
    const now = performance.now();
    return { p50Ms: estimator.quantile(0.5, now), p99Ms: estimator.quantile(0.99, now) };
  }

  observePublish(lane: LaneName, message: unknown, signal: AbortSignal | undefined, publish: () => Promise<void>): Promise<void> {
    this.publishing(lane, message);
    return publish().then(undefined, (error: unknown) => {
      this.refused(lane, message, rejectionOf(error, signal), error);
      throw error;
    });
  }

  observeTryPublish(lane: LaneName, message: unknown, tryPublish: () => boolean): boolean {
    this.publishing(lane, message);
    try {
      return tryPublish();
    } catch (error) {
      this.refused(lane, message, rejectionOf(error, undefined), error);
      throw error;
    }
  }

  accepted(lane: LaneName, message: unknown): void {
    if (isObject(message)) this.remember(lane, message);
    if (this.outlet.emitting) {
      this.outlet.emit({ type: 'published', timestamp: Date.now(), lane, channel: channelOf(message), chatId: chatOf(message), message });
    }
  }

  claim(message: unknown): unknown {
    if (!isObject(message)) return undefined;
    const publication = this.pending.get(message);
    if (publication !== undefined) this.pending.delete(message);
    return publication;
  }

  callStarted(call: ObservedCall): void {
    call.startedAt = performance.now();
  }

  runCall<R>(call: ObservedCall, invoke: () => R): R {
    const publication = call.newestPublication as Publication | undefined;
    const { instrumentation } = this;
    const run = instrumentation === undefined ? invoke : () => instrumentation.runCall(call, publication?.token, invoke);
    return publication?.scope === undefined ? run() : publication.scope.runInAsyncScope(run);
  }

  callEnded(call: ObservedCall, outcome: CallOutcome): void {
    const now = performance.now();
    const durationMs = now - call.startedAt;
    if (outcome.type === 'delivered' || outcome.type === 'failed') this.estimator(call.lane, call.handler, now).record(durationMs, now);
    const { instrumentation } = this;
    if (instrumentation !== undefined) this.guard('callEnded', () => instrumentation.callEnded(call, outcome, durationMs));
    if (outcome.type !== 'abandoned' && this.outlet.emitting) this.outlet.emit(this.callEvent(call, outcome, durationMs));
  }

  undelivered(lane: LaneName, message: unknown, reason: UndeliveredReason, details: UndeliveredDetails): void {
    if (isObject(message) && this.pending.size > 0) this.pending.delete(message);
    if (!this.outlet.emitting) return;
    const { handler, error } = details;
    this.outlet.emit({ type: 'undelivered', timestamp: Date.now(), lane, channel: channelOf(message), chatId: chatOf(message), reason, handler, error, message });
  }

  closeStarted(timeoutMs: number): void {
    if (this.outlet.emitting) this.outlet.emit({ type: 'close-started', timestamp: Date.now(), timeoutMs });
  }

  closeCompleted(report: CloseReport): void {
    if (this.outlet.emitting) this.outlet.emit({ type: 'close-completed', timestamp: Date.now(), report });
    const { instrumentation } = this;
    if (instrumentation?.stop !== undefined) this.guard('stop', () => instrumentation.stop?.());
    this.outlet.complete();
  }

  private refresh(): void {
    this.always = this.timingWanted || this.wrapsCalls;
  }

  private publishing(lane: LaneName, message: unknown): void {
    const { instrumentation, propagate } = this;
    if (!isObject(message) || (instrumentation === undefined && !propagate)) return;
    const scope = propagate ? new AsyncResource('nestjs-agent-bus.publish') : undefined;
    const token = instrumentation === undefined ? undefined : this.guard('publishStarted', () => instrumentation.publishStarted(lane, message));
    this.pending.set(message, { acceptedAt: 0, scope, token });
  }

  /** Stamps the accepted message's publication (keeping one only where a dispatcher will claim it). */
  private remember(lane: LaneName, message: object): void {
    const publication = this.pending.get(message);
    const keep = this.claimed.has(lane);
    if (publication !== undefined) {
      publication.acceptedAt = performance.now();
      if (!keep) this.pending.delete(message);
      const { instrumentation } = this;
      if (instrumentation !== undefined && publication.token !== undefined) this.guard('publishEnded', () => instrumentation.publishEnded(publication.token));
    } else if (keep && this.outlet.emitting) {
      this.pending.set(message, { acceptedAt: performance.now(), scope: undefined, token: undefined });
    }
  }

  private refused(lane: LaneName, message: unknown, reason: PublishRejection, error: unknown): void {
    const publication = isObject(message) ? this.pending.get(message) : undefined;
    const { instrumentation } = this;
    if (publication !== undefined && publication.acceptedAt === 0) {
      this.pending.delete(message as object);
      if (instrumentation !== undefined && publication.token !== undefined) this.guard('publishEnded', () => instrumentation.publishEnded(publication.token, error));
    }
    if (this.outlet.emitting) {
      this.outlet.emit({ type: 'publish-rejected', timestamp: Date.now(), lane, channel: channelOf(message), chatId: chatOf(message), reason, error, message });
    }
  }

  /** Written out field by field: object spread here cost microseconds per event. */
  private callEvent(call: ObservedCall, outcome: Exclude<CallOutcome, { type: 'abandoned' }>, durationMs: number): BusEvent {
    const { lane, handler, key, attempt, message, messages } = call;
    const timestamp = Date.now();
    const channel = channelOf(message);
    const chatId = chatOf(message);
    if (outcome.type === 'delivered') {
      const waitedMs = this.waitedMs(call);
      return { type: 'delivered', timestamp, lane, channel, chatId, handler, key, attempt, message, messages, durationMs, waitedMs };
    }
    const { error } = outcome;
    if (outcome.type === 'superseded') return { type: 'superseded', timestamp, lane, channel, chatId, handler, key, attempt, message, messages, durationMs, error };
    const type = isInstanceOf(error, HandlerTimeoutError) ? 'handler-timeout' : 'handler-failed';
    const { willRetry } = outcome;
    return { type, timestamp, lane, channel, chatId, handler, key, attempt, message, messages, durationMs, error, willRetry };
  }

  /** From the oldest message's acceptance to the call's start; 0 when it was accepted before anyone observed. */
  private waitedMs(call: ObservedCall): number {
    const acceptedAt = (call.oldestPublication as Publication | undefined)?.acceptedAt ?? 0;
    return acceptedAt === 0 ? 0 : Math.max(0, call.startedAt - acceptedAt);
  }

  private estimator(lane: LaneName, handler: string, now: number): LatencyEstimator {
    const key = latencyKey(lane, handler);
    let estimator = this.latency.get(key);
    if (estimator === undefined) this.latency.set(key, (estimator = new LatencyEstimator(now)));
    return estimator;
  }

  /** Runs an instrumentation hook; what it throws is logged, never passed on to the bus. */
  private guard<R>(hook: string, run: () => R): R | undefined {
    try {
      return run();
    } catch (error) {
      this.logger.error(`The bus telemetry's ${hook} threw`, describeError(error));
      return undefined;
    }
  }
}

function latencyKey(lane: LaneName, handler: string): string {
  return `${lane}\u0000${handler}`;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function channelOf(message: unknown): string | undefined {
  return readStringField(message, 'channel');
}

function chatOf(message: unknown): string | undefined {
  return readStringField(message, 'chatId');
}

function rejectionOf(error: unknown, signal: AbortSignal | undefined): PublishRejection {
  if (isInstanceOf(error, BusClosedError)) return 'closed';
  return signal?.aborted === true && error === signal.reason ? 'aborted' : 'invalid';
}
