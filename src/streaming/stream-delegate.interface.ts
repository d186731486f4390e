import type { StreamContext } from './stream-context.interface.js';
import type { Streamer } from './streamer.interface.js';

/**
 * Hands the agent a {@link Streamer} for a chat, when that chat's channel can stream.
 * Usually implemented by a channel manager; the bus resolves it through dependency injection.
 */
export interface StreamDelegate {
  /**
   * Returns a streamer for `chatId` on `channel`, or `undefined` when streaming is not available. `context`
   * says where the answer goes (the message it replies to, the thread) and carries the answer's signal.
   */
  getStreamer(
    channel: string,
    chatId: string,
    context?: StreamContext,
  ): Streamer | undefined | Promise<Streamer | undefined>;
}
