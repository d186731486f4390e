import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { InvalidMessageError, MessageBusService, ThrottledStreamer, pipeTextStream } from '../../src/index.js';
import type { StreamDelegate } from '../../src/index.js';
import { splitMessage } from '../../src/streaming/split-message.js';
import { eventually, nextTurn } from '../support/messages.js';

/** A chat API call that never answers. */
const never = (): Promise<void> => new Promise<void>(() => undefined);

function recordingStreamer(overrides: Partial<ConstructorParameters<typeof ThrottledStreamer>[0]> = {}) {
  const log: string[] = [];
  const streamer = new ThrottledStreamer({
    sendDraft: (text) => void log.push(`draft:${text}`),
    sendFinal: (text) => void log.push(`final:${text}`),
    clearDraft: () => void log.push('clear'),
    throttleMs: 0,
    minGrowth: 1,
    logger: { warn: () => undefined },
    ...overrides,
  });
  return { streamer, log };
}

async function* deltas(...parts: string[]): AsyncGenerator<string> {
  for (const part of parts) {
    await nextTurn();
    yield part;
  }
}

beforeAll(() => Logger.overrideLogger(false));
afterAll(() => Logger.overrideLogger(true));

describe('ThrottledStreamer: bad input', () => {
  it.each([undefined, null, 42, { text: 'a' }])('rejects update(%p) with a TypeError at once and calls nothing', async (content) => {
    const { streamer, log } = recordingStreamer();
    await expect(streamer.update(content as unknown as string)).rejects.toThrow(TypeError);
    await expect(streamer.finalize(content as unknown as string)).rejects.toThrow(/content must be a string/);
    await nextTurn();
    expect(log).toEqual([]);
    // The streamer is still usable.
    await streamer.finalize('fine');
    expect(log).toEqual(['final:fine']);
  });

  it('refuses a signal option that is not an AbortSignal', async () => {
    const { streamer } = recordingStreamer();
    const controller = new AbortController() as unknown as AbortSignal;
    await expect(streamer.update('a', { signal: controller })).rejects.toThrow(/controller\.signal/);
    await expect(streamer.finalize('a', { signal: controller })).rejects.toThrow(TypeError);
    await expect(streamer.cancel({ signal: controller })).rejects.toThrow(TypeError);
  });
});

describe('ThrottledStreamer: a hung chat API cannot hang the caller', () => {
  it('finalize({ signal }) rejects with the reason when the draft call in flight never settles', async () => {
    const { streamer, log } = recordingStreamer({
      sendDraft: (text) => {
        log.push(`draft:${text}`);
        return never();
      },
    });
    await streamer.update('partial');
    const controller = new AbortController();
    const finalizing = streamer.finalize('whole answer', { signal: controller.signal });
    await nextTurn();
    const reason = new Error('turn timed out');
    controller.abort(reason);
    await expect(finalizing).rejects.toBe(reason);
    expect(log).toEqual(['draft:partial']);
  });

  it('finalize({ signal }) rejects with the reason when sendFinal never settles', async () => {
    const { streamer } = recordingStreamer({ sendFinal: never });
    const finalizing = streamer.finalize('answer', { signal: AbortSignal.timeout(20) });
    await expect(finalizing).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('cancel({ signal }) resolves once the signal aborts, though the draft call never settles', async () => {
    const { streamer } = recordingStreamer({ sendDraft: never });
    await streamer.update('partial');
    await expect(streamer.cancel({ signal: AbortSignal.timeout(20) })).resolves.toBeUndefined();
  });

  it('a cancel during a split finalize waits for every part: no silent partial answer', async () => {
    const sent: string[] = [];
    const order: string[] = [];
    const { streamer } = recordingStreamer({
      maxLength: 12,
      sendFinal: async (text) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        sent.push(text);
      },
    });
    const answer = 'first part, second part, third part, fourth part';
    const finalizing = streamer.finalize(answer).then(() => order.push('finalized'));
    await eventually(() => sent.length === 1);
    const cancelled = streamer.cancel().then(() => order.push('cancelled'));
    await Promise.all([finalizing, cancelled]);
    expect(sent).toEqual(splitMessage(answer, 12));
    expect(sent.length).toBeGreaterThan(2);
    expect(order).toEqual(['finalized', 'cancelled']);
  });
});

describe('pipeTextStream and respond(): a hung chat API cannot hang the agent', () => {
  it('pipeTextStream rejects with the reason when finalize never settles', async () => {
    const streamer = { update: jest.fn(async () => undefined), finalize: never, cancel: never };
    const controller = new AbortController();
    const piping = pipeTextStream(deltas('a', 'b'), streamer, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort(new Error('stop'));
    await expect(piping).rejects.toThrow('stop');
  });

  it('respond(..., { signal }) rejects with the reason when the channel draft call never settles', async () => {
    const cancelSpy = jest.fn();
    const delegate: StreamDelegate = {
      getStreamer: () => {
        const { streamer } = recordingStreamer({ sendDraft: never });
        const cancel = streamer.cancel.bind(streamer);
        streamer.cancel = (options) => {
          cancelSpy();
          return cancel(options);
        };
        return streamer;
      },
    };
    const bus = new MessageBusService({ streamDelegate: delegate });
    const reason = new Error('agent turn aborted');
    const controller = new AbortController();
    const responding = bus.respond({ channel: 'web', chatId: 'c1' }, deltas('Hel', 'lo'), { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort(reason);
    await expect(responding).rejects.toBe(reason);
    expect(cancelSpy).toHaveBeenCalled();
    expect(bus.outbound.size).toBe(0);
  });

  it('respond() rejects when getStreamer never settles and the signal aborts', async () => {
    const bus = new MessageBusService({ streamDelegate: { getStreamer: () => new Promise(() => undefined) } });
    await expect(bus.respond({ channel: 'web', chatId: 'c1' }, deltas('a'), { signal: AbortSignal.timeout(20) })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
  });

  it.each([
    ['an empty chatId', { channel: 'web', chatId: '' }, 'chatId'],
    ['a missing channel', { chatId: 'c1' }, 'channel'],
    ['no target at all', undefined, 'message'],
  ])('respond() validates its target before asking for a streamer: %s', async (_name, target, field) => {
    const getStreamer = jest.fn(() => undefined);
    const bus = new MessageBusService({ streamDelegate: { getStreamer } });
    const error = await bus.respond(target as never, deltas('a')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidMessageError);
    expect(error).toMatchObject({ lane: 'outbound', field });
    await expect(bus.respond(target as never, 'plain text')).rejects.toThrow(InvalidMessageError);
    expect(getStreamer).not.toHaveBeenCalled();
    expect(bus.outbound.size).toBe(0);
  });
});
