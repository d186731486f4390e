import type { Logger } from '@nestjs/common';
import { bestEffort } from './best-effort.js';
import type { InboundMessage } from '../bus/messages.interface.js';
import type { AcknowledgeKind } from './bus-channel-options.interface.js';
import type { ChannelCapabilities, ChannelContext, UndoCapability } from './channel-capabilities.interface.js';

/** A capability call that takes longer is given up on (the platform may still finish it). */
const CALL_TIMEOUT_MS = 10_000;

/** One chat's acknowledgement: what was started for the user's message, to undo when the answer goes out. */
interface Acknowledgement {
  readonly chatId: string;
  readonly createdAt: number;
  /** Inbound handler calls for this chat still running. */
  turns: number;
  /** Whether an answer was published for this chat since it started. */
  answered: boolean;
  /** The start calls, so that finishing waits for what they return. */
  started: Promise<void>;
  stopTyping: UndoCapability | undefined;
  typingTimer: NodeJS.Timeout | undefined;
  undoReaction: UndoCapability | undefined;
  placeholderId: string | undefined;
  finished: boolean;
}

/** How acknowledgements are set up for one channel. */
export interface AcknowledgementSettings {
  readonly kinds: readonly AcknowledgeKind[];
  readonly typingIntervalMs: number;
  readonly ttlMs: number;
}

/**
 * The acknowledgement lifecycle of one channel, after picoclaw's channel manager: when a user's message
 * reaches an inbound handler, typing, a reaction and a placeholder start (as configured); when the answer
 * goes out they are stopped, undone, and the placeholder is edited into the answer or deleted. A turn that
 * answered nothing is cleaned up when it ends, and anything left past the TTL by the janitor. Every
 * capability call is best effort: a failure is logged, never passed on.
 */
export class ChatAcknowledgements {
  private readonly byChat = new Map<string, Acknowledgement>();
  private readonly closing = new AbortController();
  /** Clean-ups under way, for `settled()`. */
  private readonly finishing = new Set<Promise<unknown>>();

  constructor(
    private readonly channelName: string,
    private readonly channel: ChannelCapabilities,
    private readonly settings: AcknowledgementSettings,
    private readonly logger: Logger,
  ) {}

  /** Whether the channel can edit a placeholder into the answer. */
  get canEdit(): boolean {
    return typeof this.channel.editMessage === 'function';
  }

  turnStarted(message: InboundMessage): void {
    let ack = this.byChat.get(message.chatId);
    if (ack === undefined) {
      ack = newAcknowledgement(message.chatId);
      this.byChat.set(message.chatId, ack);
      ack.started = this.start(ack, message);
    }
    ack.turns++;
  }

  /** The handler call ended: with no answer published, there is nothing to wait for. */
  turnEnded(chatId: string): void {
    const ack = this.byChat.get(chatId);
    if (ack === undefined) return;
    ack.turns = Math.max(0, ack.turns - 1);
    if (ack.turns > 0) return;
    // Nobody is thinking any more: typing is not renewed (what was shown expires on its own).
    if (ack.typingTimer !== undefined) clearInterval(ack.typingTimer);
    ack.typingTimer = undefined;
    if (!ack.answered) this.finishInBackground(ack);
  }

  /** Resolves once the clean-ups started so far are done. */
  async settled(): Promise<void> {
    while (this.finishing.size > 0) await Promise.all(this.finishing);
  }

  answerPublished(chatId: string): void {
    const ack = this.byChat.get(chatId);
    if (ack !== undefined) ack.answered = true;
  }

  /**
   * The answer is about to be sent: stops typing and undoes the reaction. Returns the placeholder's id when
   * the channel can edit it into the answer (the caller then edits instead of sending); a placeholder that
   * cannot be edited is deleted.
   */
  async beforeSend(chatId: string): Promise<string | undefined> {
    const ack = this.byChat.get(chatId);
    if (ack === undefined) return undefined;
    return this.finish(ack, { deletePlaceholder: !this.canEdit });
  }

  /** A stream delivered the answer: the placeholder is deleted, or edited to the answer when the channel cannot delete. */
  async streamed(chatId: string, content: string): Promise<void> {
    const ack = this.byChat.get(chatId);
    if (ack === undefined) return;
    const placeholderId = await this.finish(ack, { deletePlaceholder: true, fallbackContent: content });
    if (placeholderId !== undefined) await this.call('editMessage', () => this.channel.editMessage?.(chatId, placeholderId, content, this.context()));
  }

