import { describe, it, expect, jest, beforeEach, afterEach } from '@jest/globals';
import { Logger } from '@nestjs/common';
import fc from 'fast-check';
import { splitMessage } from '../../src/streaming/split-message.js';
import type { StreamCallOptions } from '../../src/streaming/streamer.interface.js';
import { ThrottledStreamer } from '../../src/streaming/throttled.streamer.js';
import type { ThrottledStreamerOptions } from '../../src/streaming/throttled-streamer-options.interface.js';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets the streamer's promise chains run without moving the clock. */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/**
 * A fake chat channel. Draft calls resolve at once unless `holdDrafts` is set, in which case each
 * waits for its own deferred in `heldDrafts`. Records every call in order in `log`.
 */
function createChannel() {
  const channel = {
    log: [] as string[],
    draftTimes: [] as number[],
    heldDrafts: [] as Deferred[],
    holdDrafts: false,
    concurrentDrafts: 0,
    maxConcurrentDrafts: 0,
    sendDraft: jest.fn(async (text: string, _options: StreamCallOptions): Promise<void> => {
      channel.log.push(`draft:${text}`);
      channel.draftTimes.push(Date.now());
      channel.concurrentDrafts++;
      channel.maxConcurrentDrafts = Math.max(channel.maxConcurrentDrafts, channel.concurrentDrafts);
      try {
        if (channel.holdDrafts) {
          const held = deferred();
          channel.heldDrafts.push(held);
          await held.promise;
        }
      } finally {
        channel.concurrentDrafts--;
      }
    }),
    sendFinal: jest.fn(async (text: string, _options: StreamCallOptions): Promise<void> => {
      channel.log.push(`final:${text}`);
    }),
    clearDraft: jest.fn(async (_options: StreamCallOptions): Promise<void> => {
      channel.log.push('clear');
    }),
    logger: { warn: jest.fn((_message: string) => undefined), debug: jest.fn((_message: string) => undefined) },
  };
  return channel;
}

type Channel = ReturnType<typeof createChannel>;

function streamerFor(channel: Channel, options: Partial<ThrottledStreamerOptions> = {}): ThrottledStreamer {
  return new ThrottledStreamer({
    sendDraft: channel.sendDraft,
    sendFinal: channel.sendFinal,
    clearDraft: channel.clearDraft,
    logger: channel.logger,
    throttleMs: 1000,
    minGrowth: 200,
    ...options,
  });
}

const drafts = (channel: Channel): string[] => channel.sendDraft.mock.calls.map(([text]) => text);
const finals = (channel: Channel): string[] => channel.sendFinal.mock.calls.map(([text]) => text);

