import { Logger } from '@nestjs/common';
import { invalidSignalError, isAbortSignal, untilAborted } from '../bus/abort-signal.js';
import { splitMessage } from './split-message.js';
import { StreamFinalizeError } from './stream-finalize.error.js';
import { retryAfterMsOf } from '../bus/retry-after.js';
import { callOptions, checkCall, countCodePoints, describe, toPreview, validateOptions } from './throttled-streamer.helpers.js';
import type { StreamCallOptions, Streamer } from './streamer.interface.js';
import type { StreamerLogger, ThrottledStreamerOptions } from './throttled-streamer-options.interface.js';

const DEFAULT_THROTTLE_MS = 3000;
const DEFAULT_MIN_GROWTH = 200;

/** The latest text waiting for its draft call. */
interface PendingDraft {
  text: string;
  signal: AbortSignal | undefined;
}

/**
 * A {@link Streamer} that paces draft calls to what a chat platform tolerates.
 *
 * - The first `update` is sent at once. Later ones are sent when `throttleMs` has passed since the
 *   last draft call, or sooner when the text grew by `minGrowth` characters. At most one draft call
 *   is in flight; meanwhile only the latest text is kept, and it goes out when the call returns and
 *   pacing allows, or from a timer when pacing does not allow yet, so the preview never lags behind
 *   for good. A text whose preview equals the last one sent is not sent again.
 * - `update` resolves once the text is accepted (sent or kept as the latest); it never rejects
 *   because of the draft API. The first failing draft call switches the streamer to
 *   {@link degraded}: one warning is logged, later updates are ignored, and `finalize` still
 *   delivers the answer.
 * - `finalize` waits for the draft call in flight, drops any pending preview, calls `sendFinal`
 *   (once per part when `maxLength` is set), then `clearDraft`. When `sendFinal` fails, `finalize`
 *   rejects with that error and may be called again; parts already delivered are not sent twice.
 *   Once it succeeded, `finalize` and `update` are no-ops.
 * - `cancel` drops the pending preview, waits for the draft call in flight and clears the draft.
 *   `finalize` after `cancel` resolves without sending anything: cancelling means the caller
 *   abandoned this answer, and delivering it afterwards would contradict that. A `cancel` that arrives
 *   once `finalize` has begun does not cut it short: it waits for the whole answer (every part of a
 *   split one) to be delivered, so an answer is never left half sent without anyone being told.
 * - With a `signal`, `finalize` and `cancel` stop waiting when it aborts, even for a chat API call that
 *   never settles: `finalize` rejects with the reason (and may be called again), `cancel` resolves.
 * - `update` and `finalize` take a string; anything else is a `TypeError` at once.
 * - `clearDraft` is only called when a draft call was made, since otherwise there is nothing to clear.
 *
 * Timers are unref'd and cleared on `finalize` and `cancel`, so a streamer never keeps the process alive.
 */
export class ThrottledStreamer implements Streamer {
  private readonly throttleMs: number;
  private readonly minGrowth: number;
  private readonly maxLength: number | undefined;
  private readonly logger: StreamerLogger;

  private pending: PendingDraft | undefined;
  private inFlight: Promise<void> | undefined;
  private trailingTimer: ReturnType<typeof setTimeout> | undefined;
  private lastSentPreview: string | undefined;
  private lastSentLength = 0;
  private lastSentAt: number | undefined;
  /** Drafts wait until then: the platform asked for it. */
  private pausedUntil = 0;

  /** Set once `finalize` or `cancel` was called: no more drafts from then on. */
  private draftsClosed = false;
  private isDegraded = false;
  private finalized = false;
  private cancelled = false;
  private finalizing: Promise<void> | undefined;
  private cancelling: Promise<void> | undefined;
  /** Final parts already delivered, so a retried `finalize` does not send them twice. */
  private readonly deliveredParts: string[] = [];

  private draftCallCount = 0;
  private finalCallCount = 0;
  private updateCount = 0;

