import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Inject, Injectable, Module, Scope } from '@nestjs/common';
import type { OnModuleDestroy, Provider, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';
import {
  BUS_MESSAGE,
  BUS_MODULE_OPTIONS,
  BusClosedError,
  BusModule,
  InjectLane,
  InvalidBusOptionsError,
  InvalidMessageError,
  Lane,
  MessageBusService,
  OnInbound,
  OnOutbound,
  OnOutboundMedia,
  STREAM_DELEGATE,
} from '../../src/index.js';
import type {
  BusModuleOptions,
  InboundMessage,
  LaneName,
  OutboundMediaMessage,
  OutboundMessage,
  StreamDelegate,
  Streamer,
  UndeliveredReason,
} from '../../src/index.js';
import { RecordingLogger } from '../support/recording.logger.js';
import { startApp } from '../support/app.js';
import { eventually, inboundMessage, nextTurn, outboundMessage } from '../support/messages.js';

const start = startApp;

const undelivered: { lane: LaneName; message: unknown; reason: UndeliveredReason }[] = [];
const recordUndelivered: BusModuleOptions['onUndelivered'] = (lane, message, reason) => {
  undelivered.push({ lane, message, reason });
};
afterEach(() => {
  undelivered.length = 0;
});

@Injectable()
class Recorder {
  readonly inbound: string[] = [];
  readonly outbound: string[] = [];
  readonly media: OutboundMediaMessage[] = [];
}

describe('BusModule', () => {
  it('discovers handlers and calls them in lane order, one message at a time', async () => {
    @Injectable()
    class Agent {
      active = 0;
      maxActive = 0;
      readonly seen: string[] = [];
      @OnInbound()
      async handle(message: InboundMessage): Promise<void> {
        this.active++;
        this.maxActive = Math.max(this.maxActive, this.active);
        await nextTurn();
        this.seen.push(message.content);
        this.active--;
      }
    }
    const { app, bus } = await start([BusModule.forRoot()], [Agent]);
    for (let i = 0; i < 100; i++) await bus.publishInbound(inboundMessage(`m${i}`));
    const agent = app.get(Agent);
    await eventually(() => agent.seen.length === 100);
    expect(agent.seen).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
    expect(agent.maxActive).toBe(1);
  });

  it('routes outbound messages by channel filter, with one or several channels', async () => {
    @Injectable()
    class Channels {
      readonly telegram: string[] = [];
      readonly chats: string[] = [];
      @OnOutbound({ channel: 'telegram' })
      sendTelegram(message: OutboundMessage): void {
        this.telegram.push(message.content);
      }
      @OnOutbound({ channel: ['slack', 'discord'] })
      sendChat(message: OutboundMessage): void {
        this.chats.push(`${message.channel}:${message.content}`);
      }
    }
    const { app, bus } = await start([BusModule.forRoot({ onUndelivered: recordUndelivered })], [Channels]);
    await bus.publishOutbound(outboundMessage('a', { channel: 'telegram' }));
    await bus.publishOutbound(outboundMessage('b', { channel: 'slack' }));
    await bus.publishOutbound(outboundMessage('c', { channel: 'discord' }));
    await bus.publishOutbound(outboundMessage('d', { channel: 'whatsapp' }));
    const channels = app.get(Channels);
    await eventually(() => undelivered.length === 1);
    expect(channels.telegram).toEqual(['a']);
    expect(channels.chats).toEqual(['slack:b', 'discord:c']);
  });

  it('reports a message no handler matches to onUndelivered and warns with its channel', async () => {
    @Injectable()
    class TelegramOnly {
      @OnInbound({ channel: 'telegram' })
      handle(): void {}
    }
    const { bus, logger } = await start([BusModule.forRoot({ onUndelivered: recordUndelivered })], [TelegramOnly]);
    const message = inboundMessage('lost?', { channel: 'matrix' });
    await bus.publishInbound(message);
    await eventually(() => undelivered.length === 1);
    expect(undelivered[0]).toEqual({ lane: 'inbound', message, reason: 'no-handler' });
    expect(logger.messages('warn').some((m) => m.includes('"matrix"') && m.includes('no-handler'))).toBe(true);
  });

  it('applies several decorators on one method, and merges two of the same lane', async () => {
    @Injectable()
    class Mirror {
      readonly seen: string[] = [];
      @OnInbound()
      @OnOutbound({ channel: 'a' })
      @OnOutbound({ channel: 'b' })
      record(message: InboundMessage | OutboundMessage): void {
        this.seen.push(`${message.channel}:${message.content}`);
      }
    }
    const { app, bus } = await start([BusModule.forRoot()], [Mirror]);
    await bus.publishInbound(inboundMessage('in', { channel: 'x' }));
    await bus.publishOutbound(outboundMessage('out-a', { channel: 'a' }));
    await bus.publishOutbound(outboundMessage('out-b', { channel: 'b' }));
    const mirror = app.get(Mirror);
    await eventually(() => mirror.seen.length === 3);
    await app.close();
    expect(mirror.seen.sort()).toEqual(['a:out-a', 'b:out-b', 'x:in']);
  });

  it('discovers handlers on controllers and does not call aliased providers twice', async () => {
    @Injectable()
    class Agent {
      calls = 0;
      @OnInbound()
      handle(): void {
        this.calls++;
      }
    }
    @Controller()
    class Webhook {
      calls = 0;
      @OnOutbound()
      handle(): void {
        this.calls++;
      }
    }
    const AGENT_ALIAS = 'agent-alias';
    const { app, bus } = await start([BusModule.forRoot()], [Agent, { provide: AGENT_ALIAS, useExisting: Agent }], [Webhook]);
    await bus.publishInbound(inboundMessage('once'));
    await bus.publishOutbound(outboundMessage('once'));
    await app.close();
    expect(app.get(Agent).calls).toBe(1);
    expect(app.get(Webhook).calls).toBe(1);
  });

  it('gives a request-scoped handler one instance per message, with the message injectable as BUS_MESSAGE', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const instances: PerMessage[] = [];
    @Injectable({ scope: Scope.REQUEST })
    class PerMessage {
      constructor(@Inject(BUS_MESSAGE) readonly message: InboundMessage) {
        instances.push(this);
      }
      @OnInbound()
      async handle(message: InboundMessage): Promise<void> {
        expect(this.message).toBe(message);
        await gate;
      }
    }
    const { bus } = await start([BusModule.forRoot()], [PerMessage]);
    const first = inboundMessage('first', { chatId: 'a' });
    const second = inboundMessage('second', { chatId: 'b' });
    await bus.publishInbound(first);
    await bus.publishInbound(second);
    await eventually(() => instances.length === 2);
    release();
    await bus.idle();
    expect(instances.map((instance) => instance.message)).toEqual([first, second]);
    expect(instances[0]).not.toBe(instances[1]);
  });

  it('logs a failing handler with its stack and goes on with the lane', async () => {
    @Injectable()
    class Flaky {
      readonly handled: string[] = [];
      @OnInbound()
      async handle(message: InboundMessage): Promise<void> {
        if (message.content === 'throw') throw new Error('sync boom');
        if (message.content === 'reject') return Promise.reject(new Error('async boom'));
        this.handled.push(message.content);
      }
    }
    @Injectable()
    class SyncThrower {
      @OnOutbound()
      send(): void {
        throw new TypeError('cannot send');
      }
    }
    const { app, bus, logger } = await start([BusModule.forRoot()], [Flaky, SyncThrower]);
    for (const content of ['a', 'throw', 'b', 'reject', 'c']) await bus.publishInbound(inboundMessage(content));
    await bus.publishOutbound(outboundMessage('x'));
    await bus.publishOutbound(outboundMessage('y'));
    await app.close();
    expect(app.get(Flaky).handled).toEqual(['a', 'b', 'c']);
    const errors = logger.entries.filter((entry) => entry.level === 'error');
    const failures = (name: string) => errors.filter((e) => e.message.startsWith(name));
    expect(failures('Flaky.handle').map((e) => e.message)).toEqual([
      'Flaky.handle failed on an inbound message from channel "telegram"',
      'Flaky.handle failed on an inbound message from channel "telegram"',
    ]);
    expect(failures('SyncThrower.send')).toHaveLength(2);
    expect(failures('SyncThrower.send')[0].message).toContain('failed on an outbound message');
    expect(errors).toHaveLength(4);
    const stacks = failures('Flaky.handle').map((e) => String(e.rest[0]));
    expect(stacks[0]).toContain('sync boom');
    expect(stacks[0]).toMatch(/at .*Flaky/);
    expect(stacks[1]).toContain('async boom');
  });

  it('injects the lanes with @InjectLane, the same objects as on the service', async () => {
    @Injectable()
    class Consumer {
      constructor(
        @InjectLane('inbound') readonly inbound: Lane<InboundMessage>,
        @InjectLane('outbound') readonly outbound: Lane<OutboundMessage>,
        @InjectLane('outboundMedia') readonly media: Lane<OutboundMediaMessage>,
      ) {}
    }
    const { app, bus } = await start([BusModule.forRoot({ capacity: { outbound: 3 } })], [Consumer]);
    const consumer = app.get(Consumer);
    expect(consumer.inbound).toBe(bus.inbound);
    expect(consumer.outbound).toBe(bus.outbound);
    expect(consumer.media).toBe(bus.outboundMedia);
    expect(consumer.outbound.capacity).toBe(3);
    expect(consumer.inbound.capacity).toBe(64);
  });

  it('leaves lanes without handlers to manual consumers', async () => {
    const { bus } = await start([BusModule.forRoot()]);
    await bus.publishOutbound(outboundMessage('manual'));
    await bus.publishOutboundMedia({ channel: 'telegram', chatId: '1', parts: [{ type: 'image', ref: 'https://x/y.png' }] });
    await expect(bus.outbound.receive()).resolves.toMatchObject({ content: 'manual' });
    await expect(bus.outboundMedia.receive()).resolves.toMatchObject({ parts: [{ type: 'image' }] });
  });

  it('delivers media to @OnOutboundMedia handlers', async () => {
    @Injectable()
    class MediaSender {
      readonly sent: OutboundMediaMessage[] = [];
      @OnOutboundMedia({ channel: 'telegram' })
      send(message: OutboundMediaMessage): void {
        this.sent.push(message);
      }
    }
    const { app, bus } = await start([BusModule.forRoot()], [MediaSender]);
    const media: OutboundMediaMessage = { channel: 'telegram', chatId: '1', parts: [{ type: 'file', ref: 'f1', filename: 'a.pdf' }] };
    await bus.publishOutboundMedia(media);
    await app.close();
    expect(app.get(MediaSender).sent).toEqual([media]);
  });
});

