import type { StreamCallOptions } from './streamer.interface.js';

/**
 * Where a {@link ThrottledStreamer} reports trouble. Nest's `Logger` and `LoggerService` fit, and so
 * does `console`.
 */
export interface StreamerLogger {
  warn(message: string): unknown;
  debug?(message: string): unknown;
}

/** How a {@link ThrottledStreamer} talks to one chat and how often it may do so. */
export interface ThrottledStreamerOptions {
  /**
   * Shows or replaces the preview of the answer (e.g. a Telegram message draft, or an edit of a
   * placeholder message). May return a promise; a rejection or throw switches the streamer to
   * degraded mode, where no more drafts are sent and only the final message is delivered.
   */
  sendDraft: (text: string, options: StreamCallOptions) => unknown;
  /**
   * Delivers (one part of) the complete answer as a persisted message. May return a promise; a
   * rejection or throw makes `finalize` reject with that error.
   */
  sendFinal: (text: string, options: StreamCallOptions) => unknown;
  /**
   * Removes the preview once the final message is out, or when the stream is cancelled. Leave it
   * out when the platform clears drafts itself. Failures are logged, not thrown.
   */
  clearDraft?: (options: StreamCallOptions) => unknown;
  /**
   * Minimum time between two draft calls, in milliseconds, unless the text grew by `minGrowth`.
   * @default 3000
   */
  throttleMs?: number;
  /**
   * Growth, in characters (code points), since the last sent draft that allows a draft call before
   * `throttleMs` has passed.
   * @default 200
   */
  minGrowth?: number;
  /**
   * The channel's text limit, in characters (code points). The preview is cut to fit, ending in `…`,
   * and the final answer is delivered in as many `sendFinal` calls as {@link splitMessage} needs.
   * @default undefined (no limit)
   */
  maxLength?: number;
  /**
   * Receives the warning when drafts fail and the streamer degrades.
   * @default new Logger('ThrottledStreamer') from `@nestjs/common`
   */
  logger?: StreamerLogger;
}
