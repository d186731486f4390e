/**
 * Redis: the lanes on Redis Streams, end to end, with 1 and 3 application instances against one local
 * `redis-server`, beside BullMQ doing the same work and beside the server's own XADD rate
 * (`redis-benchmark`).
 *
 * Each instance runs in a worker thread of its own (its own event loop, as a separate process would) and
 * publishes the messages of its share of 200 chats, one publisher per chat (a chat's messages one after the
 * other, chats concurrently, as webhooks arrive). Handlers are trivial, or await 2 ms of simulated I/O.
 * Time runs from the first publish to the last message handled, on whichever instance. BullMQ gets a queue
 * and a worker per instance with the same concurrency, completed jobs removed (as acknowledged entries are
 * here). It keeps no per-chat order: its out-of-order messages are counted and shown, not a failure.
 *
 * Skipped (one line) when `redis-server` is not installed.
 */
import { Redis } from 'ioredis';
import { Worker } from 'node:worker_threads';
import { fmtRate, markdownTable, median } from '../harness.js';
import { redisAvailable, startRedis, xaddRate } from '../redis/server.js';

const CHATS = 200;
const PARTITIONS = 16;
const HANDLERS = {
  trivial: { concurrency: 8, label: 'trivial' },
  io: { concurrency: 32, label: '2 ms I/O' },
};
const SIZES = {
  full: { handlers: ['trivial', 'io'], trivial: 60_000, io: 30_000, firstRound: 0, rounds: 5, leaseTtlMs: 3000 },
  // The smoke run: one round per contestant, no warm-up, only the trivial handler.
  quick: { handlers: ['trivial'], trivial: 2_000, firstRound: 1, rounds: 1, leaseTtlMs: 1500 },
};
const INSTANCES = [1, 3];
const KINDS = ['ours', 'bullmq'];
const NAMES = { ours: 'nest-bus on Redis Streams (ours)', bullmq: 'BullMQ queue + worker', memory: 'nest-bus in memory (reference, no Redis)' };
/** The in-memory bus runs as one instance only: instances share work only through a transport. */
const kindsFor = (instances) => (instances === 1 ? [...KINDS, 'memory'] : KINDS);

let rounds = 0;

/** Runs `count` messages through `instances` instances of `kind`; resolves with the round's figures. */
async function round(redis, kind, handlerName, instances, count, leaseTtlMs) {
  const prefix = `bench-${process.pid}-${++rounds}`;
  const counters = new SharedArrayBuffer(8);
  const shared = new Int32Array(counters);
  const perChat = Math.ceil(count / CHATS);
  const total = perChat * CHATS;
  const workers = Array.from({ length: instances }, (_, index) => {
    const chats = Array.from({ length: CHATS }, (_, chat) => chat).filter((chat) => chat % instances === index);
    const workerData = { kind, url: redis.url, prefix, handler: handlerName, concurrency: HANDLERS[handlerName].concurrency, chats, perChat, total, leaseTtlMs, counters };
    return new Worker(new URL('../redis/instance.js', import.meta.url), { workerData });
  });
  const allHandled = new Promise((resolve) => workers.forEach((worker) => worker.on('message', (m) => m.type === 'handled-all' && resolve(true))));
  const inbox = workers.map((worker) => messagesOf(worker));
  await Promise.all(inbox.map((next) => next('ready')));
  if (kind === 'ours') await balanced(redis.url, prefix, instances, leaseTtlMs);
  const startedAt = performance.now();
  for (const worker of workers) worker.postMessage({ type: 'go' });
  await Promise.all(inbox.map((next) => next('published')));
  let finished = false;
  const complete = await Promise.race([allHandled, stalled(shared, () => finished)]);
  finished = true;
  const ms = performance.now() - startedAt;
  for (const worker of workers) worker.postMessage({ type: 'close' });
  const closed = await Promise.all(inbox.map((next) => next('closed')));
  await Promise.all(workers.map((worker) => worker.terminate()));
  const latencies = Float64Array.from(closed.flatMap(({ latencies }) => [...latencies])).sort();
  return {
    complete,
    handled: Atomics.load(shared, 0),
    total,
    outOfOrder: Atomics.load(shared, 1),
    msgsPerSec: (total / ms) * 1000,
    p50Ms: latencies[Math.floor(latencies.length * 0.5)],
    p99Ms: latencies[Math.floor(latencies.length * 0.99)],
  };
}

/** A function that waits for the worker's next message of a type (failing on its errors). */
function messagesOf(worker) {
  const queued = [];
  const waiting = [];
  const deliver = (message) => {
    if (message.type === 'handled-all') return;
    if (waiting.length > 0) waiting.shift()(message);
    else queued.push(message);
  };
  worker.on('message', deliver);
  worker.on('error', (error) => deliver({ type: 'error', error: String(error?.stack ?? error) }));
  return async (type) => {
    const message = queued.length > 0 ? queued.shift() : await new Promise((resolve) => waiting.push(resolve));
    if (message.type === 'error') throw new Error(`bench instance failed: ${message.error}`);
    if (message.type !== type) throw new Error(`bench instance sent ${message.type}, expected ${type}`);
    return message;
  };
}

