import 'reflect-metadata';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { BusChannel, BusModule, MessageBusService, ThrottledStreamer } from '../../src/index.js';
import type { StreamContext } from '../../src/index.js';
import { RecordingChannel } from '../../src/testing/index.js';
import { startApp } from '../support/app.js';
import { inboundMessage } from '../support/messages.js';

async function* deltas(...parts: string[]): AsyncGenerator<string> {
  for (const part of parts) yield part;
}

@Injectable()
@BusChannel('topics')
class TopicChannel {
  readonly contexts: StreamContext[] = [];
  readonly finals: string[] = [];

  beginStream(_chatId: string, context: StreamContext) {
    this.contexts.push(context);
    return new ThrottledStreamer({ sendDraft: () => undefined, sendFinal: (text) => void this.finals.push(text), throttleMs: 0 });
  }
}

afterEach(() => {
  jest.useRealTimers();
});

describe('reply context', () => {
  it("reaches beginStream: the message replied to, the thread, the user's message and the signal", async () => {
    const { bus, app } = await startApp([BusModule.forRoot()], [TopicChannel]);
    const question = inboundMessage('hi', { channel: 'topics', messageId: 'u-9', metadata: { threadId: 't-3' } });
    const signal = new AbortController().signal;
    await bus.respond(question, deltas('Hel', 'lo'), { replyToMessageId: 'u-9', signal });
    const [context] = app.get(TopicChannel).contexts;
    expect(context).toEqual({ replyToMessageId: 'u-9', threadId: 't-3', inbound: question, signal });
    expect(app.get(TopicChannel).finals).toEqual(['Hello']);
  });

  it('takes the thread from the options over the message, and gives no inbound for a bare target', async () => {
    const { bus, app } = await startApp([BusModule.forRoot()], [TopicChannel]);
    await bus.respond({ channel: 'topics', chatId: 'c1' }, deltas('ok'), { threadId: 't-1' });
    expect(app.get(TopicChannel).contexts).toEqual([{ threadId: 't-1' }]);
  });
});

describe('respond with a stream factory', () => {
  it("hands the factory the answer's signal, which aborts when respond is aborted", async () => {
    const { bus } = await startApp([BusModule.forRoot()], [TopicChannel]);
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const answering = bus.respond(
      { channel: 'topics', chatId: 'c1' },
      (signal) => {
        seen = signal;
        return (async function* () {
          yield 'partial';
          await new Promise((resolve) => signal.addEventListener('abort', resolve));
        })();
      },
      { signal: controller.signal },
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen?.aborted).toBe(false);
    controller.abort(new Error('user left'));
    await expect(answering).rejects.toThrow('user left');
    expect(seen?.aborted).toBe(true);
  });

  it('aborts the signal when answering fails, so the model stops', async () => {
    const { bus } = await startApp([BusModule.forRoot()], [TopicChannel]);
    let seen: AbortSignal | undefined;
    const failing = bus.respond({ channel: 'topics', chatId: 'c1' }, (signal) => {
      seen = signal;
      return (async function* () {
        yield 'a';
        throw new Error('stream broke');
      })();
    });
    await expect(failing).rejects.toThrow('stream broke');
    expect(seen?.aborted).toBe(true);
  });
});

describe('a streamed answer whose final delivery fails partway', () => {
  it('publishes only the parts not delivered', async () => {
    const Web = RecordingChannel.for('web', { channel: { maxMessageLength: 20 } });
    const { bus, app } = await startApp([BusModule.forRoot()], [Web]);
    const web = app.get(Web);
    web.failFinal(2); // the first part is out; the rest must go as a normal message, once
    const text = 'First part here. Second part here. Third part.';
    await bus.respond({ channel: 'web', chatId: 'c1' }, deltas(text));
    await bus.idle();
    expect(web.texts('final')).toEqual(['First part here.']);
    expect(web.texts('send').join(' ')).toBe('Second part here. Third part.');
  });
});

describe('ThrottledStreamer and a rate-limited draft call', () => {
  it('pauses drafts for retryAfterMs instead of giving up on them, then shows the latest text', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const drafts: [string, number][] = [];
    let calls = 0;
    const startedAt = Date.now();
    const streamer = new ThrottledStreamer({
      sendDraft: (text) => {
        if (++calls === 2) throw Object.assign(new Error('429'), { retryAfterMs: 2000 });
        drafts.push([text, Date.now() - startedAt]);
      },
      sendFinal: () => undefined,
      throttleMs: 100,
      minGrowth: 1,
    });
    await streamer.update('a');
    await jest.advanceTimersByTimeAsync(100);
    await streamer.update('ab'); // refused with 429
    await jest.advanceTimersByTimeAsync(500);
    await streamer.update('abc');
    await jest.advanceTimersByTimeAsync(2000);
    expect(drafts).toEqual([
      ['a', 0],
      ['abc', 2100],
    ]);
    expect(streamer.degraded).toBe(false);
  });
});
