import type { Logger } from '@nestjs/common';
import { describeError } from '../bus/describe.js';
import type { OutboundMediaMessage, OutboundMessage } from '../bus/messages.interface.js';
import type { BusContext } from '../dispatch/bus-context.interface.js';
import { DeliveryFailedError } from '../dispatch/delivery-failed.error.js';
import { splitMessage } from '../streaming/split-message.js';
import { bestEffort } from './best-effort.js';
import { CallContext } from './call-context.js';
import type { ChannelCapabilities } from './channel-capabilities.interface.js';
import type { ChatAcknowledgements } from './chat-acknowledgements.js';
import type { SendPacer } from './send-pacer.js';
import { sendRetryDelay } from './send-retry.js';
import type { ResolvedChannelRetry } from './send-retry.js';
import { sleep } from '../bus/sleep.js';

/** How one channel delivers. */
export interface OutboxSettings {
  readonly maxMessageLength: number | undefined;
  readonly retry: ResolvedChannelRetry;
  readonly pacer: SendPacer | undefined;
  readonly acknowledgements: ChatAcknowledgements | undefined;
}

/**
 * Delivers one channel's outbound messages, after picoclaw's `preSend` and `sendWithRetry`: the chat's
 * acknowledgement is completed first (typing stopped, reaction undone, the placeholder edited into the
 * answer when the channel can edit), text is split to the channel's limit and sent part by part, each send
 * paced by the rate limit and retried by the class of its error. A part that keeps failing ends the
 * delivery: what was not sent is reported `'send-failed'`; what was sent is never sent again.
 */
export class ChannelOutbox {
  constructor(
    private readonly name: string,
    private readonly channel: ChannelCapabilities,
    private readonly settings: OutboxSettings,
    private readonly logger: Logger,
  ) {}

  async send(message: OutboundMessage, ctx: BusContext<OutboundMessage>): Promise<void> {
    const { maxMessageLength, acknowledgements } = this.settings;
    const parts = maxMessageLength === undefined || message.content === '' ? [message.content] : splitMessage(message.content, maxMessageLength);
    let first = 0;
    const placeholderId = await acknowledgements?.beforeSend(message.chatId);
    if (placeholderId !== undefined) {
      if (await this.editPlaceholder(message.chatId, placeholderId, parts[0], ctx.signal)) first = 1;
      // The edit failed: the answer is sent normally, and the placeholder must not stay "thinking" beside it.
      else await bestEffort(this.logger, this.name, 'deleteMessage', () => this.channel.deleteMessage?.(message.chatId, placeholderId, { signal: ctx.signal }), ctx.signal);
    }
    for (let part = first; part < parts.length; part++) {
      const partMessage: OutboundMessage = parts.length === 1 ? message : { ...message, content: parts[part] };
      await this.deliver(message.chatId, ctx, (attempt) => this.channel.send?.(partMessage, new CallContext(ctx, attempt, part + 1, parts.length)), () => ({
        ...message,
        content: parts.slice(part).join('\n\n'),
      }));
    }
  }

  async sendMedia(message: OutboundMediaMessage, ctx: BusContext<OutboundMediaMessage>): Promise<void> {
    const { acknowledgements } = this.settings;
    const placeholderId = await acknowledgements?.beforeSend(message.chatId);
    // Media cannot be edited into a text placeholder: it goes away before the media arrives.
    if (placeholderId !== undefined) await bestEffort(this.logger, this.name, 'deleteMessage', () => this.channel.deleteMessage?.(message.chatId, placeholderId, { signal: ctx.signal }), ctx.signal);
    await this.deliver(message.chatId, ctx, (attempt) => this.channel.sendMedia?.(message, new CallContext(ctx, attempt, 1, 1)), () => message);
  }

  /**
   * Sends one part, paced and retried; gives up with a `DeliveryFailedError` carrying what is left. The
   * call's signal is read only when there is something to wait for, or something went wrong.
   */
  private async deliver(chatId: string, ctx: BusContext<unknown>, send: (attempt: number) => unknown, left: () => unknown): Promise<void> {
    const { pacer, retry } = this.settings;
    for (let attempt = 1; ; attempt++) {
      try {
        const wait = pacer?.reserve(chatId) ?? 0;
        if (wait > 0) await sleep(wait, ctx.signal);
        await send(attempt);
        return;
      } catch (error) {
        const { signal } = ctx;
        if (signal.aborted) throw signal.reason; // timed out or shut down: the bus reports it as such
        const delay = sendRetryDelay(retry, attempt, error);
        if (delay === undefined) throw new DeliveryFailedError('send-failed', left(), error);
        this.logger.warn(`Channel "${this.name}": send to chat "${chatId}" failed (attempt ${attempt}); retrying in ${delay} ms: ${describeError(error)}`);
        await sleep(delay, signal);
      }
    }
  }

  /** Edits the placeholder into the first part; `false` when that failed, so the part is sent normally. */
  private async editPlaceholder(chatId: string, placeholderId: string, content: string, signal: AbortSignal): Promise<boolean> {
    const edited = await bestEffort(this.logger, this.name, 'editMessage', async () => {
      await this.channel.editMessage?.(chatId, placeholderId, content, { signal });
      return true;
    }, signal);
    return edited === true;
  }
}
