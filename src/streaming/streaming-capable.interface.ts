import type { StreamContext } from './stream-context.interface.js';
import type { Streamer } from './streamer.interface.js';

/**
 * What a `@BusChannel` class implements to stream answers into its chats, e.g. by returning a
 * `ThrottledStreamer` around the platform's draft or edit-message API.
 */
export interface StreamingCapable {
  beginStream(chatId: string, context: StreamContext): Streamer | undefined | Promise<Streamer | undefined>;
}
