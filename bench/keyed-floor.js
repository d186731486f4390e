/**
 * The keyed floor: the least machinery that does what the default dispatch does for the throughput
 * scenario, so its cost is the cost of per-chat order alone. Messages of one chat run one at a time in
 * publish order; different chats run in parallel, at most `concurrency` at once; chats with work
 * waiting take the free places in turn. A message of an idle chat starts in its publisher's turn.
 *
 * Nothing else: no validation, no handler context, no bound on what waits (the producer of the
 * throughput scenario awaits each publish and the handler settles at once, so little ever waits), no
 * failure handling, accounting, drain or observers. A chat's state is found by channel, then chat id,
 * as the bus finds it.
 */
const READY = Promise.resolve();

export class KeyedFloor {
  constructor(handle, concurrency) {
    this.handle = handle;
    this.concurrency = concurrency;
    this.inFlight = 0;
    this.channels = new Map();
    this.ready = []; // chats with messages waiting and nothing running, oldest first
    this.readyHead = 0;
  }

  publish(message) {
    let chats = this.channels.get(message.channel);
    if (chats === undefined) this.channels.set(message.channel, (chats = new Map()));
    let chat = chats.get(message.chatId);
    if (chat === undefined) chats.set(message.chatId, (chat = { waiting: [], running: false }));
    if (!chat.running && chat.waiting.length === 0 && this.inFlight < this.concurrency) this.start(chat, message);
    else {
      chat.waiting.push(message);
      if (!chat.running && chat.waiting.length === 1) this.ready.push(chat);
    }
    return READY;
  }

  start(chat, message) {
    chat.running = true;
    this.inFlight++;
    void this.settle(chat, this.handle(message));
  }

  async settle(chat, result) {
    await result;
    chat.running = false;
    this.inFlight--;
    if (chat.waiting.length > 0) this.ready.push(chat);
    while (this.inFlight < this.concurrency && this.readyHead < this.ready.length) {
      const next = this.ready[this.readyHead++];
      if (this.readyHead === this.ready.length) this.ready.length = this.readyHead = 0;
      this.start(next, next.waiting.shift());
    }
  }
}
