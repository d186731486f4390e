import 'reflect-metadata';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { AsyncLocalStorage } from 'node:async_hooks';
import { BusModule, MessageBusService, OnInbound } from '../../src/index.js';
import type { InboundMessage } from '../../src/index.js';
import { BusOpenTelemetry } from '../../src/opentelemetry/index.js';
import { startApp } from '../support/app.js';
import { RecordingSender as Sender } from '../support/sender.js';
import { inboundMessage } from '../support/messages.js';

const requestId = new AsyncLocalStorage<string>();

@Injectable()
class Agent {
  readonly requestIds: (string | undefined)[] = [];
  constructor(private readonly bus: MessageBusService) {}

  @OnInbound({ retry: { attempts: 2, backoffMs: 1 } })
  async handle(message: InboundMessage): Promise<void> {
    this.requestIds.push(requestId.getStore());
    if (message.content === 'fail') throw new TypeError('model unavailable');
    await this.bus.publishOutbound({ channel: message.channel, chatId: message.chatId, content: `echo: ${message.content}` });
  }
}


/** Collects on demand, as a Prometheus scrape would. */
class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const exporter = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});
afterEach(() => {
  exporter.reset();
  trace.disable();
});

function spanNamed(spans: ReadableSpan[], name: string, predicate: (span: ReadableSpan) => boolean = () => true): ReadableSpan {
  const found = spans.find((span) => span.name === name && predicate(span));
  if (found === undefined) throw new Error(`no span "${name}" among ${spans.map((span) => span.name).join(', ')}`);
  return found;
}

function isChildOf(child: ReadableSpan, parent: ReadableSpan): boolean {
  return child.parentSpanContext?.spanId === parent.spanContext().spanId && child.spanContext().traceId === parent.spanContext().traceId;
}

