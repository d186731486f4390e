import 'reflect-metadata';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import {
  BusChannel,
  BusModule,
  ChannelPermanentError,
  ChannelRateLimitError,
  ChannelTemporaryError,
  MessageBusService,
  OnInbound,
  splitMessage,
} from '../../src/index.js';
import type { BusChannelOptions, InboundMessage, OutboundMessage, SendContext, UndeliveredReason } from '../../src/index.js';
import { startApp } from '../support/app.js';
import { inboundMessage } from '../support/messages.js';

/** What the scripted platform does with the n-th send call (1-based): succeed, or throw. */
type Script = (call: number, message: OutboundMessage, ctx: SendContext) => void;

interface SentPart {
  chatId: string;
  content: string;
  at: number;
  attempt: number;
  part: number;
  parts: number;
}

function scriptedChannel(options: BusChannelOptions) {
  @Injectable()
  @BusChannel('chat', options)
  class ScriptedChannel {
    readonly sent: SentPart[] = [];
    calls = 0;
    script: Script = () => undefined;

    async send(message: OutboundMessage, ctx: SendContext): Promise<{ messageId: string }> {
      this.script(++this.calls, message, ctx);
      this.sent.push({ chatId: message.chatId, content: message.content, at: Date.now(), attempt: ctx.attempt, part: ctx.part, parts: ctx.parts });
      return { messageId: `m${this.calls}` };
    }
  }
  return ScriptedChannel;
}

@Injectable()
class Replier {
  constructor(private readonly bus: MessageBusService) {}

  @OnInbound()
  async handle(message: InboundMessage): Promise<void> {
    const answer = message.content.startsWith('long:') ? longAnswer(Number(message.content.slice(5))) : `re: ${message.content}`;
    await this.bus.respond(message, answer);
  }
}

/** Paragraphs of numbered sentences: an answer a model could give, of about `length` characters. */
function longAnswer(length: number): string {
  const sentences: string[] = [];
  for (let i = 0; sentences.join(' ').length < length; i++) sentences.push(`Sentence number ${i} of the answer says something.${i % 7 === 6 ? '\n\n' : ''}`);
  return sentences.join(' ').slice(0, length);
}

async function start(options: BusChannelOptions) {
  const Channel = scriptedChannel(options);
  const undelivered: { reason: UndeliveredReason; message: OutboundMessage; error: unknown }[] = [];
  const { bus, app } = await startApp(
    [BusModule.forRoot({ onUndelivered: (_lane, message, reason, { error }) => void undelivered.push({ reason, message: message as OutboundMessage, error }) })],
    [Replier, Channel],
  );
  return { bus, channel: app.get(Channel), undelivered };
}

const ask = (content: string, chatId = 'c1') => inboundMessage(content, { channel: 'chat', chatId });

afterEach(() => {
  jest.useRealTimers();
});

function useFakeTimers(): void {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
}

