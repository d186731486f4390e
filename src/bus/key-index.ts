/** How messages are grouped into keys: by chat, by session (else chat), or by a key of the caller's. */
export type KeyKind<T> = 'chat' | 'session' | ((message: T) => string);

/** Where an entry sits in its {@link KeyIndex}, so it can be named. */
export interface Keyed {
  /** The session or custom key, or the channel of a chat key. */
  readonly outer: string;
  /** The chat id of a chat key; `undefined` for a session or custom key. */
  readonly inner: string | undefined;
}

/** An entry of a {@link KeyIndex}: idle ones may be swept away. */
export interface IndexEntry extends Keyed {
  readonly idle: boolean;
}

/** Below this many entries the index never sweeps. */
const MIN_SWEEP_SIZE = 1024;

interface ChatFields {
  channel: string;
  chatId: string;
  sessionKey?: string;
}

/**
 * Finds the entry of a message's key without building a key string: a chat key is looked up by channel,
 * then chat id, whose strings come from the message and keep their hash once computed. Building
 * `${channel}:${chatId}` for every message would allocate a new string and hash it at each lookup.
 *
 * Entries are not removed when they fall idle (a chat answered and quiet), since the next message of
 * the same chat would create them again: idle entries are swept when the index has doubled since the
 * last sweep, which keeps it within twice the busy keys (at least {@link MIN_SWEEP_SIZE}) at O(1)
 * amortized cost per new key.
 */
export class KeyIndex<T, V extends IndexEntry> {
  private readonly chats = new Map<string, Map<string, V>>();
  private readonly named = new Map<string, V>();
  /** Set by `locate` next to the outer key it returns: saves allocating a pair per lookup. */
  private located: string | undefined = undefined;
  /** The last channel looked up, and its chats: most messages of a lane share a few channels. */
  private lastChannel: string | undefined = undefined;
  private lastChats: Map<string, V> | undefined = undefined;
  private size = 0;
  private sweepAt = MIN_SWEEP_SIZE;

  constructor(readonly kind: KeyKind<T>) {}

  /** The message's entry, created with `create(outer, inner)` when it has none. */
  getOrCreate(message: T, create: (outer: string, inner: string | undefined) => V): V {
    const outer = this.locate(message);
    const inner = this.located;
    const entries = inner === undefined ? this.named : this.chatsOf(outer);
    const key = inner ?? outer;
    let entry = entries.get(key);
    if (entry === undefined) {
      if (this.size >= this.sweepAt) this.sweep();
      entry = create(outer, inner);
      entries.set(key, entry);
      this.size++;
    }
    return entry;
  }

  private chatsOf(channel: string): Map<string, V> {
    if (channel === this.lastChannel) return this.lastChats as Map<string, V>;
    let chats = this.chats.get(channel);
    if (chats === undefined) this.chats.set(channel, (chats = new Map()));
    this.lastChannel = channel;
    this.lastChats = chats;
    return chats;
  }

  /** Removes the idle entries; the next sweep comes when the index has doubled again. */
  private sweep(): void {
    this.size -= removeIdle(this.named);
    for (const [channel, chats] of this.chats) {
      this.size -= removeIdle(chats);
      if (chats.size > 0) continue;
      this.chats.delete(channel);
      if (channel === this.lastChannel) this.lastChannel = this.lastChats = undefined;
    }
    this.sweepAt = Math.max(MIN_SWEEP_SIZE, 2 * this.size);
  }

  *values(): IterableIterator<V> {
    yield* this.named.values();
    for (const chats of this.chats.values()) yield* chats.values();
  }

  /** Returns the outer key and leaves the inner one in `located`. */
  private locate(message: T): string {
    const kind = this.kind;
    this.located = undefined;
    if (typeof kind === 'function') {
      const key = kind(message);
      if (typeof key !== 'string') throw new TypeError(`orderBy returned ${typeof key}, not a string`);
      return key;
    }
    const fields = message as unknown as ChatFields;
    if (kind === 'session') {
      const session = fields.sessionKey;
      if (typeof session === 'string' && session !== '') return session;
    }
    const { channel, chatId } = fields;
    if (typeof channel !== 'string' || typeof chatId !== 'string') throw new TypeError('the message has no channel and chatId to order by');
    this.located = chatId;
    return channel;
  }
}

function removeIdle<V extends IndexEntry>(entries: Map<string, V>): number {
  let removed = 0;
  for (const [key, entry] of entries) {
    if (!entry.idle) continue;
    entries.delete(key);
    removed++;
  }
  return removed;
}

/** The key as a string, for logs and `ctx.key`: the session or custom key, or `${channel}:${chatId}`. */
export function keyName(entry: Keyed): string {
  return entry.inner === undefined ? entry.outer : `${entry.outer}:${entry.inner}`;
}