describe('ThrottledStreamer', () => {
  let channel: Channel;

  beforeEach(() => {
    jest.useFakeTimers();
    channel = createChannel();
  });

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  describe('options', () => {
    const noop = (): void => undefined;
    it.each([
      ['throttleMs negative', { throttleMs: -1 }],
      ['throttleMs infinite', { throttleMs: Number.POSITIVE_INFINITY }],
      ['throttleMs NaN', { throttleMs: Number.NaN }],
      ['minGrowth zero', { minGrowth: 0 }],
      ['minGrowth fractional', { minGrowth: 1.5 }],
      ['maxLength zero', { maxLength: 0 }],
      ['maxLength fractional', { maxLength: 10.5 }],
      ['sendDraft missing', { sendDraft: undefined }],
      ['sendFinal not a function', { sendFinal: 'nope' }],
      ['clearDraft not a function', { clearDraft: 42 }],
    ])('rejects %s with a TypeError', (_name, bad) => {
      const options = { sendDraft: noop, sendFinal: noop, ...bad } as unknown as ThrottledStreamerOptions;
      expect(() => new ThrottledStreamer(options)).toThrow(TypeError);
    });

    it('accepts the smallest valid values', () => {
      expect(() => new ThrottledStreamer({ sendDraft: noop, sendFinal: noop, throttleMs: 0, minGrowth: 1, maxLength: 1 })).not.toThrow();
    });

    it('waits 3000 ms or 200 characters of growth by default', async () => {
      const streamer = new ThrottledStreamer({ sendDraft: channel.sendDraft, sendFinal: channel.sendFinal });
      await streamer.update('a');
      await flush();
      await streamer.update(`a${'b'.repeat(199)}`);
      await jest.advanceTimersByTimeAsync(2999);
      expect(streamer.draftCalls).toBe(1);
      await jest.advanceTimersByTimeAsync(1);
      expect(streamer.draftCalls).toBe(2);
      await streamer.update(`a${'b'.repeat(399)}`);
      await flush();
      expect(streamer.draftCalls).toBe(3);
    });
  });

  describe('pacing', () => {
    it('sends the first update at once', async () => {
      const streamer = streamerFor(channel);
      await streamer.update('Hello');
      expect(drafts(channel)).toEqual(['Hello']);
      expect(channel.sendDraft).toHaveBeenCalledWith('Hello', {});
    });

    it('sends at most one draft per throttle interval while the text grows slowly', async () => {
      const streamer = streamerFor(channel, { throttleMs: 1000 });
      const start = Date.now();
      let text = '';
      for (let i = 0; i < 100; i++) {
        text += 'w';
        await streamer.update(text);
        await jest.advanceTimersByTimeAsync(100);
      }
      // 100 updates over 10 s: the first at once, then one per second from the trailing timer.
      expect(streamer.updatesReceived).toBe(100);
      expect(channel.draftTimes.map((time) => time - start)).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000]);
      expect(drafts(channel).at(-1)).toBe(text);
    });

    it('sends before the interval ends when the text grew by minGrowth characters', async () => {
      const streamer = streamerFor(channel, { throttleMs: 10_000, minGrowth: 50 });
      await streamer.update('a');
      await flush();
      await streamer.update(`a${'b'.repeat(49)}`);
      await flush();
      expect(streamer.draftCalls).toBe(1);
      await streamer.update(`a${'b'.repeat(50)}`);
      await flush();
      expect(streamer.draftCalls).toBe(2);
    });

    it.each([
      ['emoji, two UTF-16 units each', '😀'],
      ['CJK, three UTF-8 bytes each', '漢'],
      ['astral CJK, two UTF-16 units and four UTF-8 bytes each', '𠀀'],
    ])('counts growth in characters for %s: 199 do not trigger a draft, 200 do', async (_name, char) => {
      const streamer = streamerFor(channel, { throttleMs: 10_000, minGrowth: 200 });
      await streamer.update('x');
      await flush();
      await streamer.update(`x${char.repeat(199)}`);
      await flush();
      expect(streamer.draftCalls).toBe(1);
      await streamer.update(`x${char.repeat(200)}`);
      await flush();
      expect(streamer.draftCalls).toBe(2);
    });

    it('keeps only the latest text while a draft call is in flight and never overlaps calls', async () => {
      channel.holdDrafts = true;
      const streamer = streamerFor(channel, { throttleMs: 0 });
      await streamer.update('a');
      await streamer.update('ab');
      await streamer.update('abc');
      await streamer.update('abcd');
      expect(drafts(channel)).toEqual(['a']);
      channel.heldDrafts[0].resolve();
      await flush();
      expect(drafts(channel)).toEqual(['a', 'abcd']);
      channel.heldDrafts[1].resolve();
      await flush();
      expect(channel.maxConcurrentDrafts).toBe(1);
    });

    it('resolves update while a draft call is still in flight', async () => {
      channel.holdDrafts = true;
      const streamer = streamerFor(channel);
      await expect(streamer.update('a')).resolves.toBeUndefined();
      await expect(streamer.update('ab')).resolves.toBeUndefined();
      expect(channel.heldDrafts).toHaveLength(1);
    });

    it('sends the text kept during a slow call when the call returns, if pacing allows', async () => {
      channel.holdDrafts = true;
      const streamer = streamerFor(channel, { throttleMs: 1000 });
      await streamer.update('a');
      await streamer.update('ab');
      await jest.advanceTimersByTimeAsync(1500);
      expect(streamer.draftCalls).toBe(1);
      channel.heldDrafts[0].resolve();
      await flush();
      expect(drafts(channel)).toEqual(['a', 'ab']);
    });

    it('sends the latest text from a trailing timer when no further update comes', async () => {
      const streamer = streamerFor(channel, { throttleMs: 1000 });
      await streamer.update('a');
      await jest.advanceTimersByTimeAsync(100);
      await streamer.update('ab');
      await jest.advanceTimersByTimeAsync(899);
      expect(drafts(channel)).toEqual(['a']);
      await jest.advanceTimersByTimeAsync(1);
      expect(drafts(channel)).toEqual(['a', 'ab']);
    });

    it('never sends the same text twice in a row', async () => {
      const streamer = streamerFor(channel, { throttleMs: 1000 });
      await streamer.update('same');
      await jest.advanceTimersByTimeAsync(5000);
      await streamer.update('same');
      await jest.advanceTimersByTimeAsync(5000);
      expect(drafts(channel)).toEqual(['same']);
      await streamer.update('other');
      await streamer.update('same');
      await jest.advanceTimersByTimeAsync(5000);
      expect(drafts(channel)).toEqual(['same', 'other', 'same']);
    });

    it('sends a text that shrank or changed earlier characters', async () => {
      const streamer = streamerFor(channel, { throttleMs: 1000 });
      await streamer.update('Hello wrold');
      await jest.advanceTimersByTimeAsync(1000);
      await streamer.update('Hello');
      await jest.advanceTimersByTimeAsync(1000);
      await streamer.update('Hallo');
      await jest.advanceTimersByTimeAsync(1000);
      expect(drafts(channel)).toEqual(['Hello wrold', 'Hello', 'Hallo']);
    });

    it('never overlaps calls and ends on the latest text, whatever the timing', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ gap: fc.nat(700), latency: fc.nat(1500), growth: fc.integer({ min: 0, max: 80 }) }), {
            minLength: 1,
            maxLength: 40,
          }),
          async (steps) => {
            const local = createChannel();
            local.holdDrafts = true;
            const streamer = streamerFor(local, { throttleMs: 500, minGrowth: 100 });
            let text = '';
            let latencyIndex = 0;
            const releaseHeld = (): void => {
              // Each held call returns after its own latency.
              while (latencyIndex < local.heldDrafts.length) {
                const held = local.heldDrafts[latencyIndex];
                setTimeout(held.resolve, steps[latencyIndex % steps.length].latency);
                latencyIndex++;
              }
            };
            for (const step of steps) {
              text += 'x'.repeat(step.growth);
              await streamer.update(text);
              releaseHeld();
              await jest.advanceTimersByTimeAsync(step.gap);
              releaseHeld();
            }
            for (let i = 0; i < 10; i++) {
              await jest.advanceTimersByTimeAsync(2000);
              releaseHeld();
            }
            const sent = drafts(local);
            expect(local.maxConcurrentDrafts).toBe(1);
            expect(sent.every((draft, i) => i === 0 || draft !== sent[i - 1])).toBe(true);
            if (text !== '') expect(sent.at(-1)).toBe(text);
          },
        ),
        { numRuns: 100 },
      );
    });
  });

  describe('degradation', () => {
    it('stops drafting after the first draft error, warns once, and still delivers the final text once', async () => {
      channel.sendDraft.mockRejectedValue(new Error('drafts unsupported'));
      const streamer = streamerFor(channel, { throttleMs: 100 });
      await expect(streamer.update('a')).resolves.toBeUndefined();
      await flush();
      expect(streamer.degraded).toBe(true);
      for (let i = 0; i < 10; i++) {
        await expect(streamer.update(`a${'b'.repeat(i + 1)}`)).resolves.toBeUndefined();
        await jest.advanceTimersByTimeAsync(200);
      }
      expect(channel.sendDraft).toHaveBeenCalledTimes(1);
      expect(channel.logger.warn).toHaveBeenCalledTimes(1);
      expect(channel.logger.warn.mock.calls[0][0]).toContain('drafts unsupported');
      await streamer.finalize('full answer');
      expect(finals(channel)).toEqual(['full answer']);
    });

    it('degrades on a draft function that throws synchronously', async () => {
      const streamer = streamerFor(channel, {
        sendDraft: () => {
          throw new Error('sync failure');
        },
      });
      await expect(streamer.update('a')).resolves.toBeUndefined();
      await flush();
      expect(streamer.degraded).toBe(true);
      expect(channel.logger.warn).toHaveBeenCalledTimes(1);
    });

    it('does not degrade when a draft call failed because the caller aborted it', async () => {
      channel.holdDrafts = true;
      const controller = new AbortController();
      const streamer = streamerFor(channel);
      await streamer.update('a', { signal: controller.signal });
      controller.abort();
      channel.heldDrafts[0].reject(new Error('aborted'));
      await flush();
      expect(streamer.degraded).toBe(false);
      expect(channel.logger.warn).not.toHaveBeenCalled();
    });

    it('warns through a Nest Logger with the ThrottledStreamer context by default', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const streamer = new ThrottledStreamer({ sendDraft: () => Promise.reject(new Error('nope')), sendFinal: () => undefined });
      await streamer.update('a');
      await flush();
      expect(warn).toHaveBeenCalledTimes(1);
      expect((warn.mock.contexts[0] as unknown as { context: string }).context).toBe('ThrottledStreamer');
    });
  });

  describe('finalize', () => {
    it('waits for the draft call in flight, so the final text is the last thing sent', async () => {
      channel.holdDrafts = true;
      const streamer = streamerFor(channel, { throttleMs: 0 });
      await streamer.update('partial');
      await streamer.update('partial, more');
      const finalized = streamer.finalize('complete answer');
      await flush();
      expect(channel.sendFinal).not.toHaveBeenCalled();
      channel.heldDrafts[0].resolve();
      await finalized;
      expect(channel.log).toEqual(['draft:partial', 'final:complete answer', 'clear']);
    });

    it('drops the scheduled trailing draft and leaves no timer behind', async () => {
      const streamer = streamerFor(channel, { throttleMs: 1000 });
      await streamer.update('a');
      await streamer.update('ab');
      expect(jest.getTimerCount()).toBe(1);
      await streamer.finalize('abc');
      expect(jest.getTimerCount()).toBe(0);
      await jest.advanceTimersByTimeAsync(5000);
      expect(drafts(channel)).toEqual(['a']);
      expect(finals(channel)).toEqual(['abc']);
    });

    it('ignores a second finalize and updates after finalize', async () => {
      const streamer = streamerFor(channel);
      await streamer.update('a');
      await streamer.finalize('done');
      await expect(streamer.finalize('done again')).resolves.toBeUndefined();
      await streamer.update('late update');
      await jest.advanceTimersByTimeAsync(5000);
      expect(finals(channel)).toEqual(['done']);
      expect(drafts(channel)).toEqual(['a']);
      expect(channel.clearDraft).toHaveBeenCalledTimes(1);
    });

    it('delivers once when finalize is called twice concurrently', async () => {
      const streamer = streamerFor(channel);
      await Promise.all([streamer.finalize('one'), streamer.finalize('two')]);
      expect(finals(channel)).toEqual(['one']);
    });

    it('rejects with the sendFinal error and lets a second finalize deliver', async () => {
      const failure = new Error('network down');
      channel.sendFinal.mockRejectedValueOnce(failure);
      const streamer = streamerFor(channel);
      await streamer.update('draft');
      await expect(streamer.finalize('answer')).rejects.toBe(failure);
      expect(channel.clearDraft).not.toHaveBeenCalled();
      await expect(streamer.finalize('answer')).resolves.toBeUndefined();
      expect(finals(channel)).toEqual(['answer', 'answer']);
      expect(streamer.finalCalls).toBe(2);
      expect(channel.clearDraft).toHaveBeenCalledTimes(1);
    });

    it('does not resend the parts a failed finalize already delivered', async () => {
      const text = 'first part. second part. third part.';
      channel.sendFinal.mockResolvedValueOnce(undefined).mockRejectedValueOnce(new Error('flaky'));
      const streamer = streamerFor(channel, { maxLength: 12 });
      await expect(streamer.finalize(text)).rejects.toThrow('flaky');
      await streamer.finalize(text);
      expect(finals(channel)).toEqual(['first part.', 'second part.', 'second part.', 'third part.']);
    });

    it('logs a clearDraft failure instead of rejecting', async () => {
      channel.clearDraft.mockRejectedValueOnce(new Error('cannot clear'));
      const streamer = streamerFor(channel);
      await streamer.update('a');
      await expect(streamer.finalize('done')).resolves.toBeUndefined();
      expect(channel.logger.warn).toHaveBeenCalledTimes(1);
      expect(channel.logger.warn.mock.calls[0][0]).toContain('cannot clear');
    });

    it('does not call clearDraft when no draft was ever sent', async () => {
      const streamer = streamerFor(channel);
      await streamer.finalize('short answer');
      expect(channel.clearDraft).not.toHaveBeenCalled();
    });

    it('works without clearDraft', async () => {
      const streamer = new ThrottledStreamer({ sendDraft: channel.sendDraft, sendFinal: channel.sendFinal });
      await streamer.update('a');
      await expect(streamer.finalize('done')).resolves.toBeUndefined();
    });

    it('sends nothing for an empty final text', async () => {
      const streamer = streamerFor(channel);
      await streamer.update('a');
      await streamer.finalize('');
      expect(channel.sendFinal).not.toHaveBeenCalled();
      expect(channel.clearDraft).toHaveBeenCalledTimes(1);
    });
  });

  describe('cancel', () => {
    it('stops timers, clears the draft, and ignores later updates and finalize', async () => {
      const streamer = streamerFor(channel, { throttleMs: 1000 });
      await streamer.update('a');
      await streamer.update('ab');
      await streamer.cancel();
      expect(jest.getTimerCount()).toBe(0);
      expect(channel.clearDraft).toHaveBeenCalledTimes(1);
      await streamer.update('abc');
      await expect(streamer.finalize('abcd')).resolves.toBeUndefined();
      await jest.advanceTimersByTimeAsync(5000);
      expect(drafts(channel)).toEqual(['a']);
      expect(channel.sendFinal).not.toHaveBeenCalled();
    });

    it('is idempotent', async () => {
      const streamer = streamerFor(channel);
      await streamer.update('a');
      await Promise.all([streamer.cancel(), streamer.cancel()]);
      await streamer.cancel();
      expect(channel.clearDraft).toHaveBeenCalledTimes(1);
    });

    it('waits for the draft call in flight before clearing the draft', async () => {
      channel.holdDrafts = true;
      const streamer = streamerFor(channel, { throttleMs: 0 });
      await streamer.update('a');
      await streamer.update('ab');
      let cancelled = false;
      const cancelling = streamer.cancel().then(() => {
        cancelled = true;
      });
      await flush();
      expect(cancelled).toBe(false);
      expect(channel.clearDraft).not.toHaveBeenCalled();
      channel.heldDrafts[0].resolve();
      await cancelling;
      expect(channel.log).toEqual(['draft:a', 'clear']);
    });

    // A finalize that resolved without sending would tell its caller the answer went out when it did not.
    it('does not cut short a finalize that already began: it delivers, and cancel waits for it', async () => {
      channel.holdDrafts = true;
      const streamer = streamerFor(channel);
      await streamer.update('a');
      const finalized = streamer.finalize('answer');
      const cancelled = streamer.cancel();
      channel.heldDrafts[0].resolve();
      await Promise.all([finalized, cancelled]);
      expect(channel.log).toEqual(['draft:a', 'final:answer', 'clear']);
    });

    it('does nothing after a successful finalize', async () => {
      const streamer = streamerFor(channel);
      await streamer.update('a');
      await streamer.finalize('done');
      await streamer.cancel();
      expect(channel.clearDraft).toHaveBeenCalledTimes(1);
    });

    it('clears the draft after a failed finalize', async () => {
      channel.sendFinal.mockRejectedValueOnce(new Error('down'));
      const streamer = streamerFor(channel);
      await streamer.update('a');
      await expect(streamer.finalize('done')).rejects.toThrow('down');
      await streamer.cancel();
      expect(channel.clearDraft).toHaveBeenCalledTimes(1);
    });
  });

  describe('maxLength', () => {
    it('shows the latest part of a text past maxLength, after an ellipsis, so the preview keeps moving', async () => {
      const streamer = streamerFor(channel, { maxLength: 12 });
      await streamer.update('short');
      await jest.advanceTimersByTimeAsync(1000);
      await streamer.update('one two three four five');
      await jest.advanceTimersByTimeAsync(1000);
      await streamer.update('one two three four five six seven');
      await jest.advanceTimersByTimeAsync(1000);
      await streamer.update('😀'.repeat(15));
      await flush();
      expect(drafts(channel)).toEqual(['short', '…four five', '…six seven', `…${'😀'.repeat(11)}`]);
      expect(drafts(channel).every((draft) => Array.from(draft).length <= 12)).toBe(true);
    });

    it('does not resend a preview that stays the same as the text grows past the limit', async () => {
      const streamer = streamerFor(channel, { maxLength: 10, minGrowth: 5 });
      await streamer.update('x'.repeat(20));
      await flush();
      await streamer.update('x'.repeat(200));
      await jest.advanceTimersByTimeAsync(5000);
      expect(streamer.draftCalls).toBe(1);
    });

    it('delivers a long final text in order, one sendFinal call per part', async () => {
      const text = `${'Paragraph one is here.'.repeat(3)}\n\n${'Second paragraph text. '.repeat(4)}`;
      const streamer = streamerFor(channel, { maxLength: 50 });
      await streamer.update(text);
      await streamer.finalize(text);
      const expected = splitMessage(text, 50);
      expect(expected.length).toBeGreaterThan(1);
      expect(finals(channel)).toEqual(expected);
      expect(drafts(channel)).toHaveLength(1);
      expect(drafts(channel)[0]).toMatch(/^….*Second paragraph text\.\s*$/s);
      expect(Array.from(drafts(channel)[0]).length).toBeLessThanOrEqual(50);
    });
  });

  describe('signals', () => {
    it('passes the caller signal to sendDraft, sendFinal and clearDraft', async () => {
      const { signal } = new AbortController();
      const streamer = streamerFor(channel);
      await streamer.update('a', { signal });
      await streamer.finalize('done', { signal });
      expect(channel.sendDraft).toHaveBeenCalledWith('a', { signal });
      expect(channel.sendFinal).toHaveBeenCalledWith('done', { signal });
      expect(channel.clearDraft).toHaveBeenCalledWith({ signal });
    });

    it('ignores an update whose signal is already aborted', async () => {
      const streamer = streamerFor(channel);
      await expect(streamer.update('a', { signal: AbortSignal.abort() })).resolves.toBeUndefined();
      expect(channel.sendDraft).not.toHaveBeenCalled();
      expect(streamer.updatesReceived).toBe(0);
    });

    it('drops a kept text whose signal aborted before it could be sent', async () => {
      const controller = new AbortController();
      const streamer = streamerFor(channel);
      await streamer.update('a');
      await streamer.update('ab', { signal: controller.signal });
      controller.abort();
      await jest.advanceTimersByTimeAsync(5000);
      expect(drafts(channel)).toEqual(['a']);
    });

    it('rejects finalize with the reason of an already-aborted signal without sending, and stays usable', async () => {
      const reason = new Error('user left');
      const streamer = streamerFor(channel);
      await expect(streamer.finalize('answer', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      expect(channel.sendFinal).not.toHaveBeenCalled();
      await streamer.finalize('answer');
      expect(finals(channel)).toEqual(['answer']);
    });
  });

  describe('timers', () => {
    it('unrefs its trailing timer so it never keeps the process alive', async () => {
      jest.useRealTimers();
      const setTimeoutSpy = jest.spyOn(globalThis, 'setTimeout');
      const streamer = streamerFor(channel, { throttleMs: 60_000 });
      await streamer.update('a');
      await flush();
      await streamer.update('ab');
      expect(setTimeoutSpy).toHaveBeenCalledTimes(1);
      const timer = setTimeoutSpy.mock.results[0].value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
      await streamer.cancel();
    });
  });
});
