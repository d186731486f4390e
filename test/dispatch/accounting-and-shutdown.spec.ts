import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, Logger } from '@nestjs/common';
import fc from 'fast-check';
import { BusClosedError, BusModule, InvalidBusOptionsError, MessageBusService, OnInbound, OnOutbound } from '../../src/index.js';
import type { BusContext, DispatchOptions, InboundMessage, OutboundMessage } from '../../src/index.js';
import { startApp } from '../support/app.js';
import { busWithHandler, sleep, undeliveredLog } from '../support/dispatch.js';
import { inboundMessage } from '../support/messages.js';

beforeAll(() => Logger.overrideLogger(false));
afterAll(() => Logger.overrideLogger(true));

type Behaviour = 'ok' | 'slow' | 'throw' | 'flaky' | 'hang';

describe('accounting', () => {
  it('every accepted message is handled exactly once or reported undelivered exactly once (random failures, timeouts, close)', async () => {
    const behaviour = fc.constantFrom<Behaviour>('ok', 'slow', 'throw', 'flaky', 'hang');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(behaviour, fc.nat({ max: 5 })), { minLength: 1, maxLength: 40 }),
        fc.record({ concurrency: fc.integer({ min: 1, max: 4 }), capacity: fc.integer({ min: 1, max: 8 }), closeAfter: fc.nat({ max: 45 }) }),
        fc.constantFrom<'queue' | 'collect' | 'interrupt' | 'serial'>('queue', 'collect', 'interrupt', 'serial'),
        async (messages, { concurrency, capacity, closeAfter }, mode) => {
          // 'serial': one call at a time in lane order, the lane's plain loop (no timeout, no retry).
          const dispatch: DispatchOptions =
            mode === 'serial' ? { orderBy: 'none', concurrency: 1 } : { concurrency, onBusy: mode, timeoutMs: 20, retry: { attempts: 2, backoffMs: 1 } };
          const { reports, onUndelivered } = undeliveredLog();
          const calls: BusContext<InboundMessage>[] = [];
          const bus = busWithHandler(
            async (_m, ctx: BusContext<InboundMessage>) => {
              calls.push(ctx);
              const newest = ctx.messages[ctx.messages.length - 1];
              switch (messages[Number(newest.content)][0]) {
                case 'throw':
                  throw new Error('boom');
                case 'flaky':
                  if (ctx.attempt === 1) throw new Error('once');
                  break;
                case 'slow':
                  await sleep(2);
                  break;
                case 'hang':
                  await new Promise(() => undefined);
              }
            },
            dispatch,
            { capacity, drainTimeoutMs: 40, onUndelivered },
          );
          const accepted: string[] = [];
          const publishes = messages.map(([, chat], i) => {
            if (i === closeAfter) void bus.close();
            return bus.publishInbound(inboundMessage(String(i), { chatId: `c${chat}` })).then(
              () => accepted.push(String(i)),
              (error: unknown) => expect(error).toBeInstanceOf(BusClosedError),
            );
          });
          const report = await bus.close();
          await Promise.all(publishes);
          // A call whose signal aborted does not decide its messages' fate: a timed-out or abandoned one is
          // reported, a superseded one's messages are handled again by the next call. The others that
          // returned handled their messages; one that threw failed them (reported after its last attempt).
          const handled = calls
            .filter((ctx) => !ctx.signal.aborted && !['throw', 'hang'].includes(messages[Number(ctx.messages[ctx.messages.length - 1].content)][0]))
            .filter((ctx) => !(messages[Number(ctx.messages[ctx.messages.length - 1].content)][0] === 'flaky' && ctx.attempt === 1))
            .flatMap((ctx) => ctx.messages.map((m) => m.content));
          const reported = reports.map((r) => r.content);
          const outcomes = [...handled, ...reported];
          expect(new Set(outcomes).size).toBe(outcomes.length);
          expect(new Set(outcomes)).toEqual(new Set(accepted));
          expect(report.delivered + report.undelivered).toBeLessThanOrEqual(accepted.length);
        },
      ),
      { numRuns: 160 },
    );
  });
});

