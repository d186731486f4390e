import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import fc from 'fast-check';
import { BusClosedError, Lane, MessageBusService } from '../../src/index.js';
import type { InboundMessage, LaneName } from '../../src/index.js';

type Op =
  | { kind: 'publish'; abortable: boolean }
  | { kind: 'tryPublish' }
  | { kind: 'abort'; index: number }
  | { kind: 'receive'; abortable: boolean }
  | { kind: 'abortReceive'; index: number }
  | { kind: 'tryReceive' }
  | { kind: 'tick' }
  | { kind: 'close' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('publish' as const), abortable: fc.boolean() }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'tryPublish' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('abort' as const), index: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('receive' as const), abortable: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('abortReceive' as const), index: fc.nat() }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'tryReceive' as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'tick' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'close' as const }) },
);

const message = (id: number): InboundMessage => ({ channel: 'c', senderId: 's', chatId: 'x', content: String(id) });
const idOf = (m: InboundMessage) => Number(m.content);
const flush = async () => {
  for (let i = 0; i < 4; i++) await Promise.resolve();
};

describe('Lane under random interleavings', () => {
  it('keeps FIFO order, never duplicates, never exceeds capacity, and accounts for every message', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 60 }), async (capacity, ops) => {
        const lane = new Lane<InboundMessage>('inbound', capacity);
        let nextId = 0;
        const accepted = new Set<number>();
        const refused = new Set<number>();
        // One slot per consumer call, in call order: a waiting receiver holds the front of the line, since
        // the lane hands it the next message before anyone else can take one.
        const slots: (number | undefined)[] = [];
        const publishControllers: AbortController[] = [];
        const receiveControllers: AbortController[] = [];
        const pending: Promise<unknown>[] = [];
        const slotFor = () => {
          const slot = slots.push(undefined) - 1;
          return (m: InboundMessage | undefined) => {
            if (m !== undefined) slots[slot] = idOf(m);
          };
        };

        for (const step of ops) {
          switch (step.kind) {
            case 'publish': {
              const id = nextId++;
              const controller = new AbortController();
              publishControllers.push(controller);
              const signal = step.abortable ? controller.signal : undefined;
              pending.push(
                lane.publish(message(id), { signal }).then(
                  () => accepted.add(id),
                  (error: unknown) => {
                    expect(error === controller.signal.reason || error instanceof BusClosedError).toBe(true);
                    refused.add(id);
                  },
                ),
              );
              break;
            }
            case 'tryPublish': {
              const id = nextId++;
              try {
                if (lane.tryPublish(message(id))) accepted.add(id);
                else refused.add(id);
              } catch (error) {
                expect(error).toBeInstanceOf(BusClosedError);
                refused.add(id);
              }
              break;
            }
            case 'abort':
              publishControllers[step.index % Math.max(1, publishControllers.length)]?.abort();
              break;
            case 'receive': {
              const controller = new AbortController();
              receiveControllers.push(controller);
              pending.push(lane.receive({ signal: step.abortable ? controller.signal : undefined }).then(slotFor(), () => {}));
              break;
            }
            case 'abortReceive':
              receiveControllers[step.index % Math.max(1, receiveControllers.length)]?.abort();
              break;
            case 'tryReceive':
              slotFor()(lane.tryReceive());
              break;
            case 'tick':
              await flush();
              break;
            case 'close':
              lane.close();
              break;
          }
          expect(lane.size).toBeLessThanOrEqual(capacity);
        }

        lane.close();
        await Promise.all(pending);
        const leftovers = lane.clear().map(idOf);

        // Every publish settled, one way or the other.
        expect(accepted.size + refused.size).toBe(nextId);
        for (const id of refused) expect(accepted.has(id)).toBe(false);
        // What was accepted was received or is still buffered (then reported by the bus), exactly once.
        const received = slots.filter((id): id is number => id !== undefined);
        const delivered = [...received, ...leftovers];
        expect(new Set(delivered).size).toBe(delivered.length);
        expect(new Set(delivered)).toEqual(accepted);
        // FIFO: messages leave in the order they were published.
        expect(delivered).toEqual([...delivered].sort((a, b) => a - b));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('MessageBusService under random handler behaviour and close timing', () => {
  it('delivers every accepted message exactly once or reports it undelivered', async () => {
    Logger.overrideLogger(false);
    const behaviour = fc.constantFrom('ok', 'throw', 'reject', 'slow', 'hang');
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(behaviour, { minLength: 1, maxLength: 30 }),
        fc.nat({ max: 30 }),
        async (capacity, behaviours, closeAfter) => {
          const undelivered: number[] = [];
          const bus = new MessageBusService({
            capacity,
            drainTimeoutMs: 5,
            onUndelivered: (_lane: LaneName, m) => undelivered.push(Number((m as InboundMessage).content)),
          });
          const handled: number[] = [];
          bus.startDispatch({
            inbound: [
              {
                name: 'Agent.handle',
                channels: undefined,
                dispatch: {},
                invoke: (m: InboundMessage) => {
                  const id = idOf(m);
                  switch (behaviours[id]) {
                    case 'throw':
                      throw new Error('boom');
                    case 'reject':
                      return Promise.reject(new Error('boom'));
                    case 'slow':
                      return new Promise<void>((resolve) => setImmediate(resolve)).then(() => void handled.push(id));
                    case 'hang':
                      return new Promise(() => {});
                    default:
                      handled.push(id);
                      return undefined;
                  }
                },
              },
            ],
            outbound: [],
            outboundMedia: [],
          });
          const accepted: number[] = [];
          const publishes = behaviours.map((_, id) => {
            if (id === closeAfter) void bus.close();
            return bus.publishInbound(message(id)).then(
              () => accepted.push(id),
              (error: unknown) => expect(error).toBeInstanceOf(BusClosedError),
            );
          });
          const report = await bus.close();
          await Promise.all(publishes);
          // Every accepted message is handled exactly once or reported undelivered exactly once.
          const outcomes = [...handled, ...undelivered];
          expect(new Set(outcomes).size).toBe(outcomes.length);
          expect(new Set(outcomes)).toEqual(new Set(accepted));
          expect(report.delivered + report.undelivered).toBeLessThanOrEqual(accepted.length);
          expect(report.rejectedPublishers).toBe(behaviours.length - accepted.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
