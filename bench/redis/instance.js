/**
 * One application instance of the Redis scenario, in a worker thread of its own (its own event loop, as a
 * separate process would have): this package with the Redis Streams transport and an `@OnInbound` handler
 * (`ours`), the same in memory (`memory`, the reference: what the transport costs), or a BullMQ queue and
 * worker doing the same work (`bullmq`).
 *
 * The instance publishes the messages of its own chats, each chat's in order (one publisher per chat, as
 * webhooks of different chats arrive concurrently), and handles whatever its partitions or its worker get.
 * Handled messages are counted in a shared counter the main thread watches; out-of-order messages (a chat's
 * sequence number going back) are counted beside it.
 *
 * Protocol: main -> `{ type: 'go' }` once every instance is ready, -> `{ type: 'close' }` at the end.
 * Instance -> `{ type: 'ready' }`, `{ type: 'published' }`, `{ type: 'handled-all' }` (the instance that handled the
 * last of all the instances' messages), `{ type: 'closed', latencies }`, or `{ type: 'error' }`.
 */
import { parentPort, workerData } from 'node:worker_threads';

const { kind, url, prefix, handler, concurrency, chats, perChat, total, leaseTtlMs, counters } = workerData;
const HANDLED = 0;
const OUT_OF_ORDER = 1;
const shared = new Int32Array(counters);
const lastSeq = new Map();
const latencies = [];
const now = () => performance.timeOrigin + performance.now();
const ioTurn = () => new Promise((resolve) => setTimeout(resolve, 2));

async function handle(m) {
  if (handler === 'io') await ioTurn();
  latencies.push(now() - m.sentAt);
  if ((lastSeq.get(m.chatId) ?? -1) > m.seq) Atomics.add(shared, OUT_OF_ORDER, 1);
  lastSeq.set(m.chatId, m.seq);
  // Whichever instance handles the last message tells the main thread: no polling to steal a core.
  if (Atomics.add(shared, HANDLED, 1) === total - 1) parentPort.postMessage({ type: 'handled-all' });
}

const message = (chat, seq) => ({ channel: 'bench', senderId: 'u', chatId: `chat-${chat}`, content: 'hello', seq, sentAt: now() });

async function startOurs({ inMemory }) {
  const { BusModule, MessageBusService, OnInbound } = await import('../../dist/index.js');
  const { redisStreamsTransport } = await import('../../dist/transport/redis/index.js');
  const { createApp, decorateMethod, provider, rootModule } = await import('../nest.js');
  class Agent {
    handle(m) {
      return handle(m);
    }
  }
  decorateMethod(Agent, 'handle', OnInbound({ concurrency }));
  provider(Agent);
  const transport = inMemory ? undefined : redisStreamsTransport({ connection: url, prefix, leaseTtlMs });
  const app = await createApp({ module: rootModule('RedisBenchApp'), imports: [BusModule.forRoot({ transport })], providers: [Agent] });
  const bus = app.get(MessageBusService);
  return { publish: (m) => bus.publishInbound(m), close: () => app.close() };
}

async function startBullMQ() {
  const { Queue, Worker } = await import('bullmq');
  const { port } = new URL(url);
  const connection = { host: '127.0.0.1', port: Number(port), maxRetriesPerRequest: null };
  const queue = new Queue(prefix, { connection });
  const worker = new Worker(prefix, (job) => handle(job.data), { connection, concurrency });
  await worker.waitUntilReady();
  const jobOptions = { removeOnComplete: true, removeOnFail: true };
  return {
    publish: (m) => queue.add('m', m, jobOptions),
    close: async () => {
      await worker.close();
      await queue.close();
    },
  };
}

/** One publisher per chat: a chat's messages go out one after the other, chats concurrently. */
async function publishAll(instance) {
  await Promise.all(
    chats.map(async (chat) => {
      for (let seq = 0; seq < perChat; seq++) await instance.publish(message(chat, seq));
    }),
  );
}

try {
  const instance = kind === 'bullmq' ? await startBullMQ() : await startOurs({ inMemory: kind === 'memory' });
  parentPort.on('message', async ({ type }) => {
    try {
      if (type === 'go') {
        await publishAll(instance);
        parentPort.postMessage({ type: 'published' });
      } else if (type === 'close') {
        await instance.close();
        parentPort.postMessage({ type: 'closed', latencies: Float64Array.from(latencies) });
        parentPort.close();
      }
    } catch (error) {
      parentPort.postMessage({ type: 'error', error: String(error?.stack ?? error) });
    }
  });
  parentPort.postMessage({ type: 'ready' });
} catch (error) {
  parentPort.postMessage({ type: 'error', error: String(error?.stack ?? error) });
}