describe('shutdown', () => {
  it('at the deadline, in-flight calls see their signal abort with "shutdown" and are reported once, as abandoned in flight', async () => {
    const { reports, onUndelivered } = undeliveredLog();
    const reasons: unknown[] = [];
    const bus = busWithHandler(
      (_m, ctx) =>
        new Promise<void>((resolve) => {
          ctx.signal.addEventListener('abort', () => void reasons.push(ctx.signal.reason), { once: true });
          void resolve; // never resolves by itself
        }),
      { concurrency: 2 },
      { drainTimeoutMs: 30, onUndelivered },
    );
    for (let i = 0; i < 5; i++) await bus.publishInbound(inboundMessage(`m${i}`, { chatId: `c${i % 3}` }));
    const report = await bus.close();
    expect(reasons).toEqual(['shutdown', 'shutdown']);
    expect(report.timedOut).toBe(true);
    expect(report.lanes.inbound).toEqual({ delivered: 0, undelivered: 5, abandonedInFlight: 2 });
    expect(reports.map((r) => r.content).sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('idle() resolves once the lanes are empty and nothing runs or waits for a retry, replies included', async () => {
    let outboundDone = 0;
    @Injectable()
    class Agent {
      constructor(private readonly bus: MessageBusService) {}
      @OnInbound({ retry: { attempts: 2, backoffMs: 20, jitter: false } })
      async handle(message: InboundMessage, ctx: BusContext<InboundMessage>): Promise<void> {
        if (ctx.attempt === 1) throw new Error('first attempt fails');
        await this.bus.publishOutbound({ channel: message.channel, chatId: message.chatId, content: `re: ${message.content}` });
      }
      @OnOutbound()
      async send(_message: OutboundMessage): Promise<void> {
        await sleep(10);
        outboundDone++;
      }
    }
    const { bus } = await startApp([BusModule.forRoot()], [Agent]);
    for (let i = 0; i < 3; i++) await bus.publishInbound(inboundMessage(`q${i}`, { chatId: `c${i}` }));
    await bus.idle();
    expect(outboundDone).toBe(3);
  });

  it('several handlers on one lane each get every message under their own options; a message is done when all are', async () => {
    const seen: string[] = [];
    let releaseSlow!: () => void;
    const slowGate = new Promise<void>((resolve) => (releaseSlow = resolve));
    @Injectable()
    class Two {
      @OnInbound({ orderBy: 'none', concurrency: 1 })
      async slow(message: InboundMessage): Promise<void> {
        await slowGate;
        seen.push(`slow ${message.content}`);
      }
      @OnInbound({ concurrency: 4 })
      fast(message: InboundMessage): void {
        seen.push(`fast ${message.content}`);
      }
    }
    const { bus } = await startApp([BusModule.forRoot()], [Two]);
    await bus.publishInbound(inboundMessage('a'));
    await bus.publishInbound(inboundMessage('b', { chatId: 'other' }));
    expect(seen).toEqual(['fast a', 'fast b']);
    let idle = false;
    const idling = bus.idle().then(() => (idle = true));
    await sleep(5);
    expect(idle).toBe(false);
    releaseSlow();
    await idling;
    expect(seen).toEqual(['fast a', 'fast b', 'slow a', 'slow b']);
  });
});

describe('options', () => {
  it.each([
    [{ concurrency: 0 }, /concurrency must be an integer >= 1/],
    [{ orderBy: 'user' }, /orderBy must be/],
    [{ onBusy: 'drop' }, /onBusy must be one of queue, collect, interrupt/],
    [{ timeoutMs: 0 }, /timeoutMs must be a finite number > 0/],
    [{ retry: { attempts: 0 } }, /retry.attempts must be an integer >= 1/],
    [{ debounceMs: -1 }, /debounceMs must be a finite number >= 0/],
    [{ concurency: 2 }, /concurency is not an option/],
  ])('a decorator with %p fails when the class is defined, with a TypeError', (options, message) => {
    expect(() => OnInbound(options as never)).toThrow(message);
    expect(() => OnInbound(options as never)).toThrow(TypeError);
  });

  it('forRoot({ handlerDefaults }) is checked at startup, and applies to every handler unless it says otherwise', async () => {
    expect(() => new MessageBusService({ handlerDefaults: { concurrency: -1 } })).toThrow(InvalidBusOptionsError);
    expect(() => new MessageBusService({ maxPendingPerKey: 0 })).toThrow(InvalidBusOptionsError);
    const ctxs: BusContext<InboundMessage>[] = [];
    const bus = busWithHandler((_m, ctx) => void ctxs.push(ctx), {}, { handlerDefaults: { orderBy: 'none' } });
    await bus.publishInbound(inboundMessage('x'));
    await bus.idle();
    expect(ctxs[0]).toMatchObject({ lane: 'inbound', key: undefined, attempt: 1, handler: 'Agent.handle' });
  });
});
