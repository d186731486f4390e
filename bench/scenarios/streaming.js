/**
 * Streaming: a simulated LLM streams a 4 000-character answer over 20 s in 5-character deltas (800
 * deltas, one every 25 ms) into a chat whose draft API takes 300 ms per call. Counts the draft calls a
 * streamer makes and checks that the final text is delivered exactly once, unchanged.
 *
 * Time is virtual (fake timers), so the 20 simulated seconds take milliseconds and every count is
 * exact and repeatable: this scenario measures calls, not speed.
 *
 * - ThrottledStreamer with picoclaw's Telegram settings (3 s, 200 characters).
 * - A naive streamer that sends a draft for every delta, as a first implementation would.
 * - ThrottledStreamer over a draft API that fails (e.g. a bot without drafts): it degrades to the final
 *   message alone.
 */
import FakeTimers from '@sinonjs/fake-timers';
import { ThrottledStreamer, pipeTextStream } from '../../dist/index.js';
import { markdownTable } from '../harness.js';

const ANSWER_CHARS = 4000;
const DELTA_CHARS = 5;
const ANSWER_MS = 20_000;
const DRAFT_LATENCY_MS = 300;

function answerText() {
  const words = 'the bus waits when a lane is full and never drops what it accepted '.repeat(80);
  return words.slice(0, ANSWER_CHARS);
}

/** The simulated LLM: the answer in DELTA_CHARS pieces, evenly spread over ANSWER_MS. */
async function* llm(text) {
  const pause = ANSWER_MS / (text.length / DELTA_CHARS);
  for (let i = 0; i < text.length; i += DELTA_CHARS) {
    await new Promise((resolve) => setTimeout(resolve, pause));
    yield text.slice(i, i + DELTA_CHARS);
  }
}

/** A chat platform's API as the streamers see it, counting calls and calls in flight. */
class FakeChat {
  constructor({ draftsFail = false } = {}) {
    this.draftsFail = draftsFail;
    this.draftCalls = 0;
    this.inFlight = 0;
    this.maxInFlight = 0;
    this.finals = [];
  }
  async sendDraft() {
    this.draftCalls++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, DRAFT_LATENCY_MS));
    this.inFlight--;
    if (this.draftsFail) throw new Error('Bad Request: drafts are not available in this chat');
  }
  async sendFinal(text) {
    this.finals.push(text);
  }
}

/** What a first implementation does: one draft per delta, nothing else. */
class NaiveStreamer {
  constructor(chat) {
    this.chat = chat;
  }
  async update(text) {
    void this.chat.sendDraft(text).catch(() => {});
  }
  async finalize(text) {
    await this.chat.sendFinal(text);
  }
  async cancel() {}
}

const quietLogger = { warn() {}, debug() {} };

const contestants = [
  {
    name: 'ThrottledStreamer (3 s / 200 chars)',
    chat: () => new FakeChat(),
    streamer: (chat) => new ThrottledStreamer({ sendDraft: (t) => chat.sendDraft(t), sendFinal: (t) => chat.sendFinal(t), logger: quietLogger }),
  },
  {
    name: 'naive per-delta streamer',
    chat: () => new FakeChat(),
    streamer: (chat) => new NaiveStreamer(chat),
  },
  {
    name: 'ThrottledStreamer, draft API failing',
    chat: () => new FakeChat({ draftsFail: true }),
    streamer: (chat) => new ThrottledStreamer({ sendDraft: (t) => chat.sendDraft(t), sendFinal: (t) => chat.sendFinal(t), logger: quietLogger }),
  },
];

async function runOne(contestant) {
  const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'Date'], loopLimit: 100_000 });
  try {
    const text = answerText();
    const chat = contestant.chat();
    const streamer = contestant.streamer(chat);
    const piped = pipeTextStream(llm(text), streamer);
    await clock.runAllAsync();
    const delivered = await piped;
    const finalOnce = chat.finals.length === 1 && chat.finals[0] === text && delivered === text;
    return {
      name: contestant.name,
      ok: finalOnce,
      error: finalOnce ? undefined : `final delivered ${chat.finals.length} times`,
      draftCalls: chat.draftCalls,
      maxDraftCallsInFlight: chat.maxInFlight,
      finalDeliveries: chat.finals.length,
      simulatedMs: clock.now,
    };
  } finally {
    clock.uninstall();
  }
}

function formatTable(result) {
  const naive = result.contestants.find((c) => c.name.startsWith('naive'));
  const header = ['streamer', 'status', 'draft calls', 'x naive', 'max calls in flight', 'final delivered'];
  const rows = result.contestants.map((c) => [
    c.name,
    c.ok ? 'ok' : 'FAILED',
    String(c.draftCalls),
    naive ? `${(c.draftCalls / naive.draftCalls).toFixed(3)}x` : '-',
    String(c.maxDraftCallsInFlight),
    c.finalDeliveries === 1 ? 'once' : `${c.finalDeliveries} times`,
  ]);
  return markdownTable(result, header, rows);
}

export default {
  name: 'streaming',
  title: 'draft API calls per streamed answer',
  description:
    `A simulated LLM streams a ${ANSWER_CHARS}-character answer over ${ANSWER_MS / 1000} s in ${DELTA_CHARS}-character deltas ` +
    `into a chat whose draft API takes ${DRAFT_LATENCY_MS} ms per call (virtual time: counts are exact).`,
  /** A scenario with its own runner: it counts calls, so the harness's timing rounds do not apply. */
  async run({ log }) {
    const rows = [];
    for (const contestant of contestants) {
      log(`  streaming: ${contestant.name}`);
      rows.push(await runOne(contestant));
    }
    const result = { name: this.name, title: this.title, description: this.description, contestants: rows };
    result.table = formatTable(result);
    return result;
  },
};
