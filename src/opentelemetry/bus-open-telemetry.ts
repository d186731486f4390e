import { SpanKind, SpanStatusCode, context, createNoopMeter, metrics, trace } from '@opentelemetry/api';
import type { Attributes, Context, Counter, Histogram, Meter, MeterProvider, Span, Tracer, TracerProvider } from '@opentelemetry/api';
import { readStringField } from '../bus/describe.js';
import type { LaneName } from '../bus/messages.interface.js';
import type { BusInstrumentation, CallOutcome, InstrumentedBus, ObservedCall } from '../observability/bus-instrumentation.interface.js';
import type { BusOpenTelemetryOptions } from './bus-open-telemetry-options.interface.js';
import { ATTR, METRIC } from './semantic-attributes.js';

const SCOPE = 'nestjs-agent-bus';

/** What travels with a published message: its producer span, and the context consumers continue. */
interface PublishToken {
  readonly lane: LaneName;
  readonly span: Span | undefined;
  readonly context: Context;
}

interface Instruments {
  duration: Histogram;
  sent: Counter;
  consumed: Counter;
}

/**
 * OpenTelemetry for the bus, after the messaging semantic conventions: a PRODUCER span `publish {lane}`
 * per publish and a CONSUMER span `process {lane}` per handler and message (its retries are events on
 * it), whose parent is the publisher's context, so one trace runs from the webhook through the agent to
 * the reply; and the metrics `messaging.process.duration`, `messaging.client.sent.messages`,
 * `messaging.client.consumed.messages` and `nestjs_agent_bus.lane.fill`.
 *
 * `BusModule.forRoot({ telemetry: new BusOpenTelemetry() })`. Without a registered tracer or meter
 * provider it switches itself off when the bus starts, and costs nothing.
 */
export class BusOpenTelemetry implements BusInstrumentation {
  private tracer: Tracer | undefined = undefined;
  private instruments: Instruments | undefined = undefined;
  private readonly system: string;
  /** The CONSUMER span of each batch of messages, kept across the attempts at it until the last one ends. */
  private readonly spans = new Map<object, Span>();

  constructor(private readonly options: BusOpenTelemetryOptions = {}) {
    this.system = options.messagingSystem ?? SCOPE;
  }

  start(bus: InstrumentedBus): boolean {
    const tracerProvider = this.options.tracerProvider ?? trace.getTracerProvider();
    if (isRegistered(tracerProvider)) this.tracer = tracerProvider.getTracer(SCOPE);
    const meter = (this.options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE);
    if (meter !== createNoopMeter()) this.instruments = this.createInstruments(meter, bus);
    return this.tracer !== undefined || this.instruments !== undefined;
  }

  publishStarted(lane: LaneName, message: unknown): PublishToken {
    const parent = context.active();
    const span = this.tracer?.startSpan(`publish ${lane}`, { kind: SpanKind.PRODUCER, attributes: this.messageAttributes(lane, message, 'publish', 'send') }, parent);
    return { lane, span, context: span === undefined ? parent : trace.setSpan(parent, span) };
  }

  publishEnded(token: unknown, error?: unknown): void {
    const { lane, span } = token as PublishToken;
    if (error === undefined) this.instruments?.sent.add(1, this.metricAttributes(lane, 'publish'));
    if (span === undefined) return;
    if (error !== undefined) failSpan(span, error);
    span.end();
  }

  runCall<R>(call: ObservedCall, token: unknown, invoke: () => R): R {
    const tracer = this.tracer;
    if (tracer === undefined) return invoke();
    const parent = (token as PublishToken | undefined)?.context ?? context.active();
    let span = this.spans.get(call.batch);
    if (span === undefined) {
      const attributes = this.messageAttributes(call.lane, call.message, 'process', 'process');
      attributes[ATTR.CONSUMER_GROUP] = call.handler;
      if (call.messages.length > 1) attributes[ATTR.BATCH_COUNT] = call.messages.length;
      span = tracer.startSpan(`process ${call.lane}`, { kind: SpanKind.CONSUMER, attributes }, parent);
      this.spans.set(call.batch, span);
    }
    span.setAttribute(ATTR.ATTEMPT, call.attempt);
    return context.with(trace.setSpan(parent, span), invoke);
  }

