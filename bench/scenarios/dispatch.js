/**
 * Dispatch: an agent whose turn awaits 2 ms of simulated I/O, 200 chats, messages in per-chat order.
 *
 * - For `concurrency` 1, 8 and 32: msgs/s and latency (publish to handled) of this package's keyed
 *   dispatch, against the ideal (the same handler driven by `concurrency` bare workers pulling from an
 *   array, with no ordering and no bus) and against rxjs `groupBy` + `mergeMap(group =>
 *   group.pipe(concatMap(handle)), concurrency)`, the usual hand-made per-key queue. `groupBy` gets a
 *   `ReplaySubject` connector: a group subscribed late by a bounded `mergeMap` would otherwise lose its
 *   first messages. rxjs has no backpressure, so its producer pushes everything at once and its
 *   latencies include that queue; ours waits at the lane.
 * - Hot-chat fairness: one chat floods while 20 other chats each send a message every 20 ms; the cold
 *   chats' p99 latency shows whether the hot chat's backlog holds them up.
 *
 * Each measurement is one round after a warm-up: the workload is timer-bound (2 ms turns), so rounds
 * vary little and a full run stays near a minute.
 */
import { ReplaySubject, Subject, concatMap, groupBy, mergeMap } from 'rxjs';
import { BusModule, MessageBusService, OnInbound } from '../../dist/index.js';
import { fmtRate, markdownTable } from '../harness.js';
import { createApp, decorateMethod, provider, rootModule } from '../nest.js';

const CHATS = 200;
const TURN_MS = 2;
const CONCURRENCIES = [1, 8, 32];
const SIZES = { full: { 1: 2_000, 8: 20_000, 32: 20_000 }, quick: { 1: 100, 8: 400, 32: 400 } };
const FAIRNESS = {
  full: { coldPerChat: 10, coldChats: 20, everyMs: 20, rxjsFlood: 5000 },
  quick: { coldPerChat: 3, coldChats: 10, everyMs: 20, rxjsFlood: 500 },
};

const turn = () => new Promise((resolve) => setTimeout(resolve, TURN_MS));
const message = (i, chat = `chat-${i % CHATS}`) => ({ channel: 'bench', senderId: 'u', chatId: chat, content: String(i), sentAt: 0 });

/** Latencies and per-chat order, as a handler sees its messages. */
class Recorder {
  constructor(expected) {
    this.expected = expected;
    this.latencies = [];
    this.lastByChat = new Map();
    this.outOfOrder = 0;
    this.done = new Promise((resolve) => (this.resolve = resolve));
  }
  handled(m) {
    this.latencies.push(performance.now() - m.sentAt);
    const seq = Number(m.content);
    if ((this.lastByChat.get(m.chatId) ?? -1) > seq) this.outOfOrder++;
    this.lastByChat.set(m.chatId, seq);
    if (this.latencies.length === this.expected) this.resolve();
  }
  percentile(p) {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
  }
}

async function ideal(count, concurrency) {
  let next = 0;
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        await turn();
      }
    }),
  );
  return { ms: performance.now() - startedAt };
}

async function ours(count, concurrency) {
  const recorder = new Recorder(count);
  class Agent {
    async handle(m) {
      await turn();
      recorder.handled(m);
    }
  }
  decorateMethod(Agent, 'handle', OnInbound({ concurrency }));
  provider(Agent);
  const app = await createApp({ module: rootModule('DispatchBenchApp'), imports: [BusModule.forRoot()], providers: [Agent] });
  const bus = app.get(MessageBusService);
  const startedAt = performance.now();
  for (let i = 0; i < count; i++) {
    const m = message(i);
    m.sentAt = performance.now();
    await bus.publishInbound(m);
  }
  await recorder.done;
  const ms = performance.now() - startedAt;
  await app.close();
  return { ms, recorder };
}

function rxjsGroups(concurrency, recorder) {
  const subject = new Subject();
  const handle = async (m) => {
    if (recorder.stopped) return; // the measurement is over: let the backlog go without work
    await turn();
    recorder.handled(m);
  };
  subject
    .pipe(
      groupBy((m) => m.chatId, { connector: () => new ReplaySubject() }),
      mergeMap((group) => group.pipe(concatMap(handle)), concurrency),
    )
    .subscribe();
  return subject;
}

async function rxjs(count, concurrency) {
  const recorder = new Recorder(count);
  const subject = rxjsGroups(concurrency, recorder);
  const startedAt = performance.now();
  for (let i = 0; i < count; i++) {
    const m = message(i);
    m.sentAt = performance.now();
    subject.next(m);
  }
  // Groups only end when the source does: a bounded mergeMap takes the next group once one has ended.
  subject.complete();
  await recorder.done;
  return { ms: performance.now() - startedAt, recorder };
}