describe('BusOpenTelemetry', () => {
  it('traces webhook -> publish inbound -> process inbound -> publish outbound -> process outbound, and propagates the async context', async () => {
    const { bus, app } = await startApp([BusModule.forRoot({ telemetry: new BusOpenTelemetry({ tracerProvider }) })], [Agent, Sender]);
    const tracer = tracerProvider.getTracer('webhook');
    await tracer.startActiveSpan('POST /webhook', async (span) => {
      await requestId.run('req-42', () => bus.publishInbound(inboundMessage('hello', { chatId: 'chat-7' })));
      span.end();
    });
    await bus.idle();
    expect(app.get(Sender).sent).toEqual(['echo: hello']);
    expect(app.get(Agent).requestIds).toEqual(['req-42']);

    const spans = exporter.getFinishedSpans();
    const webhook = spanNamed(spans, 'POST /webhook');
    const publishInbound = spanNamed(spans, 'publish inbound');
    const processInbound = spanNamed(spans, 'process inbound');
    const publishOutbound = spanNamed(spans, 'publish outbound');
    const processOutbound = spanNamed(spans, 'process outbound');
    expect(isChildOf(publishInbound, webhook)).toBe(true);
    expect(isChildOf(processInbound, publishInbound)).toBe(true);
    expect(isChildOf(publishOutbound, processInbound)).toBe(true);
    expect(isChildOf(processOutbound, publishOutbound)).toBe(true);
    expect(publishInbound.kind).toBe(SpanKind.PRODUCER);
    expect(processInbound.kind).toBe(SpanKind.CONSUMER);
    expect(publishInbound.attributes).toMatchObject({
      'messaging.system': 'nestjs-agent-bus',
      'messaging.operation.name': 'publish',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'inbound',
      'messaging.message.conversation_id': 'chat-7',
      'nestjs_agent_bus.channel': 'telegram',
    });
    expect(processInbound.attributes).toMatchObject({
      'messaging.operation.name': 'process',
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'inbound',
      'messaging.consumer.group.name': 'Agent.handle',
      'nestjs_agent_bus.attempt': 1,
      'nestjs_agent_bus.outcome': 'delivered',
    });
    expect(processInbound.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('marks a failed call: one span whose retries are events, with error status and error.type', async () => {
    const { bus } = await startApp([BusModule.forRoot({ telemetry: new BusOpenTelemetry({ tracerProvider }) })], [Agent, Sender]);
    await bus.publishInbound(inboundMessage('fail'));
    await bus.idle();
    const processes = exporter.getFinishedSpans().filter((span) => span.name === 'process inbound');
    expect(processes).toHaveLength(1);
    const [span] = processes;
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'model unavailable' });
    expect(span.attributes).toMatchObject({ 'error.type': 'TypeError', 'nestjs_agent_bus.attempt': 2, 'nestjs_agent_bus.outcome': 'failed' });
    expect(span.events.map((event) => [event.name, event.attributes])).toEqual([
      ['retry', { 'nestjs_agent_bus.attempt': 1, 'error.type': 'TypeError' }],
      ['exception', expect.anything()],
    ]);
  });

  it('uses the global tracer provider once one is registered', async () => {
    trace.setGlobalTracerProvider(tracerProvider);
    const { bus } = await startApp([BusModule.forRoot({ telemetry: new BusOpenTelemetry() })], [Agent, Sender]);
    await bus.publishInbound(inboundMessage('hello'));
    await bus.idle();
    expect(exporter.getFinishedSpans().map((span) => span.name).sort()).toEqual(['process inbound', 'process outbound', 'publish inbound', 'publish outbound']);
  });

  it('switches itself off without a tracer or meter provider: no spans, and the bus works as without it', async () => {
    const telemetry = new BusOpenTelemetry();
    expect(telemetry.start({ lanes: () => [] })).toBe(false);
    const { bus, app } = await startApp([BusModule.forRoot({ telemetry })], [Agent, Sender]);
    await requestId.run('req-1', () => bus.publishInbound(inboundMessage('hello')));
    await bus.idle();
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(app.get(Sender).sent).toEqual(['echo: hello']);
  });

  it('records the process duration, the sent and consumed counters and the lane fill', async () => {
    const reader = new TestReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const { bus } = await startApp([BusModule.forRoot({ telemetry: new BusOpenTelemetry({ meterProvider }) })], [Agent, Sender]);
    for (const content of ['a', 'b', 'fail']) await bus.publishInbound(inboundMessage(content, { chatId: content }));
    await bus.idle();
    const { resourceMetrics } = await reader.collect();
    const all = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
    const metric = (name: string) => {
      const found = all.find((entry) => entry.descriptor.name === name);
      if (found === undefined) throw new Error(`no metric ${name} among ${all.map((entry) => entry.descriptor.name).join(', ')}`);
      return found.dataPoints as DataPoint<unknown>[];
    };
    const sent = metric('messaging.client.sent.messages').map((point) => [point.attributes['messaging.destination.name'], point.value]);
    expect(sent).toEqual(expect.arrayContaining([['inbound', 3], ['outbound', 2]]));
    const consumed = metric('messaging.client.consumed.messages').map((point) => [point.attributes['messaging.destination.name'], point.value]);
    expect(consumed).toEqual(expect.arrayContaining([['inbound', 2], ['outbound', 2]]));
    const durations = metric('messaging.process.duration') as DataPoint<Histogram>[];
    const failed = durations.find((point) => point.attributes['error.type'] === 'TypeError');
    expect(failed?.value.count).toBe(2); // both attempts
    const inboundOk = durations.find((point) => point.attributes['messaging.destination.name'] === 'inbound' && point.attributes['error.type'] === undefined);
    expect(inboundOk?.value.count).toBe(2);
    const fill = metric('nestjs_agent_bus.lane.fill').map((point) => [point.attributes['messaging.destination.name'], point.value]);
    expect(fill).toEqual(expect.arrayContaining([['inbound', 0], ['outbound', 0], ['outboundMedia', 0]]));
    await meterProvider.shutdown();
  });
});
