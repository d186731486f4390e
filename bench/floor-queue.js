/**
 * The floor: the least machinery that does what a lane does, so its cost is the cost of the awaits
 * alone. A bounded ring buffer (power-of-two slots) for one producer and one consumer: `publish`
 * resolves at once while there is room and waits while the queue is full; `receive` waits while it
 * is empty; `tryReceive` takes synchronously. No validation, abort signals, counters or drain
 * bookkeeping; a waiting party is a bare resolve function.
 */
const READY = Promise.resolve();

export class FloorQueue {
  constructor(capacity) {
    let size = 2;
    while (size < capacity) size *= 2;
    this.slots = new Array(size);
    this.mask = size - 1;
    this.head = 0;
    this.count = 0;
    this.capacity = capacity;
    this.closed = false;
    this.receiver = undefined; // resolve of the consumer waiting on an empty queue
    this.publisher = undefined; // resolve of the producer waiting on a full queue
    this.pending = undefined; // the message it waits to enqueue
  }

  publish(message) {
    const receiver = this.receiver;
    if (receiver !== undefined) {
      this.receiver = undefined;
      receiver(message);
      return READY;
    }
    if (this.count < this.capacity) {
      this.slots[(this.head + this.count) & this.mask] = message;
      this.count++;
      return READY;
    }
    return new Promise((resolve) => {
      this.publisher = resolve;
      this.pending = message;
    });
  }

  tryReceive() {
    if (this.count === 0) return undefined;
    const message = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.count--;
    const publisher = this.publisher;
    if (publisher !== undefined) {
      this.slots[(this.head + this.count) & this.mask] = this.pending;
      this.count++;
      this.publisher = undefined;
      this.pending = undefined;
      publisher();
    }
    return message;
  }

  receive() {
    if (this.count > 0) return Promise.resolve(this.tryReceive());
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.receiver = resolve;
    });
  }

  /** The least async iterator over the queue, for a `for await` consumer. */
  [Symbol.asyncIterator]() {
    return {
      next: () => {
        if (this.count > 0) return Promise.resolve({ value: this.tryReceive(), done: false });
        return this.receive().then((value) => (value === undefined ? { value, done: true } : { value, done: false }));
      },
    };
  }

  close() {
    this.closed = true;
    const receiver = this.receiver;
    this.receiver = undefined;
    receiver?.(undefined);
  }
}
