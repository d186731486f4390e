import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { BusModule, InvalidBusOptionsError, InvalidMessageError, MessageBusService, OnInbound } from '../../src/index.js';
import type { InboundMessage, LaneName, UndeliveredReason } from '../../src/index.js';
import { startApp } from '../support/app.js';
import { eventually, inboundMessage } from '../support/messages.js';

/** Everything a handler might throw, including values that break naive logging. */
const THROWN: Record<string, () => unknown> = {
  'null-prototype object': () => Object.create(null),
  'object whose toString throws': () => ({
    toString() {
      throw new Error('toString exploded');
    },
  }),
  'object whose Symbol.toPrimitive throws': () => ({
    [Symbol.toPrimitive]() {
      throw new Error('toPrimitive exploded');
    },
  }),
  'Error whose stack getter throws': () => {
    const error = new Error('stack exploded');
    Object.defineProperty(error, 'stack', {
      get() {
        throw new Error('no stack for you');
      },
    });
    return error;
  },
  'revoked Proxy': () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  },
  string: () => 'a plain string',
  undefined: () => undefined,
};

const undelivered: { lane: LaneName; reason: UndeliveredReason }[] = [];
const onUndelivered = (lane: LaneName, _message: unknown, reason: UndeliveredReason): void => void undelivered.push({ lane, reason });
afterEach(() => void (undelivered.length = 0));

/** Throws whatever its message names, synchronously or from a promise, and records what it saw. */
@Injectable()
class HostileHandler {
  readonly seen: string[] = [];
  @OnInbound()
  handle(message: InboundMessage): unknown {
    const content = message.content;
    this.seen.push(content);
    const [mode, kind] = content.split(':');
    if (kind === undefined || !Object.hasOwn(THROWN, kind)) return undefined;
    const make = THROWN[kind];
    if (mode === 'sync') throw make();
    return Promise.reject(make());
  }
}

/** A second, channel-filtered handler: routing must read the message's channel. */
@Injectable()
class TelegramOnly {
  readonly seen: string[] = [];
  @OnInbound({ channel: 'telegram' })
  handle(message: InboundMessage): void {
    this.seen.push(message.content);
  }
}

function revokedAfterPublish(bus: MessageBusService, content: string, chatId = 'chat-1'): Promise<void> {
  const { proxy, revoke } = Proxy.revocable(inboundMessage(content, { chatId }), {});
  const published = bus.publishInbound(proxy);
  revoke();
  return published;
}