/** One chat floods; cold chats send on a timer. Resolves with the cold messages' recorder. */
async function fairness(kind, { coldPerChat, coldChats, everyMs, rxjsFlood }) {
  const coldTotal = coldPerChat * coldChats;
  const cold = new Recorder(coldTotal);
  const onHandled = (m) => (m.chatId === 'hot' ? undefined : cold.handled(m));
  let stop = false;
  let publish;
  let close = async () => undefined;
  let sourceDone = () => undefined;
  if (kind === 'ours') {
    class Agent {
      async handle(m) {
        await turn();
        onHandled(m);
      }
    }
    decorateMethod(Agent, 'handle', OnInbound({ concurrency: 8 }));
    provider(Agent);
    const app = await createApp({ module: rootModule('FairnessBenchApp'), imports: [BusModule.forRoot({ drainTimeoutMs: 100 })], providers: [Agent] });
    const bus = app.get(MessageBusService);
    publish = (m) => bus.publishInbound(m);
    close = () => app.close();
    void (async () => {
      for (let i = 0; !stop; i++) await publish(message(i, 'hot')).catch(() => undefined);
    })();
  } else {
    const sink = { stopped: false, handled: onHandled };
    const subject = rxjsGroups(8, sink);
    close = async () => void (sink.stopped = true);
    publish = async (m) => subject.next(m);
    sourceDone = () => subject.complete(); // a bounded mergeMap starts the other groups only then
    for (let i = 0; i < rxjsFlood; i++) subject.next(message(i, 'hot')); // no backpressure: the flood is queued at once
  }
  let sent = 0;
  const timer = setInterval(() => {
    for (let c = 0; c < coldChats && sent < coldTotal; c++, sent++) {
      const m = message(sent, `cold-${c}`);
      m.sentAt = performance.now();
      void publish(m);
    }
    if (sent < coldTotal) return;
    clearInterval(timer);
    sourceDone();
  }, everyMs);
  await cold.done;
  stop = true;
  await close();
  return cold;
}

function row(name, concurrency, result, idealMs, count) {
  const rate = (count / result.ms) * 1000;
  const r = result.recorder;
  return {
    name,
    concurrency,
    ok: r === undefined || r.outOfOrder === 0,
    error: r?.outOfOrder ? `${r.outOfOrder} messages out of per-chat order` : undefined,
    msgsPerSec: rate,
    xIdeal: idealMs / result.ms,
    p50Ms: r?.percentile(50),
    p99Ms: r?.percentile(99),
  };
}

const ms = (value) => (value === undefined ? '-' : `${value.toFixed(1)} ms`);

export default {
  name: 'dispatch',
  title: `${CHATS} chats, a ${TURN_MS} ms turn per message, per-chat order`,
  description:
    `msgs/s against the ideal (bare workers, no ordering, no bus) at each concurrency, latency from publish to handled, ` +
    `and the cold chats' p99 latency while one chat floods. rxjs pushes without backpressure: its latency includes its queue.`,
  async run({ quick, log }) {
    const sizes = quick ? SIZES.quick : SIZES.full;
    const contestants = [];
    for (const concurrency of CONCURRENCIES) {
      const count = sizes[concurrency];
      log(`  dispatch: concurrency ${concurrency}, ${count} messages (warm-up, then measured)`);
      await ours(Math.min(count, 200), concurrency);
      const idealMs = (await ideal(count, concurrency)).ms;
      contestants.push(row('ideal (bare workers)', concurrency, { ms: idealMs }, idealMs, count));
      contestants.push(row('nest-bus (ours)', concurrency, await ours(count, concurrency), idealMs, count));
      contestants.push(row('rxjs groupBy+mergeMap', concurrency, await rxjs(count, concurrency), idealMs, count));
    }
    const fairnessSize = quick ? FAIRNESS.quick : FAIRNESS.full;
    log('  dispatch: hot-chat fairness');
    const fairnessRows = [];
    for (const kind of ['ours', 'rxjs']) {
      const cold = await fairness(kind, fairnessSize);
      fairnessRows.push({ name: kind === 'ours' ? 'nest-bus (ours)' : 'rxjs groupBy+mergeMap', ok: cold.outOfOrder === 0, coldP50Ms: cold.percentile(50), coldP99Ms: cold.percentile(99) });
    }
    const result = { name: this.name, title: this.title, description: this.description, contestants: [...contestants, ...fairnessRows.map((r) => ({ ...r, fairness: true }))] };
    const header = ['contestant', 'status', 'concurrency', 'msgs/s', 'x ideal', 'p50', 'p99'];
    const rows = contestants.map((c) => [c.name, c.ok ? 'ok' : 'FAILED', String(c.concurrency), fmtRate(c.msgsPerSec), `${c.xIdeal.toFixed(2)}x`, ms(c.p50Ms), ms(c.p99Ms)]);
    const fairnessTable = markdownTable(
      { name: 'dispatch', title: 'hot-chat fairness', description: `One chat floods a ${TURN_MS} ms handler (concurrency 8) while ${fairnessSize.coldChats} cold chats send every ${fairnessSize.everyMs} ms.` },
      ['contestant', 'status', 'cold p50', 'cold p99'],
      fairnessRows.map((r) => [r.name, r.ok ? 'ok' : 'FAILED', ms(r.coldP50Ms), ms(r.coldP99Ms)]),
    );
    result.table = `${markdownTable(result, header, rows)}\n\n${fairnessTable}`;
    return result;
  },
};
