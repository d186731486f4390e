import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { BusClosedError, Lane } from '../../src/index.js';
import type { InboundMessage } from '../../src/index.js';
import { MessageBusService } from '../../src/index.js';

const inbound = (n: number): InboundMessage => ({ channel: 'test', senderId: 'user', chatId: 'chat', content: `m${n}` });

/** Publishes until the lane is full, as the Go tests do with 64 messages. */
function fill(lane: Lane<InboundMessage>): void {
  for (let i = 0; i < lane.capacity; i++) expect(lane.tryPublish(inbound(i))).toBe(true);
  expect(lane.tryPublish(inbound(lane.capacity))).toBe(false);
}

async function settled(promise: Promise<unknown>): Promise<'pending' | 'resolved' | 'rejected'> {
  const marker = Symbol('pending');
  const outcome = await Promise.race([
    promise.then(
      () => 'resolved' as const,
      () => 'rejected' as const,
    ),
    new Promise<typeof marker>((resolve) => setImmediate(() => resolve(marker))),
  ]);
  return outcome === marker ? 'pending' : outcome;
}

// The bus is used without an app here; its close reports would only clutter the output.
beforeAll(() => Logger.overrideLogger(false));
afterAll(() => Logger.overrideLogger(true));

describe('Lane (the Go bus tests, translated)', () => {
  it('publishes and receives inbound messages', async () => {
    const bus = new MessageBusService();
    const message: InboundMessage = { channel: 'test', senderId: 'user1', chatId: 'chat1', content: 'hello' };
    await bus.publishInbound(message);
    await expect(bus.inbound.receive()).resolves.toBe(message);
  });

  it('publishes and receives outbound messages', async () => {
    const bus = new MessageBusService();
    const message = { channel: 'telegram', chatId: '123', content: 'world' };
    await bus.publishOutbound(message);
    await expect(bus.outbound.receive()).resolves.toBe(message);
  });

  it('rejects with the abort reason when the lane is full and the signal is already aborted', async () => {
    const bus = new MessageBusService({ capacity: 64 });
    fill(bus.inbound);
    const controller = new AbortController();
    controller.abort();
    const error = await bus.publishInbound(inbound(99), { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBe(controller.signal.reason);
    expect((error as DOMException).name).toBe('AbortError');
    expect(bus.inbound.size).toBe(64);
  });

  it('rejects publishes after close with BusClosedError, inbound and outbound', async () => {
    const bus = new MessageBusService();
    await bus.close();
    await expect(bus.publishInbound(inbound(1))).rejects.toThrow(BusClosedError);
    await expect(bus.publishInbound(inbound(1))).rejects.toThrow('message bus closed');
    await expect(bus.publishOutbound({ channel: 'test', chatId: '1', content: 'x' })).rejects.toBeInstanceOf(BusClosedError);
  });

  it('times out a publish on a full lane after ~100 ms, and the overflow message never appears', async () => {
    const lane = new Lane<InboundMessage>('inbound', 64);
    fill(lane);
    const overflow = inbound(1000);
    const started = performance.now();
    const error = await lane.publish(overflow, { signal: AbortSignal.timeout(100) }).catch((e: unknown) => e);
    expect((error as DOMException).name).toBe('TimeoutError');
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    lane.close();
    const seen: InboundMessage[] = [];
    for await (const message of lane) seen.push(message);
    expect(seen).toHaveLength(64);
    expect(seen).not.toContain(overflow);
  });

  it('resolves a pending receive with undefined when the lane closes', async () => {
    const lane = new Lane<InboundMessage>('inbound', 4);
    const pending = lane.receive();
    expect(await settled(pending)).toBe('pending');
    lane.close();
    await expect(pending).resolves.toBeUndefined();
  });

  it('resolves receive on a closed empty lane with undefined at once', async () => {
    const lane = new Lane<InboundMessage>('inbound', 4);
    lane.close();
    expect(await settled(lane.receive())).toBe('resolved');
    await expect(lane.receive()).resolves.toBeUndefined();
  });

  it('settles 100 concurrent publishers with 50 ms timeouts racing a close (no hang)', async () => {
    const bus = new MessageBusService({ capacity: 64, drainTimeoutMs: 0 });
    const publishes = Promise.allSettled(
      Array.from({ length: 100 }, (_, i) => bus.publishInbound(inbound(i), { signal: AbortSignal.timeout(50) })),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    const report = await bus.close();
    const outcomes = await publishes;
    const fulfilled = outcomes.filter((o) => o.status === 'fulfilled').length;
    const closedErrors = outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof BusClosedError).length;
    expect(fulfilled).toBe(64);
    expect(closedErrors).toBe(36);
    expect(report.rejectedPublishers).toBe(36);
    // Nobody consumes the inbound lane here, so the 64 accepted messages are reported, not lost.
    expect(report.undelivered).toBe(64);
  });

  it('rejects a publish on a full lane with TimeoutError after a 10 ms timeout', async () => {
    const bus = new MessageBusService({ capacity: 64 });
    fill(bus.inbound);
    const error = await bus.publishInbound(inbound(1), { signal: AbortSignal.timeout(10) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DOMException);
    expect((error as DOMException).name).toBe('TimeoutError');
  });

  it('closes three times without error and returns the same report', async () => {
    const bus = new MessageBusService();
    const first = bus.close();
    expect(bus.close()).toBe(first);
    expect(bus.close({ timeoutMs: 1 })).toBe(first);
    await expect(first).resolves.toMatchObject({ delivered: 0, undelivered: 0, timedOut: false });
    expect(bus.closed).toBe(true);
  });
});

describe('Lane semantics', () => {
  it('is FIFO across buffered messages and waiting publishers', async () => {
    const lane = new Lane<InboundMessage>('inbound', 2);
    const publishes = [0, 1, 2, 3, 4].map((n) => lane.publish(inbound(n)));
    expect(lane.size).toBe(2);
    const received: string[] = [];
    for (let i = 0; i < 5; i++) received.push((await lane.receive())!.content);
    await Promise.all(publishes);
    expect(received).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('resolves a waiting publisher only once its message is enqueued', async () => {
    const lane = new Lane<InboundMessage>('inbound', 1);
    await lane.publish(inbound(0));
    const waiting = lane.publish(inbound(1));
    expect(await settled(waiting)).toBe('pending');
    expect(lane.tryReceive()?.content).toBe('m0');
    expect(await settled(waiting)).toBe('resolved');
    expect(lane.size).toBe(1);
  });

  it('hands a message straight to a waiting receiver', async () => {
    const lane = new Lane<InboundMessage>('inbound', 1);
    const receiving = lane.receive();
    await lane.publish(inbound(7));
    await expect(receiving).resolves.toMatchObject({ content: 'm7' });
    expect(lane.size).toBe(0);
  });

  it('skips a publisher that aborted while waiting and admits the next one', async () => {
    const lane = new Lane<InboundMessage>('inbound', 1);
    lane.tryPublish(inbound(0));
    const controller = new AbortController();
    const aborted = lane.publish(inbound(1), { signal: controller.signal });
    const next = lane.publish(inbound(2));
    controller.abort(new Error('gave up'));
    await expect(aborted).rejects.toThrow('gave up');
    expect(lane.tryReceive()?.content).toBe('m0');
    await next;
    expect(lane.tryReceive()?.content).toBe('m2');
    expect(lane.tryReceive()).toBeUndefined();
  });

  it('rejects a receive whose signal aborts, and later messages still reach other receivers', async () => {
    const lane = new Lane<InboundMessage>('inbound', 1);
    const controller = new AbortController();
    const first = lane.receive({ signal: controller.signal });
    const second = lane.receive();
    controller.abort();
    await expect(first).rejects.toMatchObject({ name: 'AbortError' });
    await lane.publish(inbound(3));
    await expect(second).resolves.toMatchObject({ content: 'm3' });
  });

  it('still delivers what is buffered after close, then ends iteration', async () => {
    const lane = new Lane<InboundMessage>('inbound', 4);
    await lane.publish(inbound(1));
    await lane.publish(inbound(2));
    lane.close();
    const seen: string[] = [];
    for await (const message of lane) seen.push(message.content);
    expect(seen).toEqual(['m1', 'm2']);
    await expect(lane.receive()).resolves.toBeUndefined();
  });

  it('rejects waiting publishers with BusClosedError when the lane closes', async () => {
    const lane = new Lane<InboundMessage>('inbound', 1);
    lane.tryPublish(inbound(0));
    const waiting = lane.publish(inbound(1));
    lane.close();
    await expect(waiting).rejects.toBeInstanceOf(BusClosedError);
    expect(lane.closedRejectionCount).toBe(1);
    expect(() => lane.tryPublish(inbound(2))).toThrow(BusClosedError);
    expect(lane.tryReceive()?.content).toBe('m0');
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new Lane('inbound', 0)).toThrow(RangeError);
    expect(() => new Lane('inbound', 1.5)).toThrow('capacity must be an integer >= 1');
  });

  it('reports drained once closed and emptied', async () => {
    const lane = new Lane<InboundMessage>('inbound', 4);
    await lane.publish(inbound(1));
    const drained = lane.whenDrained();
    lane.close();
    expect(await settled(drained)).toBe('pending');
    lane.tryReceive();
    expect(await settled(drained)).toBe('resolved');
  });
});
