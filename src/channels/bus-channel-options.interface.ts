/** What the bus starts when a user's message reaches the agent, and undoes when the answer goes out. */
export type AcknowledgeKind = 'typing' | 'reaction' | 'placeholder';

/** Token buckets pacing a channel's sends. */
export interface ChannelRateLimit {
  /** Sends per second over the whole channel. @default no limit */
  perSecond?: number;
  /** Sends per second to one chat. @default no limit */
  perChatPerSecond?: number;
  /** Sends that may go at once before pacing starts, per bucket. @default half the rate, rounded up (at least 1) */
  burst?: number;
}

/** How a failed send is retried, by the class of its error. */
export interface ChannelRetryOptions {
  /** Calls of `send` per part, the first included: 4 is three retries, as the original. @default 4 */
  attempts?: number;
  /** Wait after a rate limit that does not say how long. @default 1000 */
  rateLimitDelayMs?: number;
  /** Wait after the first temporary error; it doubles with each retry. @default 500 */
  backoffMs?: number;
  /** @default 8000 */
  maxBackoffMs?: number;
}

/** Options of `@BusChannel(name, options)`. */
export interface BusChannelOptions {
  /** Outbound text longer than this (in characters) is split with `splitMessage` and sent in order. @default no limit */
  maxMessageLength?: number;
  /** @default no pacing */
  rateLimit?: ChannelRateLimit;
  /** What to start when a user's message of this channel reaches an inbound handler. @default [] */
  acknowledge?: readonly AcknowledgeKind[];
  /** @default 4 attempts, rate limits waited 1 s (or `retryAfterMs`), temporary errors backed off from 500 ms to 8 s */
  retry?: ChannelRetryOptions;
  /** While a turn lasts, typing is started again this often (platforms let typing expire after ~5 s). @default 4000 */
  typingIntervalMs?: number;
  /**
   * How long an acknowledgement (typing, reaction, placeholder) waits for its answer before it is undone,
   * like the original's janitor. @default 300000 (5 minutes)
   */
  acknowledgeTtlMs?: number;
  /** Chats sent to at once; one chat's messages always go one at a time, in order. @default 8 */
  concurrency?: number;
  /** A send (all its parts and retries) that takes longer is abandoned and reported. @default none */
  timeoutMs?: number;
}
