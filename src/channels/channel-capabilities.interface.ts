import type { InboundMessage, OutboundMediaMessage, OutboundMessage } from '../bus/messages.interface.js';
import type { StreamContext } from '../streaming/stream-context.interface.js';
import type { Streamer } from '../streaming/streamer.interface.js';

/** What a platform returns for a sent message, when it gives an id. */
export interface SentMessage {
  messageId?: string;
}

/** Undoes what a capability started (stops typing, removes a reaction). Called at most once. */
export type UndoCapability = () => Promise<void> | void;

/** What every channel call is given. */
export interface ChannelContext {
  /** Aborted when the bus gives up on the call (the send's timeout, shutdown). Pass it to your HTTP client. */
  readonly signal: AbortSignal;
  /** The user's message being answered or acknowledged, when known. */
  readonly inbound?: InboundMessage;
}

/** What `send` and `sendMedia` are given. */
export interface SendContext extends ChannelContext {
  /** 1 for the first try of this part, 2 for its first retry, ... */
  readonly attempt: number;
  /** Which part of a split message this is (1-based), and of how many. */
  readonly part: number;
  readonly parts: number;
}

/** Sends a text message. A `@BusChannel` with `send` receives its channel's outbound messages. */
export interface ChannelSender {
  send(message: OutboundMessage, ctx: SendContext): Promise<SentMessage | void>;
}

/** Sends media. A `@BusChannel` with `sendMedia` receives its channel's outbound media. */
export interface MediaSender {
  sendMedia(message: OutboundMediaMessage, ctx: SendContext): Promise<SentMessage | void>;
}

/** Shows "typing…" in a chat; returns what stops it. Called again while a turn outlasts `typingIntervalMs`. */
export interface TypingCapable {
  startTyping(chatId: string, ctx: ChannelContext): Promise<UndoCapability>;
}

/** Reacts to the user's message (say 👀); returns what removes the reaction. */
export interface ReactionCapable {
  react(chatId: string, messageId: string, ctx: ChannelContext): Promise<UndoCapability>;
}

/** Sends a placeholder ("Thinking…") and returns its message id, to be edited into the answer. */
export interface PlaceholderCapable {
  sendPlaceholder(chatId: string, ctx: ChannelContext): Promise<string>;
}

/** Edits a sent message. */
export interface MessageEditor {
  editMessage(chatId: string, messageId: string, content: string, ctx: ChannelContext): Promise<void>;
}

/** Deletes a sent message. */
export interface MessageDeleter {
  deleteMessage(chatId: string, messageId: string, ctx: ChannelContext): Promise<void>;
}

/** Streams answers into a chat; `undefined` (or a failure) means "send it as a message instead". */
export interface StreamingChannel {
  beginStream(chatId: string, ctx: StreamContext): Streamer | undefined | Promise<Streamer | undefined>;
}

/** Every capability, each optional: what the bus looks for on a `@BusChannel` instance. */
export type ChannelCapabilities = Partial<
  ChannelSender & MediaSender & TypingCapable & ReactionCapable & PlaceholderCapable & MessageEditor & MessageDeleter & StreamingChannel
>;