describe('a handler or a message can never stop a lane', () => {
  it.each(['sync', 'async'])('goes on after a handler throws anything (%s), logging each failure safely', async (mode) => {
    const { bus, logger, app } = await startApp([BusModule.forRoot({ onUndelivered })], [HostileHandler]);
    const kinds = Object.keys(THROWN);
    for (const kind of kinds) await bus.publishInbound(inboundMessage(`${mode}:${kind}`));
    await bus.publishInbound(inboundMessage('after'));
    const handler = app.get(HostileHandler);
    await eventually(() => handler.seen.includes('after'));
    expect(handler.seen).toEqual([...kinds.map((kind) => `${mode}:${kind}`), 'after']);
    expect(logger.messages('error').filter((m) => m.includes('HostileHandler.handle failed'))).toHaveLength(kinds.length);
    const report = await bus.close();
    expect(report.timedOut).toBe(false);
  });

  it('goes on after a message waiting in the lane becomes unreadable: it is reported, the lane goes on', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    @Injectable()
    class GatedTelegram {
      readonly seen: string[] = [];
      @OnInbound({ channel: 'telegram' })
      async handle(message: InboundMessage): Promise<void> {
        this.seen.push(message.content);
        if (message.content === 'gate') await gate;
      }
    }
    // Capacity 1: with the gate in the handler, the next message waits in the lane, unread.
    const { bus, app } = await startApp([BusModule.forRoot({ onUndelivered, capacity: 1 })], [GatedTelegram]);
    await bus.publishInbound(inboundMessage('gate'));
    await revokedAfterPublish(bus, 'revoked', 'other-chat');
    expect(bus.inbound.size).toBe(1);
    release();
    await bus.publishInbound(inboundMessage('after', { chatId: 'third-chat' }));
    await eventually(() => app.get(GatedTelegram).seen.includes('after'));
    expect(app.get(GatedTelegram).seen).toEqual(['gate', 'after']);
    expect(undelivered).toEqual([{ lane: 'inbound', reason: 'unreadable' }]);
  });

  it('close() resolves with a report whose counts add up, whatever was thrown or revoked', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    @Injectable()
    class Gated extends HostileHandler {
      @OnInbound({ channel: 'telegram' })
      async first(message: InboundMessage): Promise<void> {
        if (message.content === 'gate') await gate;
      }
    }
    // One call at a time, so that everything published behind the gate is still waiting when close() begins.
    const { bus } = await startApp([BusModule.forRoot({ onUndelivered, capacity: 64, handlerDefaults: { concurrency: 1 } })], [Gated]);
    await bus.publishInbound(inboundMessage('gate'));
    const queued: Promise<void>[] = [];
    let published = 0;
    for (const kind of Object.keys(THROWN)) {
      const chat = (suffix: string) => ({ chatId: `${kind}-${suffix}` });
      queued.push(bus.publishInbound(inboundMessage(`sync:${kind}`, chat('sync'))), bus.publishInbound(inboundMessage(`async:${kind}`, chat('async'))));
      // Routed at once, revoked while it waits for its turn: both handlers fail on it.
      queued.push(revokedAfterPublish(bus, 'revoked', `${kind}-revoked`));
      published += 3;
    }
    for (let i = 0; i < 5; i++) queued.push(bus.publishInbound(inboundMessage(`fine ${i}`, { chatId: `fine-${i}` })));
    published += 5;
    await Promise.all(queued);
    const closing = bus.close();
    release();
    const report = await closing;
    expect(report.timedOut).toBe(false);
    // The gate itself, and everything behind it, finished during the close.
    expect(report.delivered + report.undelivered).toBe(published + 1);
    expect(report.delivered).toBe(6);
    expect(report.undelivered).toBe(published - 5);
    expect(report.lanes.inbound).toEqual({ delivered: 6, undelivered: published - 5, abandonedInFlight: 0 });
    expect(undelivered.every((u) => u.reason === 'handler-failed')).toBe(true);
  });
});

describe('timeouts mean what they say', () => {
  async function drainWithSlowHandler(options: { drainTimeoutMs?: number; timeoutMs?: number }) {
    @Injectable()
    class Slow {
      handled = 0;
      @OnInbound()
      async handle(): Promise<void> {
        await new Promise((resolve) => setTimeout(resolve, 30));
        this.handled++;
      }
    }
    const { bus, app } = await startApp([BusModule.forRoot({ onUndelivered, drainTimeoutMs: options.drainTimeoutMs })], [Slow]);
    for (let i = 0; i < 4; i++) await bus.publishInbound(inboundMessage(`m${i}`));
    const report = await bus.close(options.timeoutMs === undefined ? undefined : { timeoutMs: options.timeoutMs });
    return { report, handled: app.get(Slow).handled };
  }

  it.each([
    ['drainTimeoutMs: Infinity', { drainTimeoutMs: Infinity }],
    ['drainTimeoutMs above the timer limit', { drainTimeoutMs: 2 ** 31 }],
    ['close({ timeoutMs: Infinity })', { drainTimeoutMs: 1, timeoutMs: Infinity }],
    ['close({ timeoutMs }) above the timer limit', { drainTimeoutMs: 1, timeoutMs: 30 * 24 * 3600 * 1000 }],
  ])('%s waits for the whole drain instead of collapsing to 1 ms', async (_name, options) => {
    const { report, handled } = await drainWithSlowHandler(options);
    expect(report).toMatchObject({ timedOut: false, undelivered: 0 });
    expect(handled).toBe(4);
    expect(undelivered).toEqual([]);
  });

  it.each([NaN, -1, '100', null])('refuses drainTimeoutMs %p at startup with InvalidBusOptionsError', (value) => {
    expect(() => new MessageBusService({ drainTimeoutMs: value as number })).toThrow(InvalidBusOptionsError);
  });

  it.each([NaN, -5, '10'])('refuses close({ timeoutMs: %p }) with a RangeError and does not start closing', async (value) => {
    const bus = new MessageBusService();
    await expect(bus.close({ timeoutMs: value as number })).rejects.toThrow(RangeError);
    expect(bus.closed).toBe(false);
    await bus.publishInbound(inboundMessage('still open'));
    expect(bus.inbound.size).toBe(1);
  });
});

