import type { ChannelRateLimit } from './bus-channel-options.interface.js';
import { TokenBucket } from './token-bucket.js';

/** Past this many chats with a bucket, idle ones are forgotten. */
const SWEEP_AT = 1024;

/** Paces one channel's sends: a bucket for the channel, and one per chat when configured. */
export class SendPacer {
  private readonly channel: TokenBucket | undefined;
  private readonly chats = new Map<string, TokenBucket>();

  constructor(private readonly limit: ChannelRateLimit) {
    this.channel = limit.perSecond === undefined ? undefined : new TokenBucket(limit.perSecond, burstOf(limit.perSecond, limit.burst), Date.now());
  }

  /** Books this chat's next send; returns how many ms to wait before it (0: at once). */
  reserve(chatId: string): number {
    const now = Date.now();
    return Math.max(this.channel?.reserve(now) ?? 0, this.chatBucket(chatId, now)?.reserve(now) ?? 0);
  }

  private chatBucket(chatId: string, now: number): TokenBucket | undefined {
    const { perChatPerSecond } = this.limit;
    if (perChatPerSecond === undefined) return undefined;
    let bucket = this.chats.get(chatId);
    if (bucket === undefined) {
      if (this.chats.size >= SWEEP_AT) this.sweep(now);
      bucket = new TokenBucket(perChatPerSecond, burstOf(perChatPerSecond, this.limit.burst), now);
      this.chats.set(chatId, bucket);
    }
    return bucket;
  }

  private sweep(now: number): void {
    for (const [chatId, bucket] of this.chats) if (bucket.isIdle(now)) this.chats.delete(chatId);
  }
}

function burstOf(rate: number, burst: number | undefined): number {
  return burst ?? Math.max(1, Math.ceil(rate / 2));
}
