import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { HandlerTimeoutError, NonRetriableError, SupersededError } from '../../src/index.js';
import type { BusContext, InboundMessage } from '../../src/index.js';
import { busWithHandler, sleep, undeliveredLog } from '../support/dispatch.js';
import { eventually, inboundMessage } from '../support/messages.js';

beforeAll(() => Logger.overrideLogger(false));
afterAll(() => Logger.overrideLogger(true));

interface Seen {
  content: string;
  messages: string[];
  attempt: number;
  key: string | undefined;
}

function recorder() {
  const calls: Seen[] = [];
  const record = (message: InboundMessage, ctx: BusContext<InboundMessage>): void => {
    calls.push({ content: message.content, messages: ctx.messages.map((m) => m.content), attempt: ctx.attempt, key: ctx.key });
  };
  return { calls, record };
}

/** A handler that waits on a gate for its first call, so that later messages find the key busy. */
function gatedFirstCall() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let first = true;
  return {
    release: () => release(),
    async wait(): Promise<void> {
      if (!first) return;
      first = false;
      await gate;
    },
  };
}

describe('onBusy', () => {
  it("'queue' handles each message that arrived while the key was busy in turn", async () => {
    const { calls, record } = recorder();
    const gate = gatedFirstCall();
    const bus = busWithHandler(async (m, ctx) => {
      record(m, ctx);
      await gate.wait();
    });
    for (const content of ['a', 'b', 'c']) await bus.publishInbound(inboundMessage(content));
    gate.release();
    await bus.idle();
    expect(calls.map((c) => c.messages)).toEqual([['a'], ['b'], ['c']]);
  });

  it("'collect' hands what queued up to the next call at once: oldest first in ctx.messages, the newest as the argument", async () => {
    const { calls, record } = recorder();
    const gate = gatedFirstCall();
    const bus = busWithHandler(
      async (m, ctx) => {
        record(m, ctx);
        await gate.wait();
      },
      { onBusy: 'collect' },
    );
    for (const content of ['a', 'b', 'c', 'd']) await bus.publishInbound(inboundMessage(content));
    await bus.publishInbound(inboundMessage('other chat', { chatId: 'elsewhere' }));
    gate.release();
    await bus.idle();
    expect(calls.filter((c) => c.key === 'telegram:chat-1')).toEqual([
      { content: 'a', messages: ['a'], attempt: 1, key: 'telegram:chat-1' },
      { content: 'd', messages: ['b', 'c', 'd'], attempt: 1, key: 'telegram:chat-1' },
    ]);
    expect(calls.find((c) => c.content === 'other chat')?.messages).toEqual(['other chat']);
  });

  it("'interrupt' aborts the running call with SupersededError and handles the newest next, with the superseded ones", async () => {
    const { calls, record } = recorder();
    const reasons: unknown[] = [];
    const bus = busWithHandler(
      async (m, ctx) => {
        record(m, ctx);
        if (m.content !== 'a') return;
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        reasons.push(ctx.signal.reason);
      },
      { onBusy: 'interrupt' },
    );
    await bus.publishInbound(inboundMessage('a'));
    await bus.publishInbound(inboundMessage('b'));
    await bus.idle();
    expect(reasons[0]).toBeInstanceOf(SupersededError);
    expect((reasons[0] as SupersededError).key).toBe('telegram:chat-1');
    expect(calls.map((c) => [c.content, c.messages])).toEqual([
      ['a', ['a']],
      ['b', ['a', 'b']],
    ]);
    const report = await bus.close();
    expect(report.undelivered).toBe(0);
  });

  it('debounceMs waits for a quiet key; with collect a burst becomes one call', async () => {
    const { calls, record } = recorder();
    const bus = busWithHandler((m, ctx) => record(m, ctx), { onBusy: 'collect', debounceMs: 30 });
    for (const content of ['x', 'y', 'z']) {
      await bus.publishInbound(inboundMessage(content));
      await sleep(5);
    }
    expect(calls).toEqual([]);
    await bus.idle();
    expect(calls.map((c) => c.messages)).toEqual([['x', 'y', 'z']]);
  });

  it('close() ends debounce windows at once', async () => {
    const { calls, record } = recorder();
    const bus = busWithHandler((m, ctx) => record(m, ctx), { onBusy: 'collect', debounceMs: 60_000 });
    await bus.publishInbound(inboundMessage('pending'));
    const started = performance.now();
    const report = await bus.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(calls.map((c) => c.messages)).toEqual([['pending']]);
    expect(report.delivered).toBe(1);
  });
});

