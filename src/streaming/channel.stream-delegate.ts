import type { Logger } from '@nestjs/common';
import type { StreamDelegate } from './stream-delegate.interface.js';
import type { StreamContext } from './stream-context.interface.js';
import type { Streamer } from './streamer.interface.js';
import type { StreamingCapable } from './streaming-capable.interface.js';

/**
 * The stream delegate the bus uses when the app has none: it asks the `@BusChannel` provider of the
 * message's channel to `beginStream`. Like picoclaw's channel manager, any reason not to stream (an
 * unknown channel, one without `beginStream`, a `beginStream` that fails) means "no streamer", so
 * the answer goes out as a normal message.
 */
export class ChannelStreamDelegate implements StreamDelegate {
  constructor(
    private readonly channels: ReadonlyMap<string, object>,
    private readonly logger: Logger,
  ) {}

  async getStreamer(channel: string, chatId: string, context: StreamContext = {}): Promise<Streamer | undefined> {
    const provider = this.channels.get(channel) as Partial<StreamingCapable> | undefined;
    if (typeof provider?.beginStream !== 'function') {
      this.logger.debug(`Channel "${channel}" ${provider ? 'has no beginStream()' : 'is not a @BusChannel'}: not streaming`);
      return undefined;
    }
    try {
      return await provider.beginStream(chatId, context);
    } catch (error) {
      this.logger.debug(`Channel "${channel}" could not begin a stream for chat "${chatId}": ${String(error)}`);
      return undefined;
    }
  }
}
