import 'reflect-metadata';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { Test } from '@nestjs/testing';
import FakeTimers from '@sinonjs/fake-timers';
import { BusModule, BusNotStartedError, MessageBusService, OnInbound } from '../../src/index.js';
import type { InboundMessage } from '../../src/index.js';
import { RateLimitedError, RecordingChannel, createBusTestingApp } from '../../src/testing/index.js';
import { inboundMessage } from '../support/messages.js';

/** An agent that streams its answer when asked to, and sends it as one message otherwise. */
@Injectable()
class Agent {
  constructor(private readonly bus: MessageBusService) {}

  @OnInbound()
  async handle(message: InboundMessage): Promise<void> {
    if (message.content.startsWith('stream')) {
      await this.bus.respond(message, (async function* () {
        for (const word of ['Hello', ' there', ', friend']) yield word;
      })());
    } else {
      await this.bus.respond(message, `re: ${message.content}`);
    }
  }
}

const WebChannel = RecordingChannel.for('web');
const apps: TestingModule[] = [];
afterEach(async () => {
  jest.useRealTimers();
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function start(bus = {}): Promise<{ app: TestingModule; bus: MessageBusService; web: RecordingChannel }> {
  const app = await createBusTestingApp({ providers: [Agent, WebChannel], bus });
  apps.push(app);
  return { app, bus: app.get(MessageBusService), web: app.get(WebChannel) };
}

describe('RecordingChannel', () => {
  it('records sends, drafts, the final message and the draft clear, each with its chat and time', async () => {
    const { bus, web } = await start();
    await bus.publishInbound(inboundMessage('hi', { channel: 'web', chatId: 'a' }));
    await bus.publishInbound(inboundMessage('stream it', { channel: 'web', chatId: 'b' }));
    await bus.idle();
    expect(web.texts('send', 'a')).toEqual(['re: hi']);
    expect(web.texts('draft', 'b')).toEqual(['Hello', 'Hello there', 'Hello there, friend']);
    expect(web.texts('final', 'b')).toEqual(['Hello there, friend']);
    expect(web.texts('clear', 'b')).toEqual(['']);
    expect(web.calls.every((call) => typeof call.at === 'number')).toBe(true);
  });

  it('fails the n-th draft on demand: the stream degrades and the final message still arrives', async () => {
    const { bus, web } = await start();
    web.failDraft(2);
    await bus.publishInbound(inboundMessage('stream it', { channel: 'web' }));
    await bus.idle();
    expect(web.texts('draft')).toEqual(['Hello']);
    expect(web.texts('final')).toEqual(['Hello there, friend']);
  });

  it('fails every send on demand: after the channel retries (500 ms, 1 s, 2 s) the reply is reported send-failed', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const reasons: string[] = [];
    const { bus, web } = await start({ onUndelivered: (_lane: string, _m: unknown, reason: string) => void reasons.push(reason) });
    web.failSends();
    await bus.publishInbound(inboundMessage('hi', { channel: 'web' }));
    await jest.advanceTimersByTimeAsync(3499);
    expect(reasons).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    await bus.idle();
    expect(web.texts('send')).toEqual([]);
    expect(reasons).toEqual(['send-failed']);
  });

  it('answers 429 with retryAfterMs, and Jest fake timers let a 30 s wait pass at once', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const { bus, web } = await start({ handlerDefaults: { retry: { attempts: 2 } } });
    web.rateLimitSends(30_000);
    const startedAt = Date.now();
    await bus.publishInbound(inboundMessage('hi', { channel: 'web' }));
    await jest.advanceTimersByTimeAsync(30_000);
    await bus.idle();
    expect(web.texts('send')).toEqual(['re: hi']);
    expect(web.calls[0].at - startedAt).toBeGreaterThanOrEqual(30_000);
    expect(new RateLimitedError(5)).toMatchObject({ retryAfterMs: 5 });
  });
});

describe('RecordingChannel with @sinonjs/fake-timers', () => {
  it('lets a retry wait pass on the fake clock', async () => {
    const clock = FakeTimers.withGlobal(globalThis).install({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const { bus, web } = await start({ handlerDefaults: { retry: { attempts: 2 } } });
      web.rateLimitSends(60_000);
      await bus.publishInbound(inboundMessage('hi', { channel: 'web' }));
      await clock.tickAsync(60_000);
      await bus.idle();
      expect(web.texts('send')).toEqual(['re: hi']);
      expect(web.calls[0].at).toBeGreaterThanOrEqual(60_000);
    } finally {
      clock.uninstall();
    }
  });
});

describe('a module compiled but never initialised', () => {
  it('says so when a test waits for the bus, and closes at once instead of running out the drain timeout', async () => {
    const app = await Test.createTestingModule({ imports: [BusModule.forRoot({ drainTimeoutMs: 10_000 })], providers: [Agent] }).compile();
    const bus = app.get(MessageBusService);
    await bus.publishInbound(inboundMessage('hi'));
    await expect(bus.idle()).rejects.toThrow(BusNotStartedError);
    await expect(bus.idle()).rejects.toThrow(/Call `await app.init\(\)`/);
    const startedAt = performance.now();
    const report = await bus.close();
    expect(performance.now() - startedAt).toBeLessThan(1000);
    expect(report).toMatchObject({ undelivered: 1, timedOut: false });
    await app.close();
  });
});