describe('validation', () => {
  it('rejects invalid messages with InvalidMessageError naming lane and field, and enqueues nothing', async () => {
    const { bus } = await start([BusModule.forRoot()]);
    const cases: [Promise<void>, string][] = [
      [bus.publishInbound({ ...inboundMessage('x'), channel: '' }), 'Invalid inbound message: channel'],
      [bus.publishInbound({ ...inboundMessage('x'), chatId: 42 as unknown as string }), 'Invalid inbound message: chatId'],
      [bus.publishInbound({ ...inboundMessage('x'), content: undefined as unknown as string }), 'Invalid inbound message: content'],
      [bus.publishInbound(null as unknown as InboundMessage), 'Invalid inbound message: message'],
      [bus.publishOutbound({ channel: 'a', chatId: '', content: 'x' }), 'Invalid outbound message: chatId'],
      [bus.publishOutboundMedia({ channel: 'a', chatId: '1', parts: [] }), 'Invalid outboundMedia message: parts'],
      [
        bus.publishOutboundMedia({ channel: 'a', chatId: '1', parts: [{ type: 'gif' as 'image', ref: 'r' }] }),
        'Invalid outboundMedia message: parts[0].type',
      ],
      [
        bus.publishOutboundMedia({ channel: 'a', chatId: '1', parts: [{ type: 'image', ref: 'r' }, { type: 'audio', ref: '' }] }),
        'Invalid outboundMedia message: parts[1].ref',
      ],
    ];
    for (const [publish, message] of cases) {
      const error = await publish.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidMessageError);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toContain(message);
    }
    const error = await bus.publishOutbound({ channel: 'web', chatId: 'c', content: 7 as unknown as string }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'InvalidMessageError', lane: 'outbound', field: 'content' });
    expect((error as Error).message).toBe('Invalid outbound message: content must be a string (got number)');
    expect(() => bus.inbound.tryPublish({ channel: 'x' } as InboundMessage)).toThrow(InvalidMessageError);
    expect([bus.inbound.size, bus.outbound.size, bus.outboundMedia.size]).toEqual([0, 0, 0]);
  });

  it.each<[string, BusModuleOptions, string]>([
    ['zero capacity', { capacity: 0 }, 'capacity must be an integer >= 1 (got 0)'],
    ['fractional capacity', { capacity: 2.5 }, 'capacity must be an integer >= 1'],
    ['per-lane capacity', { capacity: { outbound: -1 } }, 'capacity.outbound must be an integer >= 1'],
    ['unknown lane', { capacity: { replies: 3 } as BusModuleOptions['capacity'] }, 'unknown lane "replies"'],
    ['negative timeout', { drainTimeoutMs: -5 }, 'drainTimeoutMs must be a number >= 0'],
  ])('fails at startup on %s', async (_name, options, message) => {
    const build = Test.createTestingModule({ imports: [BusModule.forRoot(options)] }).setLogger(new RecordingLogger()).compile();
    const error = await build.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidBusOptionsError);
    expect((error as Error).message).toContain(message);
  });
});

