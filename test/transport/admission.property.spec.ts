import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { Admission } from '../../src/transport/redis/admission.js';
import { TransportCommands } from '../../src/transport/redis/transport-commands.js';
import { redisAvailable, startRedis } from '../support/redis-server.js';
import type { TestRedis } from '../support/redis-server.js';

const REQUIRED = process.env.REQUIRE_REDIS === '1';
const describeWithRedis = redisAvailable || REQUIRED ? describe : describe.skip;

type Entry = [id: string, fields: string[]];

/** One publish of the generated scenario: which instance, which stream, and when (if ever) it gives up. */
const publishArbitrary = fc.record({
  instance: fc.constantFrom(0, 1),
  stream: fc.constantFrom(0, 1),
  abortAfterMs: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
  /** When it is made after the previous publish: in the same turn, the next turn (often while a call is under way), or later. */
  gap: fc.constantFrom('none', 'none', 'turn', 'turn', 'turn', '1 ms'),
});

describeWithRedis('admission into partition streams, against a real redis-server (property)', () => {
  let server: TestRedis;
  let clients: Redis[];
  let runs = 0;

  beforeAll(async () => {
    server = await startRedis();
    clients = [0, 1, 2].map(() => new Redis(server.url));
  }, 20_000);
  afterAll(async () => {
    for (const client of clients ?? []) client.disconnect();
    await server?.stop();
  });

  it('admits each publish once or withdraws it, never past the capacity, each instance’s publishes in call order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.array(publishArbitrary, { minLength: 1, maxLength: 120 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 3 }),
        async (capacity, publishes, readCount, pauseMs) => {
          const run = ++runs;
          const streams = [0, 1].map((p) => `prop:${run}:stream:${p}`);
          const lease = `prop:${run}:lease`;
          const [consumer, ...instances] = clients;
          for (const stream of streams) await consumer.xgroup('CREATE', stream, 'bus', '$', 'MKSTREAM');
          const consumerCommands = new TransportCommands(consumer);
          await consumerCommands.acquire(lease, 'reader', 10_000);
          const admissions = instances.map((client) => new Admission(new TransportCommands(client)));

          // Every publish settles exactly once: 'admitted', or withdrawn with its own abort reason. They are made
          // in index order, some in the same turn, some while earlier ones still wait for room.
          const outcomes: Promise<string>[] = [];
          const publishing = (async () => {
            for (const [index, { instance, stream, abortAfterMs, gap }] of publishes.entries()) {
              if (gap === 'turn') await new Promise((resolve) => setImmediate(resolve));
              if (gap === '1 ms') await new Promise((resolve) => setTimeout(resolve, 1));
              const controller = abortAfterMs === undefined ? undefined : new AbortController();
              if (controller !== undefined) setTimeout(() => controller.abort(new Error(`gave up ${index}`)), abortAfterMs);
              outcomes.push(
                admissions[instance].admit(streams[stream], capacity, `${instance}:${index}`, controller?.signal).then(
                  () => 'admitted',
                  (error: Error) => (error.message === `gave up ${index}` ? 'withdrawn' : `unexpected: ${error.message}`),
                ),
              );
            }
          })();
          let settled = false;
          const allSettled = publishing.then(() => Promise.all(outcomes)).finally(() => (settled = true));

          // A reader that acknowledges what it reads, in random batches and at a random pace.
          const read: string[][] = [[], []];
          let longest = 0;
          while (!settled || (await Promise.all(streams.map((stream) => consumer.xlen(stream)))).some((length) => length > 0)) {
            for (const [index, stream] of streams.entries()) {
              longest = Math.max(longest, await consumer.xlen(stream));
              const result = (await consumer.xreadgroup('GROUP', 'bus', 'reader', 'COUNT', readCount, 'STREAMS', stream, '>')) as [string, Entry[]][] | null;
              const entries = result?.[0][1] ?? [];
              read[index].push(...entries.map(([, fields]) => fields[1]));
              if (entries.length > 0) await consumerCommands.acknowledge('reader', 'bus', [{ lease, stream, ids: entries.map(([id]) => id) }]);
              for (const admission of admissions) admission.roomMade(stream);
            }
            await new Promise((resolve) => setTimeout(resolve, pauseMs));
          }
          const results = await allSettled;

          expect(results.filter((result) => result !== 'admitted' && result !== 'withdrawn')).toEqual([]);
          expect(longest).toBeLessThanOrEqual(capacity);
          const admitted = publishes.map((publish, index) => ({ ...publish, index })).filter(({ index }) => results[index] === 'admitted');
          for (const stream of [0, 1]) {
            // Exactly the admitted publishes, each once, and per instance in the order they were made.
            expect([...read[stream]].sort()).toEqual(admitted.filter((p) => p.stream === stream).map((p) => `${p.instance}:${p.index}`).sort());
            for (const instance of [0, 1]) {
              const order = read[stream].filter((payload) => payload.startsWith(`${instance}:`)).map((payload) => Number(payload.split(':')[1]));
              expect(order).toEqual([...order].sort((a, b) => a - b));
            }
          }
          for (const admission of admissions) admission.close();
        },
      ),
      { numRuns: 25 },
    );
  }, 60_000);
});
