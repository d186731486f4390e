import { describe, it, expect, jest } from '@jest/globals';
import { pipeTextStream } from '../../src/streaming/pipe-text-stream.js';
import { StreamFinalizeError } from '../../src/streaming/stream-finalize.error.js';
import type { StreamCallOptions, Streamer } from '../../src/streaming/streamer.interface.js';
import { ThrottledStreamer } from '../../src/streaming/throttled.streamer.js';

/** A streamer that records every call in order. */
function recordingStreamer() {
  const log: string[] = [];
  const streamer = {
    log,
    update: jest.fn(async (content: string, _options?: StreamCallOptions): Promise<void> => {
      log.push(`update:${content}`);
    }),
    finalize: jest.fn(async (content: string, _options?: StreamCallOptions): Promise<void> => {
      log.push(`finalize:${content}`);
    }),
    cancel: jest.fn(async (_options?: StreamCallOptions): Promise<void> => {
      log.push('cancel');
    }),
  } satisfies Streamer & { log: string[] };
  return streamer;
}

async function* fromArray(deltas: string[]): AsyncGenerator<string> {
  for (const delta of deltas) yield delta;
}

describe('pipeTextStream', () => {
  it('updates with the accumulated text, finalizes with the whole text and returns it', async () => {
    const streamer = recordingStreamer();
    await expect(pipeTextStream(fromArray(['Hel', 'lo', ' world']), streamer)).resolves.toBe('Hello world');
    expect(streamer.log).toEqual(['update:Hel', 'update:Hello', 'update:Hello world', 'finalize:Hello world']);
  });

  it('skips empty deltas', async () => {
    const streamer = recordingStreamer();
    await pipeTextStream(fromArray(['a', '', 'b']), streamer);
    expect(streamer.log).toEqual(['update:a', 'update:ab', 'finalize:ab']);
  });

  it('passes the signal to update and finalize', async () => {
    const streamer = recordingStreamer();
    const { signal } = new AbortController();
    await pipeTextStream(fromArray(['a']), streamer, { signal });
    expect(streamer.update).toHaveBeenCalledWith('a', { signal });
    expect(streamer.finalize).toHaveBeenCalledWith('a', { signal });
  });

  it('cancels instead of finalizing an empty answer, and returns an empty string', async () => {
    const streamer = recordingStreamer();
    await expect(pipeTextStream(fromArray([]), streamer)).resolves.toBe('');
    await expect(pipeTextStream(fromArray(['', '']), streamer)).resolves.toBe('');
    expect(streamer.log).toEqual(['cancel', 'cancel']);
  });

  describe('abort', () => {
    it('stops the producer, cancels and rejects with the reason when aborted mid-stream', async () => {
      const controller = new AbortController();
      const reason = new Error('user pressed stop');
      let producerFinished = false;
      const produced: string[] = [];
      async function* producer(): AsyncGenerator<string> {
        try {
          for (const delta of ['a', 'b', 'c', 'd']) {
            produced.push(delta);
            yield delta;
          }
        } finally {
          producerFinished = true;
        }
      }
      const streamer = recordingStreamer();
      streamer.update.mockImplementation(async (content: string) => {
        streamer.log.push(`update:${content}`);
        if (content === 'ab') controller.abort(reason);
      });
      await expect(pipeTextStream(producer(), streamer, { signal: controller.signal })).rejects.toBe(reason);
      expect(producerFinished).toBe(true);
      expect(produced).toEqual(['a', 'b']);
      expect(streamer.log).toEqual(['update:a', 'update:ab', 'cancel']);
    });

    it('does not wait for a producer stuck in an await, and stops it once that settles', async () => {
      const controller = new AbortController();
      let release!: () => void;
      const stuck = new Promise<void>((resolve) => {
        release = resolve;
      });
      let producerFinished = false;
      let yieldedAfterRelease = false;
      async function* producer(): AsyncGenerator<string> {
        try {
          yield 'partial';
          await stuck;
          yieldedAfterRelease = true;
          yield ' more';
        } finally {
          producerFinished = true;
        }
      }
      const streamer = recordingStreamer();
      const piped = pipeTextStream(producer(), streamer, { signal: controller.signal });
      await new Promise((resolve) => setImmediate(resolve));
      controller.abort();
      await expect(piped).rejects.toMatchObject({ name: 'AbortError' });
      expect(streamer.log).toEqual(['update:partial', 'cancel']);
      release();
      await new Promise((resolve) => setImmediate(resolve));
      expect(producerFinished).toBe(true);
      // The generator runs to its next yield, but that value is never consumed.
      expect(yieldedAfterRelease).toBe(true);
      expect(streamer.update).toHaveBeenCalledTimes(1);
    });

    it('rejects with the reason when the producer ends quietly because of the abort', async () => {
      const controller = new AbortController();
      const reason = new Error('stop');
      async function* producer(): AsyncGenerator<string> {
        yield 'cut';
        controller.abort(reason);
        // Like an SDK stream that ends when its request is aborted.
      }
      const streamer = recordingStreamer();
      await expect(pipeTextStream(producer(), streamer, { signal: controller.signal })).rejects.toBe(reason);
      expect(streamer.finalize).not.toHaveBeenCalled();
      expect(streamer.cancel).toHaveBeenCalledTimes(1);
    });

    it("rejects with the signal's reason, not the producer's own abort error", async () => {
      const controller = new AbortController();
      const reason = new Error('stop');
      async function* producer(): AsyncGenerator<string> {
        yield 'cut';
        controller.abort(reason);
        throw new Error('Request was aborted.');
      }
      const streamer = recordingStreamer();
      await expect(pipeTextStream(producer(), streamer, { signal: controller.signal })).rejects.toBe(reason);
      expect(streamer.cancel).toHaveBeenCalledTimes(1);
    });

    it('rejects at once for an already-aborted signal, without pulling from the producer', async () => {
      const reason = new Error('too late');
      let started = false;
      async function* producer(): AsyncGenerator<string> {
        started = true;
        yield 'a';
      }
      const streamer = recordingStreamer();
      await expect(pipeTextStream(producer(), streamer, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      expect(started).toBe(false);
      expect(streamer.log).toEqual(['cancel']);
    });

    it('cancels and rejects with the reason when aborted during finalize', async () => {
      const controller = new AbortController();
      const reason = new Error('stop');
      const streamer = recordingStreamer();
      streamer.finalize.mockImplementation(async () => {
        controller.abort(reason);
        throw reason;
      });
      await expect(pipeTextStream(fromArray(['a']), streamer, { signal: controller.signal })).rejects.toBe(reason);
      expect(streamer.cancel).toHaveBeenCalledTimes(1);
    });

    it('still rejects with the reason when cancel fails', async () => {
      const streamer = recordingStreamer();
      streamer.cancel.mockRejectedValue(new Error('cancel failed'));
      const reason = new Error('stop');
      await expect(pipeTextStream(fromArray(['a']), streamer, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    });
  });

  describe('failures', () => {
    it('cancels and rethrows when the stream fails after some text arrived', async () => {
      const failure = new Error('LLM connection reset');
      async function* producer(): AsyncGenerator<string> {
        yield 'half an ';
        throw failure;
      }
      const streamer = recordingStreamer();
      await expect(pipeTextStream(producer(), streamer)).rejects.toBe(failure);
      expect(streamer.log).toEqual(['update:half an ', 'cancel']);
    });

    it('rejects with a StreamFinalizeError carrying the cause and the whole text when finalize fails', async () => {
      const failure = new Error('send failed');
      const streamer = recordingStreamer();
      streamer.finalize.mockRejectedValue(failure);
      const error = await pipeTextStream(fromArray(['whole ', 'answer']), streamer).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StreamFinalizeError);
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({ name: 'StreamFinalizeError', cause: failure, text: 'whole answer' });
      expect((error as Error).message).toContain('send failed');
      // The caller decides what to do with the streamer: retry finalize or cancel.
      expect(streamer.cancel).not.toHaveBeenCalled();
    });

    it('stops updating after an update fails and still finalizes', async () => {
      const streamer = recordingStreamer();
      streamer.update.mockRejectedValueOnce(new Error('preview failed'));
      await expect(pipeTextStream(fromArray(['a', 'b', 'c']), streamer)).resolves.toBe('abc');
      expect(streamer.update).toHaveBeenCalledTimes(1);
      expect(streamer.finalize).toHaveBeenCalledWith('abc', {});
    });

    it('rejects with the producer error for a producer that never yields and then fails', async () => {
      const failure = new Error('401 Unauthorized');
      async function* producer(): AsyncGenerator<string> {
        await Promise.resolve();
        throw failure;
      }
      const streamer = recordingStreamer();
      await expect(pipeTextStream(producer(), streamer)).rejects.toBe(failure);
      expect(streamer.log).toEqual(['cancel']);
    });
  });

  it('keeps up with a fast producer through a ThrottledStreamer and delivers the whole text once', async () => {
    jest.useFakeTimers();
    try {
      const sendDraft = jest.fn(async (_text: string) => undefined);
      const sendFinal = jest.fn(async (_text: string) => undefined);
      const streamer = new ThrottledStreamer({ sendDraft, sendFinal, throttleMs: 1000, minGrowth: 500 });
      const deltas = Array.from({ length: 2000 }, (_, i) => `${i % 10}`);
      const text = await pipeTextStream(fromArray(deltas), streamer);
      expect(text).toBe(deltas.join(''));
      expect(sendFinal.mock.calls).toEqual([[text, {}]]);
      // Growth of 500 characters allows a draft: at 1, 501, 1001 and 1501 characters.
      expect(streamer.draftCalls).toBe(4);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

});