describe('forRootAsync', () => {
  @Injectable()
  class BusConfig {
    readonly capacity = 7;
  }
  @Module({ providers: [BusConfig], exports: [BusConfig] })
  class ConfigModule {}

  it('builds options with useFactory and inject', async () => {
    const { bus, app } = await start([
      BusModule.forRootAsync({
        imports: [ConfigModule],
        inject: [BusConfig],
        useFactory: async (config: BusConfig) => ({ capacity: config.capacity, drainTimeoutMs: 123 }),
      }),
    ]);
    expect(bus.inbound.capacity).toBe(7);
    expect(app.get(BUS_MODULE_OPTIONS)).toEqual({ capacity: 7, drainTimeoutMs: 123 });
  });

  it('builds options with useClass', async () => {
    class OptionsFactory {
      create(): BusModuleOptions {
        return { capacity: { inbound: 5 } };
      }
    }
    const { bus } = await start([BusModule.forRootAsync({ useClass: OptionsFactory })]);
    expect(bus.inbound.capacity).toBe(5);
    expect(bus.outbound.capacity).toBe(64);
  });

  it('builds options with useExisting, from a provider of an imported module', async () => {
    @Injectable()
    class SharedOptions {
      create(): BusModuleOptions {
        return { capacity: 9 };
      }
    }
    @Module({ providers: [SharedOptions], exports: [SharedOptions] })
    class SharedModule {}
    const { bus } = await start([BusModule.forRootAsync({ imports: [SharedModule], useExisting: SharedOptions })]);
    expect(bus.outboundMedia.capacity).toBe(9);
  });

  it('is global by default and can be made local', async () => {
    @Injectable()
    class NeedsBus {
      constructor(readonly bus: MessageBusService) {}
    }
    @Module({ providers: [NeedsBus] })
    class FeatureModule {}
    const { app } = await start([BusModule.forRoot(), FeatureModule]);
    expect(app.get(NeedsBus).bus).toBe(app.get(MessageBusService));

    const local = Test.createTestingModule({ imports: [BusModule.forRoot({ global: false }), FeatureModule] })
      .setLogger(new RecordingLogger())
      .compile();
    await expect(local).rejects.toThrow(/NeedsBus/);
  });
});