  callEnded(call: ObservedCall, outcome: CallOutcome, durationMs: number): void {
    this.recordCall(call, outcome, durationMs);
    const span = this.spans.get(call.batch);
    if (span === undefined) return;
    if (outcome.type === 'failed' && outcome.willRetry) {
      span.addEvent('retry', { [ATTR.ATTEMPT]: call.attempt, [ATTR.ERROR_TYPE]: errorType(outcome.error) });
      return;
    }
    this.spans.delete(call.batch);
    span.setAttribute(ATTR.OUTCOME, outcome.type);
    if (outcome.type === 'failed' || outcome.type === 'abandoned') failSpan(span, outcome.error);
    span.end();
  }

  private recordCall(call: ObservedCall, outcome: CallOutcome, durationMs: number): void {
    const instruments = this.instruments;
    if (instruments === undefined || outcome.type === 'superseded') return;
    const attributes = this.metricAttributes(call.lane, 'process');
    attributes[ATTR.CONSUMER_GROUP] = call.handler;
    if (outcome.type !== 'delivered') attributes[ATTR.ERROR_TYPE] = errorType(outcome.error);
    instruments.duration.record(durationMs / 1000, attributes);
    if (outcome.type === 'delivered') instruments.consumed.add(call.messages.length, attributes);
  }

  private createInstruments(meter: Meter, bus: InstrumentedBus): Instruments {
    const fill = meter.createObservableGauge(METRIC.LANE_FILL, { description: 'How full each lane is, from 0 to 1', unit: '1' });
    fill.addCallback((result) => {
      for (const { lane, size, capacity } of bus.lanes()) result.observe(size / capacity, { [ATTR.MESSAGING_SYSTEM]: this.system, [ATTR.DESTINATION_NAME]: lane });
    });
    return {
      duration: meter.createHistogram(METRIC.PROCESS_DURATION, { description: 'Duration of handler calls', unit: 's' }),
      sent: meter.createCounter(METRIC.SENT_MESSAGES, { description: 'Messages the lanes accepted', unit: '{message}' }),
      consumed: meter.createCounter(METRIC.CONSUMED_MESSAGES, { description: 'Messages handlers handled', unit: '{message}' }),
    };
  }

  private messageAttributes(lane: LaneName, message: unknown, operation: string, type: string): Attributes {
    const attributes: Attributes = {
      [ATTR.MESSAGING_SYSTEM]: this.system,
      [ATTR.OPERATION_NAME]: operation,
      [ATTR.OPERATION_TYPE]: type,
      [ATTR.DESTINATION_NAME]: lane,
    };
    const chatId = readStringField(message, 'chatId');
    const channel = readStringField(message, 'channel');
    if (chatId !== undefined) attributes[ATTR.CONVERSATION_ID] = chatId;
    if (channel !== undefined) attributes[ATTR.CHANNEL] = channel;
    return attributes;
  }

  private metricAttributes(lane: LaneName, operation: string): Attributes {
    return { [ATTR.MESSAGING_SYSTEM]: this.system, [ATTR.OPERATION_NAME]: operation, [ATTR.DESTINATION_NAME]: lane };
  }
}

/** Whether spans from this provider go anywhere: the global proxy has no delegate until an SDK registers one. */
function isRegistered(provider: TracerProvider): boolean {
  const proxy = provider as TracerProvider & { getDelegateTracer?: (name: string) => Tracer | undefined };
  return typeof proxy.getDelegateTracer !== 'function' || proxy.getDelegateTracer(SCOPE) !== undefined;
}

function errorType(error: unknown): string {
  if (error instanceof Error) return error.name === 'Error' ? error.constructor.name : error.name;
  return typeof error === 'string' ? error : '_OTHER';
}

function failSpan(span: Span, error: unknown): void {
  span.setAttribute(ATTR.ERROR_TYPE, errorType(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  if (error instanceof Error) span.recordException(error);
}