describe('channel delivery', () => {
  it('splits a 10 000-character answer to a 4096-character limit and sends the parts in order', async () => {
    const { bus, channel } = await start({ maxMessageLength: 4096 });
    await bus.publishInbound(ask('long:10000'));
    await bus.idle();
    const expected = splitMessage(longAnswer(10_000), 4096);
    expect(expected.length).toBe(3);
    expect(channel.sent.map((part) => part.content)).toEqual(expected);
    expect(channel.sent.map((part) => [part.part, part.parts])).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    expect(channel.sent.every((part) => Array.from(part.content).length <= 4096)).toBe(true);
  });

  it('paces sends with the channel token bucket', async () => {
    useFakeTimers();
    const { bus, channel } = await start({ rateLimit: { perSecond: 2, burst: 1 } });
    const startedAt = Date.now();
    for (const chatId of ['a', 'b', 'c', 'd']) await bus.publishInbound(ask('hi', chatId));
    await jest.advanceTimersByTimeAsync(2000);
    await bus.idle();
    expect(channel.sent.map((part) => part.at - startedAt)).toEqual([0, 500, 1000, 1500]);
  });

  it('paces one chat with perChatPerSecond while other chats go ahead', async () => {
    useFakeTimers();
    const { bus, channel } = await start({ rateLimit: { perChatPerSecond: 1, burst: 1 } });
    const startedAt = Date.now();
    await bus.publishInbound(ask('one', 'busy'));
    await bus.publishInbound(ask('two', 'busy'));
    await bus.publishInbound(ask('three', 'busy'));
    await bus.publishInbound(ask('hi', 'quiet'));
    await jest.advanceTimersByTimeAsync(3000);
    await bus.idle();
    const at = (chatId: string) => channel.sent.filter((part) => part.chatId === chatId).map((part) => part.at - startedAt);
    expect(at('busy')).toEqual([0, 1000, 2000]);
    expect(at('quiet')).toEqual([0]);
  });

  it('does not retry a permanent error: the answer is reported send-failed at once', async () => {
    const { bus, channel, undelivered } = await start({});
    channel.script = () => {
      throw new ChannelPermanentError('bot was blocked by the user');
    };
    await bus.publishInbound(ask('hi'));
    await bus.idle();
    expect(channel.calls).toBe(1);
    expect(undelivered).toEqual([{ reason: 'send-failed', message: { channel: 'chat', chatId: 'c1', content: 're: hi' }, error: expect.anything() }]);
    expect((undelivered[0].error as Error).cause).toBeInstanceOf(ChannelPermanentError);
  });

  it('backs off after temporary errors (500 ms, then 1 s), and waits retryAfterMs after a rate limit', async () => {
    useFakeTimers();
    const { bus, channel } = await start({});
    const failures = [new ChannelTemporaryError('502'), new ChannelTemporaryError('timeout'), new ChannelRateLimitError(3000)];
    channel.script = (call) => {
      if (call <= failures.length) throw failures[call - 1];
    };
    const startedAt = Date.now();
    await bus.publishInbound(ask('hi'));
    await jest.advanceTimersByTimeAsync(4499);
    expect(channel.sent).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    await bus.idle();
    expect(channel.sent).toMatchObject([{ content: 're: hi', attempt: 4 }]);
    expect(channel.sent[0].at - startedAt).toBe(4500);
  });

  it('treats HTTP statuses on unknown errors: 429 waits, another 4xx is permanent', async () => {
    useFakeTimers();
    const { bus, channel, undelivered } = await start({ retry: { rateLimitDelayMs: 2000 } });
    channel.script = (call, message) => {
      if (message.chatId === 'limited' && call === 1) throw Object.assign(new Error('Too Many Requests'), { status: 429 });
      if (message.chatId === 'gone') throw Object.assign(new Error('Forbidden'), { statusCode: 403 });
    };
    await bus.publishInbound(ask('hi', 'limited'));
    await bus.publishInbound(ask('hi', 'gone'));
    await jest.advanceTimersByTimeAsync(2000);
    await bus.idle();
    expect(channel.sent.map((part) => [part.chatId, part.attempt])).toEqual([['limited', 2]]);
    expect(undelivered.map((entry) => [entry.message.chatId, entry.reason])).toEqual([['gone', 'send-failed']]);
  });

  it('retries a split send failing at part 2 without sending part 1 again', async () => {
    useFakeTimers();
    const { bus, channel } = await start({ maxMessageLength: 4096 });
    channel.script = (_call, _message, ctx) => {
      if (ctx.part === 2 && ctx.attempt === 1) throw new ChannelTemporaryError('connection reset');
    };
    await bus.publishInbound(ask('long:10000'));
    await jest.advanceTimersByTimeAsync(500);
    await bus.idle();
    expect(channel.sent.map((part) => [part.part, part.attempt])).toEqual([
      [1, 1],
      [2, 2],
      [3, 1],
    ]);
  });

  it('reports only the parts not sent when a split send keeps failing', async () => {
    const { bus, channel, undelivered } = await start({ maxMessageLength: 4096 });
    channel.script = (_call, _message, ctx) => {
      if (ctx.part === 2) throw new ChannelPermanentError('message is too long');
    };
    await bus.publishInbound(ask('long:10000'));
    await bus.idle();
    const parts = splitMessage(longAnswer(10_000), 4096);
    expect(channel.sent.map((part) => part.content)).toEqual([parts[0]]);
    expect(undelivered).toHaveLength(1);
    expect(undelivered[0]).toMatchObject({ reason: 'send-failed', message: { chatId: 'c1', content: parts.slice(1).join('\n\n') } });
  });
});
