import { describe, expect, it } from '@jest/globals';
import { getEventListeners } from 'node:events';
import { Lane } from '../../src/index.js';
import { MB, heapAfterGc } from '../support/heap.js';
import { inboundMessage } from '../support/messages.js';

/** A lane whose consumer is stalled: full, nobody receiving. */
function fullLane(capacity = 4): Lane<object> {
  const lane = new Lane<object>('inbound', capacity);
  for (let i = 0; i < capacity; i++) lane.tryPublish({ i });
  return lane;
}

const isAbort = (error: unknown): boolean => error instanceof DOMException && (error.name === 'AbortError' || error.name === 'TimeoutError');

describe('Lane: aborted waiters do not accumulate', () => {
  /** Heap growth after GC over `rounds` calls that each start a wait on `lane` and abort it at once. */
  async function heapGrowthOfAbortedWaits(rounds: number, wait: (signal: AbortSignal, round: number) => Promise<unknown>): Promise<number> {
    const before = await heapAfterGc();
    for (let round = 0; round < rounds; round++) {
      const controller = new AbortController();
      const waiting = wait(controller.signal, round);
      controller.abort();
      await waiting.catch((error: unknown) => {
        if (!isAbort(error)) throw error;
      });
    }
    return (await heapAfterGc()) - before;
  }

  it('keeps the heap flat while a publisher retries 200 000 aborted publishes on a stalled lane', async () => {
    const lane = fullLane();
    const growth = await heapGrowthOfAbortedWaits(200_000, (signal, i) => lane.publish({ payload: `message ${i} `.repeat(8) }, { signal }));
    expect(lane.waitingPublishers).toBe(0);
    expect(growth).toBeLessThan(16 * MB);
  });

  it('keeps the heap flat while a consumer polls an idle lane 100 000 times with aborted receives', async () => {
    const lane = new Lane<object>('inbound', 4);
    const growth = await heapGrowthOfAbortedWaits(100_000, (signal) => lane.receive({ signal }));
    expect(lane.waitingReceivers).toBe(0);
    expect(growth).toBeLessThan(16 * MB);
  });

  it('holds only live waiters when AbortSignal.timeout() aborts them, and the survivors are served in order', async () => {
    const lane = fullLane(1);
    const timedOut = Array.from({ length: 50 }, (_, i) => lane.publish({ dead: i }, { signal: AbortSignal.timeout(1) }));
    const survivor = { alive: true };
    const waiting = lane.publish(survivor);
    const outcomes = await Promise.allSettled(timedOut);
    expect(outcomes.every((o) => o.status === 'rejected' && (o.reason as DOMException).name === 'TimeoutError')).toBe(true);
    expect(lane.waitingPublishers).toBe(1);
    await lane.receive();
    await waiting;
    await expect(lane.receive()).resolves.toBe(survivor);
  });

  // Node warns (MaxListenersExceededWarning) past 10 listeners on one signal: one listener can never trip it.
  it('adds one abort listener per signal, however many publishers share it, and removes it when they leave', async () => {
    const lane = fullLane(1);
    const controller = new AbortController();
    const waiting = Array.from({ length: 25 }, (_, i) => lane.publish({ i }, { signal: controller.signal }));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);

    // Serving them one by one takes the listener away with the last one.
    for (let i = 0; i < 25; i++) await lane.receive();
    await Promise.all(waiting);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects every waiter of an aborted shared signal and keeps the others', async () => {
    const lane = fullLane(1);
    const shared = new AbortController();
    const a = lane.publish({ a: 1 }, { signal: shared.signal });
    const kept = { kept: true };
    const b = lane.publish(kept);
    const c = lane.publish({ c: 1 }, { signal: shared.signal });
    shared.abort(new Error('gone'));
    await expect(a).rejects.toThrow('gone');
    await expect(c).rejects.toThrow('gone');
    expect(lane.waitingPublishers).toBe(1);
    await lane.receive();
    await b;
    await expect(lane.receive()).resolves.toBe(kept);
  });
});

describe('Lane: bad input gets a TypeError and changes nothing', () => {
  it('refuses undefined, so a for-await consumer never stops early', async () => {
    const lane = new Lane<string | undefined>('inbound', 4);
    await expect(lane.publish(undefined)).rejects.toThrow(TypeError);
    expect(() => lane.tryPublish(undefined)).toThrow(TypeError);
    expect(lane.size).toBe(0);

    await lane.publish('a');
    await lane.publish('b');
    lane.close();
    const seen: (string | undefined)[] = [];
    for await (const message of lane) seen.push(message);
    expect(seen).toEqual(['a', 'b']);
  });

  it.each([
    ['the AbortController itself', () => new AbortController()],
    ['a plain object', () => ({ aborted: 'no' })],
    ['a string', () => 'abort'],
  ])('refuses %s as a signal at once, whether the lane has room or not', async (_name, makeSignal) => {
    const roomy = new Lane<object>('outbound', 4);
    const signal = makeSignal() as unknown as AbortSignal;
    await expect(roomy.publish(inboundMessage('x'), { signal })).rejects.toThrow(TypeError);
    expect(roomy.size).toBe(0);

    const full = fullLane(1);
    await expect(full.publish({ late: true }, { signal })).rejects.toThrow(/signal must be an AbortSignal/);
    expect(full.waitingPublishers).toBe(0);

    await expect(roomy.receive({ signal })).rejects.toThrow(TypeError);
    await roomy.publish({ kept: true });
    await expect(roomy.receive({ signal })).rejects.toThrow(TypeError);
    expect(roomy.size).toBe(1);
  });

  it('says to pass controller.signal when given the controller', async () => {
    const lane = new Lane<object>('inbound', 4);
    const error = await lane.publish({}, { signal: new AbortController() as unknown as AbortSignal }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/controller\.signal/);
  });
});