describe('stream delegate', () => {
  const streamer: Streamer = { update: async () => {}, finalize: async () => {}, cancel: async () => {} };

  @Injectable()
  class ChannelManager implements StreamDelegate {
    // Injecting the bus here is what a channel manager does; resolving the delegate lazily avoids a cycle.
    constructor(readonly bus: MessageBusService) {}
    getStreamer(channel: string, chatId: string): Streamer | undefined {
      return channel === 'telegram' && chatId === 'ok' ? streamer : undefined;
    }
  }

  it('resolves a provider registered under STREAM_DELEGATE anywhere in the app', async () => {
    @Module({ providers: [ChannelManager, { provide: STREAM_DELEGATE, useExisting: ChannelManager }] })
    class ChannelsModule {}
    const { bus } = await start([BusModule.forRoot(), ChannelsModule]);
    await expect(bus.getStreamer('telegram', 'ok')).resolves.toBe(streamer);
    await expect(bus.getStreamer('telegram', 'other')).resolves.toBeUndefined();
  });

  it('uses the streamDelegate option: a registered provider class, or an instance', async () => {
    const { bus, app } = await start([BusModule.forRoot({ streamDelegate: ChannelManager })], [ChannelManager]);
    await expect(bus.getStreamer('telegram', 'ok')).resolves.toBe(streamer);
    expect(app.get(ChannelManager).bus).toBe(bus);

    const instance: StreamDelegate = { getStreamer: async () => streamer };
    const other = await start([BusModule.forRoot({ streamDelegate: instance })]);
    await expect(other.bus.getStreamer('any', '1')).resolves.toBe(streamer);
  });

  it('instantiates an unregistered streamDelegate class with its dependencies', async () => {
    const { bus } = await start([BusModule.forRoot({ streamDelegate: ChannelManager })]);
    await expect(bus.getStreamer('telegram', 'ok')).resolves.toBe(streamer);
  });

  it('resolves undefined when the app has no delegate', async () => {
    const { bus } = await start([BusModule.forRoot()]);
    await expect(bus.getStreamer('telegram', 'ok')).resolves.toBeUndefined();
  });
});