  /** Undoes acknowledgements older than the TTL: their answer never came. */
  sweep(now: number): void {
    for (const ack of this.byChat.values()) {
      if (now - ack.createdAt >= this.settings.ttlMs) this.finishInBackground(ack);
    }
  }

  /** The bus is closing: everything still acknowledged is undone, and nothing new starts. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.byChat.values()].map((ack) => this.finish(ack, { deletePlaceholder: true })));
    this.closing.abort();
  }

  private async start(ack: Acknowledgement, message: InboundMessage): Promise<void> {
    const { kinds } = this.settings;
    const { chatId, messageId } = message;
    const starts: Promise<void>[] = [];
    if (kinds.includes('typing') && this.channel.startTyping !== undefined) starts.push(this.startTyping(ack, message));
    if (kinds.includes('reaction') && this.channel.react !== undefined && messageId !== undefined) {
      starts.push(this.call('react', () => this.channel.react?.(chatId, messageId, this.context(message))).then((undo) => void (ack.undoReaction = undo)));
    }
    if (kinds.includes('placeholder') && this.channel.sendPlaceholder !== undefined) {
      starts.push(this.call('sendPlaceholder', () => this.channel.sendPlaceholder?.(chatId, this.context(message))).then((id) => void (ack.placeholderId = id)));
    }
    await Promise.all(starts);
  }

  private async startTyping(ack: Acknowledgement, message: InboundMessage): Promise<void> {
    const typeAgain = async (): Promise<void> => {
      const stop = await this.call('startTyping', () => this.channel.startTyping?.(message.chatId, this.context(message)));
      if (ack.finished) await this.call('stop typing', () => stop?.());
      else ack.stopTyping = stop ?? ack.stopTyping;
    };
    await typeAgain();
    if (ack.finished) return;
    ack.typingTimer = setInterval(() => void typeAgain(), this.settings.typingIntervalMs);
    ack.typingTimer.unref?.();
  }

  private finishInBackground(ack: Acknowledgement): void {
    const done = this.finish(ack, { deletePlaceholder: true });
    this.finishing.add(done);
    void done.finally(() => this.finishing.delete(done));
  }

  /** Ends the acknowledgement once; returns the placeholder id when it was kept for the caller. */
  private async finish(ack: Acknowledgement, how: { deletePlaceholder: boolean; fallbackContent?: string }): Promise<string | undefined> {
    if (ack.finished) return undefined;
    ack.finished = true;
    this.byChat.delete(ack.chatId);
    if (ack.typingTimer !== undefined) clearInterval(ack.typingTimer);
    await ack.started;
    const { stopTyping, undoReaction, placeholderId } = ack;
    await Promise.all([this.call('stop typing', () => stopTyping?.()), this.call('undo reaction', () => undoReaction?.())]);
    if (placeholderId === undefined || !how.deletePlaceholder) return placeholderId;
    if (this.channel.deleteMessage !== undefined) {
      await this.call('deleteMessage', () => this.channel.deleteMessage?.(ack.chatId, placeholderId, this.context()));
      return undefined;
    }
    // A placeholder that cannot be deleted is left to the caller to edit (a streamed answer's text).
    return how.fallbackContent === undefined ? undefined : placeholderId;
  }

  private context(inbound?: InboundMessage): ChannelContext {
    return { signal: AbortSignal.any([this.closing.signal, AbortSignal.timeout(CALL_TIMEOUT_MS)]), inbound };
  }

  /** A capability call bounded in time, its failure logged and turned into `undefined`. */
  private call<R>(what: string, run: () => R | Promise<R> | undefined): Promise<R | undefined> {
    return bestEffort(this.logger, this.channelName, what, run, AbortSignal.timeout(CALL_TIMEOUT_MS));
  }
}

function newAcknowledgement(chatId: string): Acknowledgement {
  return {
    chatId,
    createdAt: Date.now(),
    turns: 0,
    answered: false,
    started: Promise.resolve(),
    stopTyping: undefined,
    typingTimer: undefined,
    undoReaction: undefined,
    placeholderId: undefined,
    finished: false,
  };
}