  constructor(private readonly options: ThrottledStreamerOptions) {
    validateOptions(options);
    this.throttleMs = options.throttleMs ?? DEFAULT_THROTTLE_MS;
    this.minGrowth = options.minGrowth ?? DEFAULT_MIN_GROWTH;
    this.maxLength = options.maxLength;
    this.logger = options.logger ?? new Logger(ThrottledStreamer.name);
  }

  /** Whether a draft call failed, so only the final message will be delivered. */
  get degraded(): boolean {
    return this.isDegraded;
  }

  /** How many times `sendDraft` was called. */
  get draftCalls(): number {
    return this.draftCallCount;
  }

  /** How many times `sendFinal` was called, counting failed calls and every part of a split answer. */
  get finalCalls(): number {
    return this.finalCallCount;
  }

  /** How many updates were accepted; compared with {@link draftCalls}, how much the throttle coalesced. */
  get updatesReceived(): number {
    return this.updateCount;
  }

  async update(content: string, options: StreamCallOptions = {}): Promise<void> {
    checkCall('update', content, options);
    if (this.draftsClosed || this.isDegraded || options.signal?.aborted) return;
    this.updateCount++;
    this.pending = { text: content, signal: options.signal };
    this.sendPendingDraftIfAllowed();
  }

  finalize(content: string, options: StreamCallOptions = {}): Promise<void> {
    try {
      checkCall('finalize', content, options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.finalized || this.cancelled) return Promise.resolve();
    if (this.finalizing) return this.finalizing;
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    this.closeDrafts();
    this.finalizing = this.deliverFinal(content, options.signal).finally(() => {
      this.finalizing = undefined;
    });
    return this.finalizing;
  }

  cancel(options: StreamCallOptions = {}): Promise<void> {
    const { signal } = options;
    if (signal !== undefined && !isAbortSignal(signal)) return Promise.reject(invalidSignalError('ThrottledStreamer.cancel', signal));
    if (this.finalized) return Promise.resolve();
    this.cancelling ??= this.abandon(signal);
    // The clean-up goes on in the background; the caller only stops waiting for it.
    return signal === undefined ? this.cancelling : untilAborted(this.cancelling, signal).catch(() => undefined);
  }

  private sendPendingDraftIfAllowed(): void {
    if (this.inFlight || !this.pending || this.draftsClosed || this.isDegraded) return;
    const { text, signal } = this.pending;
    const preview = toPreview(text, this.maxLength);
    if (signal?.aborted || preview === this.lastSentPreview) {
      this.pending = undefined;
      this.clearTrailingTimer();
      return;
    }
    const wait = this.msUntilDraftAllowed(text);
    if (wait > 0) {
      this.scheduleTrailingDraft(wait);
      return;
    }
    this.pending = undefined;
    this.clearTrailingTimer();
    this.startDraft(text, preview, signal);
  }

  private msUntilDraftAllowed(text: string): number {
    const paused = this.pausedUntil - Date.now();
    if (paused > 0) return paused;
    if (this.lastSentAt === undefined) return 0;
    const elapsed = Date.now() - this.lastSentAt;
    if (elapsed >= this.throttleMs) return 0;
    if (countCodePoints(text) - this.lastSentLength >= this.minGrowth) return 0;
    return this.throttleMs - elapsed;
  }

  private scheduleTrailingDraft(wait: number): void {
    // An existing timer already fires when the throttle window ends, which is what `wait` measures.
    if (this.trailingTimer) return;
    this.trailingTimer = setTimeout(() => {
      this.trailingTimer = undefined;
      this.sendPendingDraftIfAllowed();
    }, wait);
    this.trailingTimer.unref?.();
  }

  private clearTrailingTimer(): void {
    if (!this.trailingTimer) return;
    clearTimeout(this.trailingTimer);
    this.trailingTimer = undefined;
  }

  private startDraft(text: string, preview: string, signal: AbortSignal | undefined): void {
    this.lastSentPreview = preview;
    this.lastSentLength = countCodePoints(text);
    this.lastSentAt = Date.now();
    this.draftCallCount++;
    this.inFlight = this.callSendDraft(preview, signal).then(() => {
      this.inFlight = undefined;
      this.sendPendingDraftIfAllowed();
    });
  }

  /** Calls `sendDraft`; never rejects, a failure degrades the streamer instead. */
  private async callSendDraft(preview: string, signal: AbortSignal | undefined): Promise<void> {
    try {
      await this.options.sendDraft(preview, callOptions(signal));
    } catch (error) {
      // The caller aborted this call on purpose; that says nothing about the draft API.
      const retryAfterMs = retryAfterMsOf(error);
      if (signal?.aborted) this.logger.debug?.(`Draft call aborted: ${describe(error)}`);
      else if (retryAfterMs !== undefined) this.pauseDrafts(retryAfterMs, preview, signal);
      else this.degrade(error);
    }
  }

  /** The platform asked to wait (a 429 with `retryAfterMs`): drafts pause, then the latest text goes out. */
  private pauseDrafts(ms: number, failedPreview: string, signal: AbortSignal | undefined): void {
    this.pausedUntil = Date.now() + ms;
    this.lastSentPreview = undefined; // that preview was not shown: it may be sent again
    this.pending ??= { text: failedPreview, signal };
    this.logger.debug?.(`Drafts paused for ${ms} ms: the platform asked to wait`);
  }

  private degrade(error: unknown): void {
    if (this.isDegraded) return;
    this.isDegraded = true;
    this.pending = undefined;
    this.clearTrailingTimer();
    this.logger.warn(`Draft streaming failed, only the final message will be sent: ${describe(error)}`);
  }

  private closeDrafts(): void {
    this.draftsClosed = true;
    this.pending = undefined;
    this.clearTrailingTimer();
  }

  private async deliverFinal(content: string, signal: AbortSignal | undefined): Promise<void> {
    // The final message must land after the last draft, or the draft could overwrite or follow it.
    await untilAborted(this.inFlight, signal);
    signal?.throwIfAborted();
    const parts = this.splitFinal(content);
    for (let index = this.countDeliveredPrefix(parts); index < parts.length; index++) {
      this.finalCallCount++;
      try {
        await untilAborted(this.options.sendFinal(parts[index], callOptions(signal)), signal);
      } catch (error) {
        // Part of a split answer is out: whoever delivers the rest another way must not send it again.
        if (index > 0 && !signal?.aborted) throw new StreamFinalizeError(error, content, parts.slice(index).join('\n\n'));
        throw error;
      }
      this.deliveredParts.push(parts[index]);
    }
    this.finalized = true;
    await this.clearDraftQuietly(signal);
  }

  private splitFinal(content: string): string[] {
    if (content === '') return [];
    return this.maxLength === undefined ? [content] : splitMessage(content, this.maxLength);
  }

  /** How many leading parts a failed attempt already delivered; forgets the rest if the text changed. */
  private countDeliveredPrefix(parts: string[]): number {
    let count = 0;
    while (count < this.deliveredParts.length && parts[count] === this.deliveredParts[count]) count++;
    this.deliveredParts.length = count;
    return count;
  }

  private async abandon(signal: AbortSignal | undefined): Promise<void> {
    this.cancelled = true;
    this.closeDrafts();
    await this.inFlight;
    await this.finalizing?.catch(() => undefined);
    // Finalized meanwhile: the answer is out and the draft cleared. Aborted: the caller no longer wants the clear call.
    if (this.finalized || signal?.aborted) return;
    await this.clearDraftQuietly(signal);
  }

  private async clearDraftQuietly(signal: AbortSignal | undefined): Promise<void> {
    if (!this.options.clearDraft || this.draftCallCount === 0) return;
    try {
      await this.options.clearDraft(callOptions(signal));
    } catch (error) {
      this.logger.warn(`Clearing the draft failed: ${describe(error)}`);
    }
  }
}