describe('graceful drain', () => {
  @Injectable()
  class EchoAgent {
    constructor(@Inject(MessageBusService) private readonly bus: MessageBusService) {}
    @OnInbound()
    async handle(message: InboundMessage): Promise<void> {
      await nextTurn();
      await this.bus.publishOutbound({ channel: message.channel, chatId: message.chatId, content: `re:${message.content}` });
    }
  }
  @Injectable()
  class Sender {
    constructor(private readonly recorder: Recorder) {}
    @OnOutbound()
    async send(message: OutboundMessage): Promise<void> {
      await nextTurn();
      this.recorder.outbound.push(message.content);
    }
  }

  it('app.close() delivers 500 buffered inbound messages and all 500 replies reach the outbound handler', async () => {
    const logger = new RecordingLogger();
    const app = await Test.createTestingModule({
      imports: [BusModule.forRoot({ capacity: { inbound: 500, outbound: 8 } })],
      providers: [EchoAgent, Sender, Recorder],
    })
      .setLogger(logger)
      .compile();
    const bus = app.get(MessageBusService);
    // Buffered before bootstrap starts the dispatch, so all 500 are waiting when the app closes.
    for (let i = 0; i < 500; i++) expect(bus.inbound.tryPublish(inboundMessage(`m${i}`))).toBe(true);
    await app.init();
    await app.close();
    const report = await bus.close();
    const replies = app.get(Recorder).outbound;
    expect(replies).toHaveLength(500);
    expect(replies).toEqual(Array.from({ length: 500 }, (_, i) => `re:m${i}`));
    expect(report).toMatchObject({ undelivered: 0, rejectedPublishers: 0, timedOut: false });
    expect(report.delivered).toBeGreaterThan(0);
    expect(logger.messages('log').some((m) => m.includes('undelivered'))).toBe(true);
  });

  it('closes in time with a hanging handler and reports the leftovers', async () => {
    @Injectable()
    class Hanging {
      started = 0;
      @OnInbound()
      handle(): Promise<void> {
        this.started++;
        return new Promise(() => {}); // never settles
      }
    }
    const { app, bus } = await start([BusModule.forRoot({ drainTimeoutMs: 200, onUndelivered: recordUndelivered })], [Hanging]);
    for (let i = 0; i < 5; i++) await bus.publishInbound(inboundMessage(`m${i}`));
    await bus.publishOutbound(outboundMessage('no one reads the outbound lane'));
    const started = performance.now();
    await app.close();
    const report = await bus.close();
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(2000);
    expect(report.timedOut).toBe(true);
    expect(app.get(Hanging).started).toBe(1);
    // m0 is in the hanging handler; m1..m4 were waiting; the outbound message was never read.
    expect(undelivered.map((u) => [u.lane, u.reason, (u.message as { content: string }).content])).toEqual([
      ['inbound', 'shutdown-timeout', 'm0'],
      ['inbound', 'shutdown-timeout', 'm1'],
      ['inbound', 'shutdown-timeout', 'm2'],
      ['inbound', 'shutdown-timeout', 'm3'],
      ['inbound', 'shutdown-timeout', 'm4'],
      ['outbound', 'shutdown-timeout', 'no one reads the outbound lane'],
    ]);
    expect(report.undelivered).toBe(6);
    expect(report.lanes.inbound).toEqual({ delivered: 0, undelivered: 5, abandonedInFlight: 1 });
  });

  /** A channel that can only send while connected; the tests disconnect it in different hooks. */
  class DisconnectingChannel {
    connected = true;
    readonly sentWhileConnected: string[] = [];
    @OnOutbound()
    async send(message: OutboundMessage): Promise<void> {
      await nextTurn();
      if (this.connected) this.sentWhileConnected.push(message.content);
    }
  }

  async function sentBeforeDisconnect(channel: Type<DisconnectingChannel>): Promise<number> {
    const { app, bus } = await start([BusModule.forRoot()], [EchoAgent, channel]);
    for (let i = 0; i < 50; i++) await bus.publishInbound(inboundMessage(`m${i}`));
    await app.close();
    return app.get(channel).sentWhileConnected.length;
  }

  it('lets a channel await bus.close() before disconnecting (same promise, no deadlock)', async () => {
    @Injectable()
    class Channel extends DisconnectingChannel implements OnModuleDestroy {
      constructor(private readonly bus: MessageBusService) {
        super();
      }
      async onModuleDestroy(): Promise<void> {
        await this.bus.close();
        this.connected = false;
      }
    }
    expect(await sentBeforeDisconnect(Channel)).toBe(50);
  });

  it('drains before channels disconnect in onApplicationShutdown', async () => {
    @Injectable()
    class Channel extends DisconnectingChannel {
      onApplicationShutdown(): void {
        this.connected = false;
      }
    }
    expect(await sentBeforeDisconnect(Channel)).toBe(50);
  });

  it('waits for a manual consumer to empty its lane while draining', async () => {
    const { app, bus } = await start([BusModule.forRoot({ drainTimeoutMs: 5000 })]);
    for (let i = 0; i < 10; i++) await bus.publishOutbound(outboundMessage(`o${i}`));
    const consumed: string[] = [];
    const consumer = (async () => {
      for await (const message of bus.outbound) {
        await nextTurn();
        consumed.push(message.content);
      }
    })();
    await app.close();
    const report = await bus.close();
    await consumer;
    expect(consumed).toHaveLength(10);
    expect(report).toMatchObject({ undelivered: 0, timedOut: false });
  });

  it('rejects publishers waiting on a full lane at close and counts them', async () => {
    const { bus } = await start([BusModule.forRoot({ capacity: 1, drainTimeoutMs: 50, onUndelivered: recordUndelivered })]);
    await bus.publishInbound(inboundMessage('buffered'));
    const waiting = bus.publishInbound(inboundMessage('waiting')).catch((e: unknown) => e);
    const report = await bus.close();
    expect(await waiting).toBeInstanceOf(BusClosedError);
    expect(report.rejectedPublishers).toBe(1);
    expect(report.undelivered).toBe(1);
    expect(undelivered.map((u) => (u.message as InboundMessage).content)).toEqual(['buffered']);
  });
});
