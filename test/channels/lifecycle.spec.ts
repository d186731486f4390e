import 'reflect-metadata';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { BusChannel, BusModule, InvalidBusOptionsError, MessageBusService, OnInbound, OnOutbound } from '../../src/index.js';
import type { BusChannelOptions, InboundMessage, OutboundMessage } from '../../src/index.js';
import { RecordingChannel } from '../../src/testing/index.js';
import type { RecordingChannelOptions } from '../../src/testing/index.js';
import { startApp } from '../support/app.js';
import { inboundMessage } from '../support/messages.js';

async function* deltas(...parts: string[]): AsyncGenerator<string> {
  for (const part of parts) yield part;
}

let gate: Promise<void> = Promise.resolve();

@Injectable()
class Agent {
  constructor(private readonly bus: MessageBusService) {}

  @OnInbound()
  async handle(message: InboundMessage): Promise<void> {
    await gate;
    if (message.content === 'fail') throw new Error('model unavailable');
    if (message.content === 'silent') return;
    if (message.content === 'stream') {
      await this.bus.respond(message, deltas('Hello', ' there'));
      return;
    }
    await this.bus.respond(message, `re: ${message.content}`);
  }
}

async function startWith(options: RecordingChannelOptions, extraProviders: unknown[] = []) {
  const Web = RecordingChannel.for('web', options);
  const { bus, app, logger } = await startApp([BusModule.forRoot()], [Agent, Web, ...(extraProviders as never[])]);
  return { bus, app, logger, web: app.get(Web) };
}

const web = (content: string, overrides: Partial<InboundMessage> = {}) => inboundMessage(content, { channel: 'web', chatId: 'c1', ...overrides });

afterEach(() => {
  gate = Promise.resolve();
  jest.useRealTimers();
});

