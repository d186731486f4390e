/** Where a message came from inside its platform. */
export interface Peer {
  kind: 'direct' | 'group' | 'channel' | '';
  id: string;
}

/** Who sent an inbound message, as the chat platform knows them. */
export interface SenderInfo {
  platform?: string;
  platformId?: string;
  canonicalId?: string;
  username?: string;
  displayName?: string;
}

/** A message from a chat channel to the agent. */
export interface InboundMessage {
  /** The channel the message arrived on, e.g. `telegram`. */
  channel: string;
  senderId: string;
  sender?: SenderInfo;
  /** The chat to answer in. */
  chatId: string;
  content: string;
  /** References to media attached to the message. */
  media?: string[];
  peer?: Peer;
  messageId?: string;
  mediaScope?: string;
  sessionKey?: string;
  metadata?: Record<string, string>;
}

/** A text reply from the agent to a chat. */
export interface OutboundMessage {
  channel: string;
  chatId: string;
  content: string;
  replyToMessageId?: string;
}

/** One attachment of an outbound media message. */
export interface MediaPart {
  type: 'image' | 'audio' | 'video' | 'file';
  /** Where the media is: a URL, a path, or a platform file id. */
  ref: string;
  caption?: string;
  filename?: string;
  contentType?: string;
}

/** Media from the agent to a chat. */
export interface OutboundMediaMessage {
  channel: string;
  chatId: string;
  parts: MediaPart[];
}

/** The three lanes of the bus. */
export type LaneName = 'inbound' | 'outbound' | 'outboundMedia';

/** The message type each lane carries. */
export interface LaneMessages {
  inbound: InboundMessage;
  outbound: OutboundMessage;
  outboundMedia: OutboundMediaMessage;
}
