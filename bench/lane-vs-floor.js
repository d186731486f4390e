/**
 * An isolated A/B of the bare Lane against the floor: the two alone in the process, the same consumer
 * loop (`tryReceive() ?? await receive()`), alternating for many rounds. The full bench runs nine
 * contestants in one process, whose JIT and GC state leak into each other's rounds; this shows the
 * lane's own overhead over the least machinery that does its job.
 *
 *   npm run build && node bench/lane-vs-floor.js [rounds] [messages]
 */
import { Lane } from '../dist/index.js';
import { FloorQueue } from './floor-queue.js';
import { makeMessage } from './harness.js';

const rounds = Number(process.argv[2] ?? 12);
const messages = Number(process.argv[3] ?? 1_000_000);

async function timeConsumer(queue) {
  let sum = 0;
  const handler = {
    async handle(message) {
      sum += message.seq;
    },
  };
  const consumer = (async () => {
    for (;;) {
      const message = queue.tryReceive() ?? (await queue.receive());
      if (message === undefined) return;
      await handler.handle(message);
    }
  })();
  const started = performance.now();
  for (let i = 0; i < messages; i++) await queue.publish(makeMessage(i));
  queue.close();
  await consumer;
  const ms = performance.now() - started;
  if (sum !== (messages * (messages - 1)) / 2) throw new Error('messages lost or duplicated');
  return ms;
}

const ratios = [];
for (let round = 0; round < rounds; round++) {
  const laneMs = await timeConsumer(new Lane('inbound', 64));
  const floorMs = await timeConsumer(new FloorQueue(64));
  if (round >= 2) ratios.push(floorMs / laneMs); // two warm-up rounds
  process.stderr.write(`round ${round + 1}/${rounds}: lane ${laneMs.toFixed(1)} ms, floor ${floorMs.toFixed(1)} ms\n`);
}
ratios.sort((a, b) => a - b);
const median = ratios[Math.floor(ratios.length / 2)];
console.log(`Lane throughput / floor throughput, median of ${ratios.length} rounds: ${median.toFixed(3)}x (range ${ratios[0].toFixed(2)}-${ratios.at(-1).toFixed(2)})`);
