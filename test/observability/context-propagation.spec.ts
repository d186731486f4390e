import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { AsyncLocalStorage } from 'node:async_hooks';
import { busWithHandler } from '../support/dispatch.js';
import { inboundMessage } from '../support/messages.js';

const requestId = new AsyncLocalStorage<string>();

describe('propagateContext', () => {
  it('runs each handler call in the async context of the publish that produced its message', async () => {
    const seen: [string, string | undefined][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // One at a time per chat: the second message's call starts from the first call's completion, in
    // another context than its publisher's; it must still see its own publisher's request id.
    const bus = busWithHandler(
      async (message) => {
        if (message.content === 'first') await gate;
        seen.push([message.content, requestId.getStore()]);
      },
      { concurrency: 1 },
      { propagateContext: true },
    );
    await requestId.run('req-1', () => bus.publishInbound(inboundMessage('first')));
    await requestId.run('req-2', () => bus.publishInbound(inboundMessage('second')));
    await requestId.run('req-3', () => bus.publishInbound(inboundMessage('third', { chatId: 'other' })));
    release();
    await bus.idle();
    expect(seen.sort()).toEqual([
      ['first', 'req-1'],
      ['second', 'req-2'],
      ['third', 'req-3'],
    ]);
    await bus.close();
  });

  it('is off by default: a queued message runs in whichever context freed its turn', async () => {
    const seen: (string | undefined)[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const bus = busWithHandler(
      async (message) => {
        if (message.content === 'first') await gate;
        else seen.push(requestId.getStore());
      },
      { concurrency: 1 },
    );
    await requestId.run('req-1', () => bus.publishInbound(inboundMessage('first')));
    await requestId.run('req-2', () => bus.publishInbound(inboundMessage('second')));
    release();
    await bus.idle();
    expect(seen).toEqual(['req-1']);
    await bus.close();
  });
});
