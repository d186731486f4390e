import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { config } from 'rxjs';
import type { Subscription } from 'rxjs';
import {
  BUS_EVENTS_CHANNEL,
  BusClosedError,
  BusModule,
  HandlerTimeoutError,
  OnInbound,
  SupersededError,
} from '../../src/index.js';
import type { BusContext, BusEvent, BusEventType, InboundMessage } from '../../src/index.js';
import { startApp } from '../support/app.js';
import { RecordingSender as Sender } from '../support/sender.js';
import { busWithHandler, sleep } from '../support/dispatch.js';
import { eventually, inboundMessage, outboundMessage } from '../support/messages.js';

/** An agent scripted by message content: 'ok', 'flaky' (fails once), 'bad' (always fails), 'hang' (never ends). */
@Injectable()
class ScriptedAgent {
  private readonly failedOnce = new Set<string>();

  @OnInbound({ retry: { attempts: 2, backoffMs: 1 }, timeoutMs: 200 })
  async handle(message: InboundMessage, ctx: BusContext<InboundMessage>): Promise<void> {
    if (message.content === 'bad') throw new Error('always fails');
    if (message.content === 'flaky' && !this.failedOnce.has(message.chatId)) {
      this.failedOnce.add(message.chatId);
      throw new Error('fails once');
    }
    if (message.content === 'hang') await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
  }
}


function record(events: BusEvent[]) {
  return {
    next: (event: BusEvent) => events.push(event),
  };
}

function count(events: BusEvent[], type: BusEventType, lane?: string): number {
  return events.filter((event) => event.type === type && (lane === undefined || ('lane' in event && event.lane === lane))).length;
}

const subscriptions: Subscription[] = [];
afterEach(() => {
  for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
  config.onUnhandledError = null;
});

