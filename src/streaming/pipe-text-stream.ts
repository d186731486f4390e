import { invalidSignalError, isAbortSignal, untilAborted } from '../bus/abort-signal.js';
import { StreamFinalizeError } from './stream-finalize.error.js';
import type { StreamCallOptions, Streamer } from './streamer.interface.js';

/**
 * Streams an answer arriving as text deltas (e.g. from an LLM) into `streamer`: accumulates the
 * deltas, calls `update` with the text so far after each one, and `finalize` with the whole text.
 *
 * - On success, resolves with the whole text. When no text arrived at all, calls `cancel` instead of
 *   finalizing an empty message and resolves with `''`.
 * - When `signal` aborts (or the stream ends or fails after it aborted), stops the producer through
 *   the iterator's `return()`, calls `cancel`, and rejects with `signal.reason`.
 * - When the stream fails, calls `cancel` and rethrows the stream's error.
 * - When `finalize` rejects, rejects with a {@link StreamFinalizeError} carrying the whole text, so
 *   the caller can deliver it another way. The streamer is left as it is: the caller may retry
 *   `finalize(error.text)` or call `cancel()` to clear the preview.
 * - When an `update` rejects, the remaining updates are skipped (the preview is a nicety) and the
 *   answer is still finalized.
 * - Once `signal` aborts, nothing here waits for the streamer any more: a chat API that never answers
 *   (an `update`, `finalize` or `cancel` that never settles) cannot hold the caller. The streamer is
 *   still told to `cancel`, in the background.
 */
export async function pipeTextStream(
  deltas: AsyncIterable<string>,
  streamer: Streamer,
  options: StreamCallOptions = {},
): Promise<string> {
  const { signal } = options;
  if (signal !== undefined && !isAbortSignal(signal)) throw invalidSignalError('pipeTextStream', signal);
  const iterator = deltas[Symbol.asyncIterator]();
  let text = '';
  try {
    signal?.throwIfAborted();
    let previewing = true;
    for (;;) {
      // Rejects the moment the signal aborts, even before a producer that stops quietly on abort
      // reports `done`, so a cut-off answer is never finalized.
      const next = await untilAborted(iterator.next(), signal);
      if (next.done) break;
      if (typeof next.value !== 'string' || next.value === '') continue;
      text += next.value;
      if (previewing) previewing = await tryUpdate(streamer, text, signal);
    }
  } catch (error) {
    if (signal?.aborted) {
      stopProducer(iterator);
      await cancelQuietly(streamer, signal);
      throw signal.reason;
    }
    await cancelQuietly(streamer, signal);
    throw error;
  }

  if (text === '') {
    await untilAborted(streamer.cancel(), signal);
    return '';
  }
  try {
    await untilAborted(streamer.finalize(text, options), signal);
  } catch (error) {
    if (signal?.aborted) {
      await cancelQuietly(streamer, signal);
      throw signal.reason;
    }
    // A streamer that delivered part of the answer says which part is left.
    throw error instanceof StreamFinalizeError ? error : new StreamFinalizeError(error, text);
  }
  return text;
}

/** Returns whether to keep sending updates; a failed update only costs the preview. */
async function tryUpdate(streamer: Streamer, text: string, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await untilAborted(streamer.update(text, signal ? { signal } : {}), signal);
    return true;
  } catch {
    if (signal?.aborted) throw signal.reason;
    return false;
  }
}

/**
 * Tells the producer to stop. Not awaited: an async generator busy inside an `await` only handles
 * `return()` once that await settles, and the caller should not wait for that.
 */
function stopProducer(iterator: AsyncIterator<string>): void {
  try {
    void Promise.resolve(iterator.return?.()).catch(() => undefined);
  } catch {
    // A throwing return() must not hide the abort reason.
  }
}

/**
 * Cancels without letting a cancel failure replace the error that made us cancel, and without waiting
 * past the signal's abort for a cancel that hangs.
 */
async function cancelQuietly(streamer: Streamer, signal: AbortSignal | undefined): Promise<void> {
  try {
    await untilAborted(streamer.cancel(), signal);
  } catch {
    // The original error is the one the caller needs.
  }
}