describe('timeouts', () => {
  it('a never-settling call fails with handler-timeout, its signal aborts, and its key is released', async () => {
    const { reports, onUndelivered } = undeliveredLog();
    const signals: AbortSignal[] = [];
    const handled: string[] = [];
    const bus = busWithHandler(
      (m, ctx) => {
        if (m.content === 'hang') {
          signals.push(ctx.signal);
          return new Promise(() => undefined);
        }
        handled.push(m.content);
        return undefined;
      },
      { timeoutMs: 30 },
      { onUndelivered },
    );
    await bus.publishInbound(inboundMessage('hang'));
    await bus.publishInbound(inboundMessage('next on the same chat'));
    await eventually(() => handled.length === 1);
    expect(reports).toEqual([
      expect.objectContaining({ content: 'hang', reason: 'handler-timeout', handler: 'Agent.handle', error: expect.any(HandlerTimeoutError) }),
    ]);
    expect(signals[0].aborted).toBe(true);
    expect(signals[0].reason).toBeInstanceOf(HandlerTimeoutError);
    const report = await bus.close();
    expect(report.timedOut).toBe(false);
  });
});

describe('retries', () => {
  it('retries in place: the key waits, attempts count every call, then handler-failed with the error', async () => {
    const { reports, onUndelivered } = undeliveredLog();
    const { calls, record } = recorder();
    const bus = busWithHandler(
      (m, ctx) => {
        record(m, ctx);
        if (m.content === 'flaky') throw new Error(`attempt ${ctx.attempt} failed`);
      },
      { retry: { attempts: 3, backoffMs: 5, jitter: false } },
      { onUndelivered },
    );
    await bus.publishInbound(inboundMessage('flaky'));
    await bus.publishInbound(inboundMessage('after'));
    await bus.idle();
    expect(calls.map((c) => [c.content, c.attempt])).toEqual([
      ['flaky', 1],
      ['flaky', 2],
      ['flaky', 3],
      ['after', 1],
    ]);
    expect(reports).toEqual([expect.objectContaining({ content: 'flaky', reason: 'handler-failed', error: expect.objectContaining({ message: 'attempt 3 failed' }) })]);
  });

  it('waits retryAfterMs when the error carries it (a chat API 429)', async () => {
    const times: number[] = [];
    const bus = busWithHandler(
      (_m, ctx) => {
        times.push(performance.now());
        if (ctx.attempt === 1) throw Object.assign(new Error('429 Too Many Requests'), { retryAfterMs: 80 });
      },
      { retry: { attempts: 2, backoffMs: 1 } },
    );
    await bus.publishInbound(inboundMessage('x'));
    await bus.idle();
    expect(times).toHaveLength(2);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(75);
  });

  it('does not retry a NonRetriableError, nor an error retryIf refuses', async () => {
    const { reports, onUndelivered } = undeliveredLog();
    let calls = 0;
    const bus = busWithHandler(
      (m) => {
        calls++;
        throw m.content === 'fatal' ? new NonRetriableError('bad request') : new TypeError('not worth it');
      },
      { retry: { attempts: 5, backoffMs: 1, retryIf: (error) => !(error instanceof TypeError) } },
      { onUndelivered },
    );
    await bus.publishInbound(inboundMessage('fatal'));
    await bus.publishInbound(inboundMessage('typed'));
    await bus.idle();
    expect(calls).toBe(2);
    expect(reports.map((r) => [r.content, r.reason])).toEqual([
      ['fatal', 'handler-failed'],
      ['typed', 'handler-failed'],
    ]);
  });

  it('a failing key never holds up other keys, even while it waits for its backoff', async () => {
    const handled: string[] = [];
    const bus = busWithHandler(
      (m) => {
        if (m.chatId === 'bad') throw new Error('down');
        handled.push(m.content);
      },
      { retry: { attempts: 2, backoffMs: 200, jitter: false } },
    );
    await bus.publishInbound(inboundMessage('x', { chatId: 'bad' }));
    await bus.publishInbound(inboundMessage('fine', { chatId: 'good' }));
    await eventually(() => handled.includes('fine'), 100);
    await bus.idle();
  });
});
