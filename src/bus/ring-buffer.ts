/**
 * A FIFO queue on a power-of-two circular array: O(1) push and shift without `Array#shift`,
 * which copies the whole array. Grows by doubling when full; callers that need a bound check
 * `length` themselves.
 */
export class RingBuffer<T> {
  private slots: (T | undefined)[];
  private mask: number;
  private head = 0;
  private count = 0;

  constructor(initialCapacity = 16) {
    const size = nextPowerOfTwo(Math.max(2, initialCapacity));
    this.slots = new Array<T | undefined>(size);
    this.mask = size - 1;
  }

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count > this.mask) this.grow();
    this.slots[(this.head + this.count) & this.mask] = item;
    this.count++;
  }

  /** Removes and returns the oldest item, or `undefined` when empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined; // let the message be collected
    this.head = (this.head + 1) & this.mask;
    this.count--;
    return item;
  }

  /** Calls `visit` on every item, oldest first, without removing them. */
  forEach(visit: (item: T) => void): void {
    for (let i = 0; i < this.count; i++) visit(this.slots[(this.head + i) & this.mask] as T);
  }

  /** Removes and returns every item, oldest first. */
  drain(): T[] {
    const items: T[] = [];
    while (this.count > 0) items.push(this.shift() as T);
    return items;
  }

  private grow(): void {
    const size = this.slots.length * 2;
    const slots = new Array<T | undefined>(size);
    for (let i = 0; i < this.count; i++) slots[i] = this.slots[(this.head + i) & this.mask];
    this.slots = slots;
    this.mask = size - 1;
    this.head = 0;
  }
}

function nextPowerOfTwo(n: number): number {
  let size = 2;
  while (size < n) size *= 2;
  return size;
}