describe('events$ and stats()', () => {
  it('agree with a scripted run: deliveries, failures, retries, timeouts, rejections and the close', async () => {
    const { app, bus } = await startApp([BusModule.forRoot()], [ScriptedAgent, Sender]);
    const events: BusEvent[] = [];
    subscriptions.push(bus.events$.subscribe(record(events)));

    const contents = ['ok', 'ok', 'flaky', 'bad', 'hang', 'ok'];
    await Promise.all(contents.map((content, i) => bus.publishInbound(inboundMessage(content, { chatId: `chat-${i}` }))));
    await bus.publishOutbound(outboundMessage('reply'));
    await expect(bus.publishInbound({ channel: 'telegram' } as InboundMessage)).rejects.toThrow();
    const aborted = new AbortController();
    aborted.abort(new Error('gave up'));
    await expect(bus.publishInbound(inboundMessage('late'), { signal: aborted.signal })).rejects.toThrow('gave up');
    await bus.idle();

    const stats = bus.stats();
    expect(stats.closing).toBe(false);
    expect(stats.lanes.inbound).toEqual({
      size: 0,
      capacity: 64,
      waitingPublishers: 0,
      published: 6,
      delivered: 4, // ok, ok, flaky (on its retry), ok
      failed: 5, // flaky once, bad twice, hang twice
      undelivered: 2, // bad, hang
    });
    expect(stats.lanes.outbound).toMatchObject({ published: 1, delivered: 1, failed: 0, undelivered: 0 });
    // The events tell the same story.
    expect(count(events, 'published', 'inbound')).toBe(stats.lanes.inbound.published);
    const delivered = events.filter((event) => event.type === 'delivered' && event.lane === 'inbound');
    expect(delivered.reduce((sum, event) => sum + (event.type === 'delivered' ? event.messages.length : 0), 0)).toBe(4);
    expect(count(events, 'handler-failed') + count(events, 'handler-timeout')).toBe(stats.lanes.inbound.failed);
    expect(count(events, 'undelivered')).toBe(stats.lanes.inbound.undelivered);

    const flaky = events.filter((event) => event.type !== 'published' && 'chatId' in event && event.chatId === 'chat-2');
    expect(flaky.map((event) => event.type)).toEqual(['handler-failed', 'delivered']);
    expect(flaky[0]).toMatchObject({ handler: 'ScriptedAgent.handle', attempt: 1, willRetry: true, key: 'telegram:chat-2' });
    expect(flaky[1]).toMatchObject({ attempt: 2, channel: 'telegram', chatId: 'chat-2' });
    const hang = events.filter((event) => event.type !== 'published' && 'chatId' in event && event.chatId === 'chat-4');
    expect(hang.map((event) => event.type)).toEqual(['handler-timeout', 'handler-timeout', 'undelivered']);
    expect(hang[0]).toMatchObject({ willRetry: true, error: expect.any(HandlerTimeoutError) });
    expect(hang[2]).toMatchObject({ reason: 'handler-timeout', handler: 'ScriptedAgent.handle' });
    for (const event of delivered) {
      if (event.type !== 'delivered') continue;
      expect(event.durationMs).toBeGreaterThanOrEqual(0);
      expect(event.waitedMs).toBeGreaterThanOrEqual(0);
    }
    expect(events.filter((event) => event.type === 'publish-rejected').map((event) => event.type === 'publish-rejected' && event.reason)).toEqual(['invalid', 'aborted']);

    const handler = stats.handlers.find((entry) => entry.handler === 'ScriptedAgent.handle');
    expect(handler).toMatchObject({ lane: 'inbound', inFlight: 0, queuedKeys: 0, queuedMessages: 0, concurrency: 8 });
    expect(handler?.p50Ms).toEqual(expect.any(Number));
    expect(handler?.p99Ms).toBeGreaterThanOrEqual(150); // the timed-out calls ran 200 ms

    let completed = false;
    subscriptions.push(bus.events$.subscribe({ complete: () => (completed = true) }));
    await app.close();
    await expect(bus.publishInbound(inboundMessage('after'))).rejects.toBeInstanceOf(BusClosedError);
    const tail = events.slice(-2);
    expect(tail.map((event) => event.type)).toEqual(['close-started', 'close-completed']);
    expect(tail[1]).toMatchObject({ report: { timedOut: false, undelivered: 0 } });
    expect(completed).toBe(true);
    expect(bus.stats().closing).toBe(true);
  });

  it('reports a publish refused by a closed lane, and one aborted while it waited for room', async () => {
    const bus = busWithHandler(() => new Promise(() => undefined), { concurrency: 1 }, { capacity: 1, drainTimeoutMs: 0 });
    const events: BusEvent[] = [];
    subscriptions.push(bus.events$.subscribe(record(events)));
    await bus.publishInbound(inboundMessage('running', { chatId: 'a' }));
    await bus.publishInbound(inboundMessage('buffered', { chatId: 'b' }));
    const controller = new AbortController();
    const waiting = bus.publishInbound(inboundMessage('waiting', { chatId: 'c' }), { signal: controller.signal });
    controller.abort(new Error('timeout'));
    await expect(waiting).rejects.toThrow('timeout');
    const closedWhileWaiting = expect(bus.publishInbound(inboundMessage('waiting too', { chatId: 'd' }))).rejects.toBeInstanceOf(BusClosedError);
    await bus.close();
    await closedWhileWaiting;
    const rejected = events.filter((event) => event.type === 'publish-rejected');
    expect(rejected.map((event) => event.type === 'publish-rejected' && [event.chatId, event.reason])).toEqual([
      ['c', 'aborted'],
      ['d', 'closed'],
    ]);
  });

  it('shows what each handler holds: calls in flight, keys and messages waiting', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const bus = busWithHandler(() => gate, { concurrency: 1 });
    for (const chatId of ['a', 'a', 'a', 'b', 'b']) await bus.publishInbound(inboundMessage('hi', { chatId }));
    const [handler] = bus.stats().handlers;
    expect(handler).toMatchObject({ handler: 'Agent.handle', inFlight: 1, queuedKeys: 2, queuedMessages: 4, concurrency: 1 });
    expect(bus.stats().lanes.inbound).toMatchObject({ published: 5, delivered: 0 });
    release();
    await bus.idle();
    expect(bus.stats().handlers[0]).toMatchObject({ inFlight: 0, queuedKeys: 0, queuedMessages: 0 });
    expect(bus.stats().lanes.inbound.delivered).toBe(5);
    await bus.close();
  });

  it('emits superseded when a newer message interrupts a call', async () => {
    const bus = busWithHandler(
      (_message, ctx) => new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve())).then(() => undefined),
      { onBusy: 'interrupt' },
    );
    const events: BusEvent[] = [];
    subscriptions.push(bus.events$.subscribe(record(events)));
    await bus.publishInbound(inboundMessage('first'));
    await bus.publishInbound(inboundMessage('second'));
    await eventually(() => count(events, 'superseded') === 1);
    const superseded = events.find((event) => event.type === 'superseded');
    expect(superseded).toMatchObject({ key: 'telegram:chat-1', message: { content: 'first' }, error: expect.any(SupersededError) });
    await bus.close({ timeoutMs: 0 });
  });

  it('a subscriber that throws changes nothing: delivery, counts and the other subscribers go on', async () => {
    const unhandled: unknown[] = [];
    config.onUnhandledError = (error) => unhandled.push(error);
    const handled: string[] = [];
    const bus = busWithHandler((message) => void handled.push(message.content));
    subscriptions.push(
      bus.events$.subscribe(() => {
        throw new Error('subscriber bug');
      }),
    );
    const events: BusEvent[] = [];
    subscriptions.push(bus.events$.subscribe(record(events)));
    for (let i = 0; i < 20; i++) await bus.publishInbound(inboundMessage(`m${i}`, { chatId: `c${i % 3}` }));
    await bus.idle();
    expect(handled).toHaveLength(20);
    expect(count(events, 'published')).toBe(20);
    expect(count(events, 'delivered')).toBe(20);
    expect(bus.stats().lanes.inbound).toMatchObject({ published: 20, delivered: 20, failed: 0, undelivered: 0 });
    await bus.close();
    await eventually(() => unhandled.length === 42); // 20 published, 20 delivered, close-started, close-completed
  });

  it('publishes the same events on the diagnostics channel', async () => {
    const seen: BusEvent[] = [];
    const onMessage = (event: unknown) => void seen.push(event as BusEvent);
    subscribe(BUS_EVENTS_CHANNEL, onMessage);
    try {
      const bus = busWithHandler(() => undefined);
      await bus.publishInbound(inboundMessage('hi'));
      await bus.idle();
      await bus.close();
      expect(seen.map((event) => event.type)).toEqual(['published', 'delivered', 'close-started', 'close-completed']);
    } finally {
      unsubscribe(BUS_EVENTS_CHANNEL, onMessage);
    }
  });

  it('is hot: a late subscriber sees only what happens after it subscribed', async () => {
    const bus = busWithHandler(() => undefined);
    await bus.publishInbound(inboundMessage('before'));
    await bus.idle();
    const events: BusEvent[] = [];
    subscriptions.push(bus.events$.subscribe(record(events)));
    await bus.publishInbound(inboundMessage('after'));
    await bus.idle();
    expect(events.map((event) => event.type === 'published' && (event.message as InboundMessage).content)).toEqual(['after', false]);
    await bus.close();
  });

  it('times calls from the first stats() on: quantiles are null before any timed call ended', async () => {
    const bus = busWithHandler(() => sleep(20));
    await bus.publishInbound(inboundMessage('untimed'));
    await bus.idle();
    expect(bus.stats().handlers[0]).toMatchObject({ p50Ms: null, p99Ms: null });
    for (let i = 0; i < 5; i++) await bus.publishInbound(inboundMessage('timed', { chatId: `c${i}` }));
    await bus.idle();
    const { p50Ms, p99Ms } = bus.stats().handlers[0];
    expect(p50Ms).toBeGreaterThanOrEqual(15);
    expect(p99Ms).toBeGreaterThanOrEqual(p50Ms as number);
    await bus.close();
  });
});