describe('a message whose fields cannot be read', () => {
  const hostile = (field: string) =>
    new Proxy(inboundMessage('x'), {
      get(target, key, receiver) {
        if (key === field) throw new Error(`cannot read ${field}`);
        return Reflect.get(target, key, receiver) as unknown;
      },
    });

  it.each(['channel', 'chatId', 'content'])('is refused with InvalidMessageError naming %s, the original error as cause', async (field) => {
    const bus = new MessageBusService();
    const error = await bus.publishInbound(hostile(field)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidMessageError);
    expect(error).toMatchObject({ lane: 'inbound', field, cause: { message: `cannot read ${field}` } });
    expect(bus.inbound.size).toBe(0);
  });

  it('refuses a revoked Proxy and media parts that cannot be read', async () => {
    const bus = new MessageBusService();
    const { proxy, revoke } = Proxy.revocable(inboundMessage('x'), {});
    revoke();
    await expect(bus.publishInbound(proxy)).rejects.toMatchObject({ name: 'InvalidMessageError', cause: expect.any(TypeError) });
    const parts = Proxy.revocable([{ type: 'image', ref: 'a.png' }], {});
    parts.revoke();
    await expect(bus.publishOutboundMedia({ channel: 'web', chatId: 'c', parts: parts.proxy as never })).rejects.toMatchObject({
      name: 'InvalidMessageError',
      field: 'parts',
    });
    expect(() => bus.outbound.tryPublish(proxy as never)).toThrow(InvalidMessageError);
    expect(bus.inbound.size + bus.outbound.size + bus.outboundMedia.size).toBe(0);
  });
});

describe('option errors a Nest user can act on', () => {
  it('says a numeric string from a config service is a string, and how to convert it', async () => {
    const build = Test.createTestingModule({
      imports: [BusModule.forRootAsync({ useFactory: () => ({ capacity: '128' as unknown as number }) })],
    }).compile();
    await expect(build).rejects.toThrow(InvalidBusOptionsError);
    await expect(
      Test.createTestingModule({ imports: [BusModule.forRootAsync({ useFactory: () => ({ capacity: '128' as unknown as number }) })] }).compile(),
    ).rejects.toThrow(/capacity must be a number or a record of lanes \(got the string "128"; convert it to a number, e\.g\. Number\(config\.get/);
  });

  it('names a value that cannot be printed without throwing itself', () => {
    const error = (() => {
      try {
        new MessageBusService({ onUndelivered: Object.create(null) as never });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidBusOptionsError);
    expect(error).toMatchObject({ option: 'onUndelivered', message: expect.stringContaining('(got an object)') });
  });

  it('names the offending dispatch option and its value, in handlerDefaults and on a decorator', () => {
    expect(() => new MessageBusService({ handlerDefaults: { retry: { attempts: '3' as unknown as number } } })).toThrow(
      /handlerDefaults\.retry\.attempts must be an integer >= 1 .*got the string "3"; convert it/,
    );
    expect(() => OnInbound({ concurrency: 2.5 })).toThrow('@OnInbound: concurrency must be an integer >= 1 (got 2.5)');
  });
});
