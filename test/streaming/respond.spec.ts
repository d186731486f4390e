import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import type { Provider } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';
import {
  BusChannel,
  BusModule,
  MessageBusService,
  OnOutbound,
  STREAM_DELEGATE,
  ThrottledStreamer,
} from '../../src/index.js';
import type { OutboundMessage, StreamDelegate, Streamer, StreamingCapable } from '../../src/index.js';
import { RecordingLogger } from '../support/recording.logger.js';
import { eventually, inboundMessage, nextTurn } from '../support/messages.js';

/** What a chat platform saw: drafts, final messages, draft clears, and normal outbound sends. */
class Platform {
  readonly calls: string[] = [];
  failFinal = 0;
}

/** An LLM stand-in: yields the deltas, one per event-loop turn, and notes whether it was stopped. */
function llm(deltas: string[], state: { stopped?: boolean } = {}): AsyncIterable<string> {
  return (async function* () {
    try {
      for (const delta of deltas) {
        await nextTurn();
        yield delta;
      }
    } finally {
      state.stopped = true;
    }
  })();
}

@Injectable()
@BusChannel('telegram')
class TelegramChannel implements StreamingCapable {
  constructor(private readonly platform: Platform) {}
  beginStream(chatId: string): Streamer {
    const { platform } = this;
    return new ThrottledStreamer({
      sendDraft: (text) => platform.calls.push(`draft ${chatId}: ${text}`),
      sendFinal: async (text) => {
        if (platform.failFinal > 0) {
          platform.failFinal--;
          throw new Error('sendMessage failed');
        }
        platform.calls.push(`final ${chatId}: ${text}`);
      },
      clearDraft: () => platform.calls.push(`clear ${chatId}`),
      throttleMs: 0,
      minGrowth: 1,
    });
  }
  @OnOutbound({ channel: 'telegram' })
  send(message: OutboundMessage): void {
    this.platform.calls.push(`message ${message.chatId}: ${message.content}`);
  }
}

@Injectable()
@BusChannel('sms')
class SmsChannel {
  constructor(private readonly platform: Platform) {}
  @OnOutbound({ channel: 'sms' })
  send(message: OutboundMessage): void {
    this.platform.calls.push(`message ${message.chatId}: ${message.content}${message.replyToMessageId ? ` (re ${message.replyToMessageId})` : ''}`);
  }
}

@Injectable()
@BusChannel('broken')
class BrokenChannel implements StreamingCapable {
  constructor(private readonly platform: Platform) {}
  beginStream(): Streamer {
    throw new Error('no drafts in this chat');
  }
  @OnOutbound({ channel: 'broken' })
  send(message: OutboundMessage): void {
    this.platform.calls.push(`message ${message.chatId}: ${message.content}`);
  }
}

