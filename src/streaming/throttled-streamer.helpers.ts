import { invalidSignalError, isAbortSignal } from '../bus/abort-signal.js';
import type { StreamCallOptions } from './streamer.interface.js';
import type { ThrottledStreamerOptions } from './throttled-streamer-options.interface.js';

export function checkCall(method: 'update' | 'finalize', content: unknown, options: StreamCallOptions): void {
  if (typeof content !== 'string') {
    throw new TypeError(`ThrottledStreamer.${method}: content must be a string (the whole text so far), got ${content === null ? 'null' : typeof content}`);
  }
  if (options.signal !== undefined && !isAbortSignal(options.signal)) throw invalidSignalError(`ThrottledStreamer.${method}`, options.signal);
}

export function validateOptions(options: ThrottledStreamerOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('ThrottledStreamer: options must be an object');
  }
  for (const name of ['sendDraft', 'sendFinal'] as const) {
    if (typeof options[name] !== 'function') throw new TypeError(`ThrottledStreamer: ${name} must be a function`);
  }
  if (options.clearDraft !== undefined && typeof options.clearDraft !== 'function') {
    throw new TypeError('ThrottledStreamer: clearDraft must be a function when given');
  }
  const { throttleMs, minGrowth, maxLength, logger } = options;
  if (throttleMs !== undefined && !(Number.isFinite(throttleMs) && throttleMs >= 0)) {
    throw new TypeError(`ThrottledStreamer: throttleMs must be a finite number >= 0, got ${String(throttleMs)}`);
  }
  if (minGrowth !== undefined && !(Number.isInteger(minGrowth) && minGrowth >= 1)) {
    throw new TypeError(`ThrottledStreamer: minGrowth must be an integer >= 1, got ${String(minGrowth)}`);
  }
  if (maxLength !== undefined && !(Number.isInteger(maxLength) && maxLength >= 1)) {
    throw new TypeError(`ThrottledStreamer: maxLength must be an integer >= 1, got ${String(maxLength)}`);
  }
  if (logger !== undefined && typeof logger?.warn !== 'function') {
    throw new TypeError('ThrottledStreamer: logger must have a warn method');
  }
}

/** Passes the signal on only when there is one, so `'signal' in options` means something. */
export function callOptions(signal: AbortSignal | undefined): StreamCallOptions {
  return signal ? { signal } : {};
}

/** Characters as users count them: a surrogate pair is one. */
export function countCodePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const ELLIPSIS = '…';

/**
 * The draft as a channel limited to `maxLength` characters can show it. A text that fits is shown whole; a
 * longer one shows its end (where the answer is growing) after an ellipsis, starting at a word when one
 * starts in the first half of the window, so the preview keeps moving instead of freezing at the limit.
 */
export function toPreview(text: string, maxLength: number | undefined): string {
  // UTF-16 length bounds the code point count from above, so most texts skip the count.
  if (maxLength === undefined || text.length <= maxLength || countCodePoints(text) <= maxLength) return text;
  const chars = Array.from(text);
  const window = chars.slice(chars.length - (maxLength - 1));
  if (/\s/.test(chars[chars.length - window.length - 1] ?? ' ')) return ELLIPSIS + window.join('');
  const wordStart = window.findIndex((char, index) => index > 0 && /\s/.test(window[index - 1]) && !/\s/.test(char));
  const start = wordStart > 0 && wordStart <= window.length / 2 ? wordStart : 0;
  return ELLIPSIS + window.slice(start).join('');
}
