import type { Logger, Type } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import { STREAM_DELEGATE } from '../bus.constants.js';
import { ChannelStreamDelegate } from './channel.stream-delegate.js';
import type { StreamDelegate } from './stream-delegate.interface.js';

/**
 * Finds the stream delegate lazily, on first use: the `streamDelegate` option, else a provider under
 * `STREAM_DELEGATE`, else the `@BusChannel` providers' `beginStream`. Lazily, so that a channel manager
 * may inject the bus without a dependency cycle.
 */
export class StreamDelegateResolver {
  private delegate: Promise<StreamDelegate | undefined> | undefined;
  private channels: ReadonlyMap<string, object> = new Map();

  constructor(
    private readonly option: Type<StreamDelegate> | StreamDelegate | undefined,
    private readonly moduleRef: ModuleRef | undefined,
    private readonly logger: Logger,
  ) {}

  /** The `@BusChannel` providers; a lookup made before they were known is forgotten. */
  setChannels(channels: ReadonlyMap<string, object>): void {
    this.channels = channels;
    this.delegate = undefined;
  }

  resolve(): Promise<StreamDelegate | undefined> {
    this.delegate ??= this.find().catch((error: unknown) => {
      this.delegate = undefined; // try again on the next call
      throw error;
    });
    return this.delegate;
  }

  private async find(): Promise<StreamDelegate | undefined> {
    const option = this.option;
    if (typeof option === 'object') return option;
    if (option !== undefined) return this.fromProviders(option) ?? (await this.moduleRef?.create(option));
    return this.fromProviders(STREAM_DELEGATE) ?? (this.channels.size > 0 ? new ChannelStreamDelegate(this.channels, this.logger) : undefined);
  }

  private fromProviders(token: string | Function): StreamDelegate | undefined {
    try {
      return this.moduleRef?.get<StreamDelegate>(token, { strict: false });
    } catch {
      return undefined; // not registered anywhere in the app
    }
  }
}