const apps: TestingModule[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function start(providers: Provider[] = [TelegramChannel, SmsChannel, BrokenChannel]) {
  const app = await Test.createTestingModule({ imports: [BusModule.forRoot()], providers: [Platform, ...providers] })
    .setLogger(new RecordingLogger())
    .compile();
  apps.push(app);
  await app.init();
  return { app, bus: app.get(MessageBusService), platform: app.get(Platform) };
}

describe('bus.respond()', () => {
  it('streams to a streaming channel: drafts, then one final message, and no outbound message', async () => {
    const { app, bus, platform } = await start();
    const result = await bus.respond(inboundMessage('hi', { chatId: '7' }), llm(['Hel', 'lo ', 'world']));
    await app.close();
    expect(result).toEqual({ text: 'Hello world', streamed: true });
    const drafts = platform.calls.filter((c) => c.startsWith('draft'));
    expect(drafts.length).toBeGreaterThanOrEqual(1);
    expect(drafts[0]).toBe('draft 7: Hel');
    expect(platform.calls.filter((c) => !c.startsWith('draft'))).toEqual(['final 7: Hello world', 'clear 7']);
  });

  it('publishes one outbound message for a channel that cannot stream', async () => {
    const { app, bus, platform } = await start();
    const result = await bus.respond({ channel: 'sms', chatId: '1' }, llm(['a', 'b', 'c']), { replyToMessageId: 'm9' });
    await app.close();
    expect(result).toEqual({ text: 'abc', streamed: false });
    expect(platform.calls).toEqual(['message 1: abc (re m9)']);
  });

  it('publishes one outbound message when beginStream throws', async () => {
    const { app, bus, platform } = await start();
    await expect(bus.respond({ channel: 'broken', chatId: '1' }, llm(['x', 'y']))).resolves.toEqual({ text: 'xy', streamed: false });
    await app.close();
    expect(platform.calls).toEqual(['message 1: xy']);
  });

  it('falls back to one outbound message when the final delivery fails', async () => {
    const { app, bus, platform } = await start();
    platform.failFinal = 1;
    const result = await bus.respond({ channel: 'telegram', chatId: '5' }, llm(['an', 'swer']));
    await app.close();
    expect(result).toEqual({ text: 'answer', streamed: false });
    expect(platform.calls.filter((c) => c.startsWith('final'))).toEqual([]);
    expect(platform.calls.filter((c) => c.startsWith('message'))).toEqual(['message 5: answer']);
    // The preview is cleared before the message arrives.
    expect(platform.calls.indexOf('clear 5')).toBeLessThan(platform.calls.indexOf('message 5: answer'));
  });

  it('on abort mid-stream cancels the streamer, publishes nothing, stops the LLM and rejects with the reason', async () => {
    const { app, bus, platform } = await start();
    const controller = new AbortController();
    const state: { stopped?: boolean } = {};
    const deltas = (async function* () {
      yield 'partial ';
      controller.abort(new Error('user pressed stop'));
      yield* llm(['never', 'shown'], state);
    })();
    await expect(bus.respond({ channel: 'telegram', chatId: '3' }, deltas, { signal: controller.signal })).rejects.toThrow(
      'user pressed stop',
    );
    await eventually(() => state.stopped === true);
    await app.close();
    expect(platform.calls.filter((c) => c.startsWith('final') || c.startsWith('message'))).toEqual([]);
    expect(platform.calls.at(-1)).toBe('clear 3');
  });

  it('with stream: false accumulates and publishes one outbound message, without drafts', async () => {
    const { app, bus, platform } = await start();
    const result = await bus.respond({ channel: 'telegram', chatId: '2' }, llm(['HEART', 'BEAT']), { stream: false });
    await app.close();
    expect(result).toEqual({ text: 'HEARTBEAT', streamed: false });
    expect(platform.calls).toEqual(['message 2: HEARTBEAT']);
  });

  it('publishes a string reply as one outbound message, and nothing for an empty answer', async () => {
    const { app, bus, platform } = await start();
    await expect(bus.respond({ channel: 'telegram', chatId: '1' }, 'plain')).resolves.toEqual({ text: 'plain', streamed: false });
    await expect(bus.respond({ channel: 'telegram', chatId: '1' }, '')).resolves.toEqual({ text: '', streamed: false });
    await expect(bus.respond({ channel: 'telegram', chatId: '1' }, llm([]))).resolves.toEqual({ text: '', streamed: false });
    await app.close();
    expect(platform.calls).toEqual(['message 1: plain']);
  });

  it('sends the answer as a message when the stream delegate fails', async () => {
    const delegate: StreamDelegate = {
      getStreamer: async () => {
        throw new Error('channel manager not ready');
      },
    };
    const { app, bus, platform } = await start([TelegramChannel, { provide: STREAM_DELEGATE, useValue: delegate }]);
    await expect(bus.respond({ channel: 'telegram', chatId: '4' }, llm(['still ', 'here']))).resolves.toEqual({
      text: 'still here',
      streamed: false,
    });
    await app.close();
    expect(platform.calls).toEqual(['message 4: still here']);
  });

  it('prefers a STREAM_DELEGATE provider over the channels', async () => {
    const calls: string[] = [];
    const delegate: StreamDelegate = {
      getStreamer: (channel, chatId) => ({
        update: async (text) => void calls.push(`update ${channel}/${chatId}: ${text}`),
        finalize: async (text) => void calls.push(`finalize ${text}`),
        cancel: async () => void calls.push('cancel'),
      }),
    };
    const { app, bus, platform } = await start([TelegramChannel, { provide: STREAM_DELEGATE, useValue: delegate }]);
    await bus.respond({ channel: 'telegram', chatId: '1' }, llm(['o', 'k']));
    await app.close();
    expect(calls).toEqual(['update telegram/1: o', 'update telegram/1: ok', 'finalize ok']);
    expect(platform.calls).toEqual([]);
  });
});

describe('@BusChannel', () => {
  it('fails at startup when two providers claim the same channel name', async () => {
    @Injectable()
    @BusChannel('telegram')
    class OtherTelegram {}
    @Module({ imports: [BusModule.forRoot()], providers: [Platform, TelegramChannel, OtherTelegram] })
    class AppModule {}
    const app = await Test.createTestingModule({ imports: [AppModule] }).setLogger(new RecordingLogger()).compile();
    await expect(app.init()).rejects.toThrow(/@BusChannel\('telegram'\) is on both (TelegramChannel|OtherTelegram) and/);
    await app.close();
  });

  it('gives no streamer for an unknown channel or one without beginStream', async () => {
    const { bus } = await start();
    await expect(bus.getStreamer('whatsapp', '1')).resolves.toBeUndefined();
    await expect(bus.getStreamer('sms', '1')).resolves.toBeUndefined();
    await expect(bus.getStreamer('telegram', '1')).resolves.toBeInstanceOf(ThrottledStreamer);
  });

  it('refuses an empty channel name', () => {
    expect(() => BusChannel('')).toThrow(TypeError);
  });
});