describe('the acknowledgement lifecycle', () => {
  it('starts typing and a placeholder, then stops typing and edits the placeholder into the answer instead of sending it', async () => {
    const { bus, web: channel } = await startWith({ channel: { acknowledge: ['typing', 'placeholder'] } });
    await bus.publishInbound(web('hi'));
    await bus.idle();
    expect(channel.kinds('c1')).toEqual(['typing', 'placeholder', 'typing-stop', 'edit']);
    const placeholder = channel.calls.find((call) => call.kind === 'placeholder');
    expect(channel.calls.find((call) => call.kind === 'edit')).toMatchObject({ messageId: placeholder?.messageId, text: 're: hi' });
  });

  it('deletes the placeholder once a streamed answer was delivered', async () => {
    const { bus, web: channel } = await startWith({ channel: { acknowledge: ['typing', 'placeholder'] } });
    await bus.publishInbound(web('stream'));
    await bus.idle();
    expect(channel.kinds('c1')).toEqual(['typing', 'placeholder', 'draft', 'draft', 'final', 'clear', 'typing-stop', 'delete']);
    expect(channel.texts('final')).toEqual(['Hello there']);
  });

  it('edits the placeholder into a streamed answer when the channel cannot delete', async () => {
    const { bus, web: channel } = await startWith({ channel: { acknowledge: ['placeholder'] }, without: ['delete'] });
    await bus.publishInbound(web('stream'));
    await bus.idle();
    expect(channel.kinds('c1').slice(-1)).toEqual(['edit']);
    expect(channel.texts('edit')).toEqual(['Hello there']);
  });

  it('deletes the placeholder and sends the answer when the channel cannot edit', async () => {
    const { bus, web: channel } = await startWith({ channel: { acknowledge: ['placeholder'] }, without: ['edit'] });
    await bus.publishInbound(web('hi'));
    await bus.idle();
    expect(channel.kinds('c1')).toEqual(['placeholder', 'delete', 'send']);
  });

  it("reacts to the user's message and undoes the reaction when the answer goes out", async () => {
    const { bus, web: channel } = await startWith({ channel: { acknowledge: ['reaction'] } });
    await bus.publishInbound(web('hi', { messageId: 'u-7' }));
    await bus.idle();
    expect(channel.calls.map((call) => [call.kind, call.text])).toEqual([
      ['react', 'u-7'],
      ['unreact', 'u-7'],
      ['send', 're: hi'],
    ]);
  });

  it('cleans everything up when the handler fails, or answers nothing', async () => {
    const { bus, web: channel } = await startWith({ channel: { acknowledge: ['typing', 'reaction', 'placeholder'] } });
    await bus.publishInbound(web('fail', { chatId: 'failing', messageId: 'u-1' }));
    await bus.publishInbound(web('silent', { chatId: 'silent', messageId: 'u-2' }));
    await bus.idle();
    for (const chatId of ['failing', 'silent']) {
      expect(channel.kinds(chatId).sort()).toEqual(['delete', 'placeholder', 'react', 'typing', 'typing-stop', 'unreact']);
    }
  });

  it('types again while a turn outlasts typingIntervalMs, and stops once', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    let release: () => void = () => undefined;
    gate = new Promise<void>((resolve) => (release = resolve));
    const { bus, web: channel } = await startWith({ channel: { acknowledge: ['typing'], typingIntervalMs: 4000 } });
    await bus.publishInbound(web('hi'));
    await jest.advanceTimersByTimeAsync(9000);
    release();
    await bus.idle();
    expect(channel.kinds('c1')).toEqual(['typing', 'typing', 'typing', 'typing-stop', 'send']);
  });

  it('gives up on an answer that never goes out: the janitor undoes it after acknowledgeTtlMs', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const { bus, web: channel } = await startWith({ channel: { acknowledge: ['typing', 'placeholder'], acknowledgeTtlMs: 60_000, concurrency: 1 } });
    // One chat's delivery hangs (editing its placeholder into the answer never returns), and the channel
    // delivers to one chat at a time: the other chat's answer waits.
    const editMessage = channel.editMessage.bind(channel);
    channel.editMessage = (chatId, messageId, content) => (chatId === 'blocker' ? new Promise(() => undefined) : editMessage(chatId, messageId, content));
    await bus.publishInbound(web('hi', { chatId: 'blocker' }));
    await bus.publishInbound(web('hi', { chatId: 'waiting' }));
    await jest.advanceTimersByTimeAsync(59_000);
    expect(channel.kinds('waiting')).toEqual(['typing', 'placeholder']);
    await jest.advanceTimersByTimeAsync(11_000);
    expect(channel.kinds('waiting')).toEqual(['typing', 'placeholder', 'typing-stop', 'delete']);
    const closing = bus.close({ timeoutMs: 0 });
    await jest.advanceTimersByTimeAsync(1);
    await closing;
  });

  it('keeps @OnOutbound handlers working beside a channel that sends', async () => {
    const seen: string[] = [];
    @Injectable()
    class Audit {
      @OnOutbound({ channel: 'web' })
      audit(message: OutboundMessage): void {
        seen.push(message.content);
      }
    }
    const { bus, web: channel } = await startWith({}, [Audit]);
    await bus.publishInbound(web('hi'));
    await bus.idle();
    expect(channel.texts('send')).toEqual(['re: hi']);
    expect(seen).toEqual(['re: hi']);
  });
});

describe('@BusChannel options', () => {
  it.each<[BusChannelOptions, string]>([
    [{ maxMessageLength: 0 }, "@BusChannel('bad').maxMessageLength"],
    [{ rateLimit: { perSecond: -1 } }, "@BusChannel('bad').rateLimit.perSecond"],
    [{ acknowledge: ['typing', 'wave' as never] }, "@BusChannel('bad').acknowledge"],
    [{ retry: { attempts: 0 } }, "@BusChannel('bad').retry.attempts"],
    [{ typingIntervalMs: 1.5 }, "@BusChannel('bad').typingIntervalMs"],
  ])('refuses %j when the class is decorated, naming the option', (options, option) => {
    expect(() => BusChannel('bad', options)).toThrow(InvalidBusOptionsError);
    expect(() => BusChannel('bad', options)).toThrow(expect.objectContaining({ option }));
  });
});
