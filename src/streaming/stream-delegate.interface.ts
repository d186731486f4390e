import type { StreamCallOptions, Streamer } from './streamer.interface.js';

/**
 * Hands the agent a {@link Streamer} for a chat, when that chat's channel can stream.
 * Usually implemented by a channel manager; the bus resolves it through dependency injection.
 */
export interface StreamDelegate {
  /** Returns a streamer for `chatId` on `channel`, or `undefined` when streaming is not available. */
  getStreamer(
    channel: string,
    chatId: string,
    options?: StreamCallOptions,
  ): Streamer | undefined | Promise<Streamer | undefined>;
}