/** Waits until the inbound partitions are held by `instances` instances and stay so for a renewal. */
async function balanced(url, prefix, instances, leaseTtlMs) {
  const client = new Redis(url);
  const holders = async () => client.mget(...Array.from({ length: PARTITIONS }, (_, p) => `${prefix}:inbound:lease:${p}`));
  try {
    const deadline = Date.now() + leaseTtlMs * 10;
    let previous = '';
    while (Date.now() < deadline) {
      const held = await holders();
      const current = held.join(',');
      if (!held.includes(null) && new Set(held).size === instances && current === previous) return;
      previous = current;
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(leaseTtlMs / 3) + 50));
    }
    throw new Error(`the ${instances} instances did not share the partitions within ${leaseTtlMs * 10} ms`);
  } finally {
    client.disconnect();
  }
}

/** Resolves `false` once the handled count has not moved for 10 s; stops looking when `finished()` says so. */
async function stalled(shared, finished) {
  for (let last = -1; !finished(); ) {
    await new Promise((resolve) => setTimeout(resolve, 10_000).unref());
    const handled = Atomics.load(shared, 0);
    if (handled === last) return false;
    last = handled;
  }
  return true;
}

function contestant(kind, handlerName, instances, results) {
  const failed = results.find((r) => !r.complete);
  const disordered = kind === 'bullmq' ? undefined : results.find((r) => r.outOfOrder > 0);
  const rate = median(results.map((r) => r.msgsPerSec));
  return {
    name: NAMES[kind],
    kind,
    handler: handlerName,
    instances,
    ok: failed === undefined && disordered === undefined,
    error: failed ? `handled ${failed.handled} of ${failed.total}` : disordered ? `${disordered.outOfOrder} messages out of per-chat order` : undefined,
    msgsPerSec: rate,
    perInstance: rate / instances,
    outOfOrder: Math.max(...results.map((r) => r.outOfOrder)),
    p50Ms: median(results.map((r) => r.p50Ms)),
    p99Ms: median(results.map((r) => r.p99Ms)),
    rounds: results.map((r) => Math.round(r.msgsPerSec)),
  };
}

const ms = (value) => (value === undefined || Number.isNaN(value) ? '-' : `${value.toFixed(1)} ms`);

export default {
  name: 'redis',
  title: `the lanes on Redis Streams, ${CHATS} chats, 1 and 3 instances`,
  description:
    `End to end through one local redis-server: msgs/s from the first publish to the last message handled, per instance, ` +
    `the ratio to BullMQ in the same run, latency from publish to handled, and per-chat order (BullMQ keeps none).`,
  async run({ quick, log }) {
    if (!redisAvailable()) {
      log('  redis: skipped (redis-server is not installed)');
      return { name: this.name, title: this.title, description: this.description, skipped: true, contestants: [], table: '## redis: skipped (redis-server is not installed)' };
    }
    const size = quick ? SIZES.quick : SIZES.full;
    const redis = await startRedis();
    try {
      const xadd = { single: await xaddRate(redis.port, quick ? 20_000 : 200_000), pipelined: await xaddRate(redis.port, quick ? 100_000 : 1_000_000, 16) };
      const contestants = [];
      for (const handlerName of size.handlers) {
        for (const instances of INSTANCES) {
          const kinds = kindsFor(instances);
          const results = new Map(kinds.map((kind) => [kind, []]));
          for (let r = size.firstRound; r <= size.rounds; r++) {
            for (const kind of r % 2 === 0 ? kinds : [...kinds].reverse()) {
              const count = r === 0 ? Math.min(size[handlerName], 5000) : size[handlerName];
              const result = await round(redis, kind, handlerName, instances, count, size.leaseTtlMs);
              log(`  redis: ${NAMES[kind]}, ${HANDLERS[handlerName].label} handler, ${instances} instance(s), ${r === 0 ? 'warm-up' : `round ${r}`}, ${count} messages: ${fmtRate(result.msgsPerSec)} msgs/s`);
              if (r > 0) results.get(kind).push(result);
            }
          }
          const bullmqRate = median(results.get('bullmq').map((r) => r.msgsPerSec));
          for (const kind of kinds) {
            const row = contestant(kind, handlerName, instances, results.get(kind));
            row.xBullMQ = row.msgsPerSec / bullmqRate;
            contestants.push(row);
          }
        }
      }
      const header = ['contestant', 'status', 'handler', 'instances', 'msgs/s', 'per instance', 'x BullMQ', 'p50', 'p99', 'out of chat order'];
      const rows = contestants.map((c) => [
        c.name,
        c.ok ? 'ok' : 'FAILED',
        HANDLERS[c.handler].label,
        String(c.instances),
        fmtRate(c.msgsPerSec),
        fmtRate(c.perInstance),
        `${c.xBullMQ.toFixed(2)}x`,
        ms(c.p50Ms),
        ms(c.p99Ms),
        String(c.outOfOrder),
      ]);
      const reference = `redis-benchmark XADD on the same server (50 clients): ${xadd.single ? fmtRate(xadd.single) : '-'} requests/s one per round trip, ${xadd.pipelined ? fmtRate(xadd.pipelined) : '-'} pipelined by 16.`;
      const table = [markdownTable(this, header, rows, new Set([0, 1, 2])), reference, ...contestants.filter((c) => !c.ok).map((c) => `  ${c.name} FAILED ${c.error}`)].join('\n');
      return { name: this.name, title: this.title, description: this.description, xadd, contestants, table };
    } finally {
      await redis.stop();
    }
  },
};
