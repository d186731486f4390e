/**
 * The bench harness: runs scenarios, verifies what every contestant received, measures time and heap,
 * prints the table and builds the results document.
 *
 * A scenario is a module exporting
 *   { name, title, description, reference, messages: { full, quick }, rounds: { full, quick },
 *     contestants: [{ name, kind, setup(ctx), run(state, ctx), teardown(state, ctx) }] }
 * and optionally `referenceRows` (rows printed for context, never measured).
 *
 * Each round builds a fresh contestant (setup), runs it once (run) and tears it down (teardown).
 * The first round is a warm-up and is discarded; the contestants are interleaved and their order
 * rotates from round to round. `run` resolves when the contestant is done; it may resolve with
 * `{ ms }` when only part of it is the measured time (otherwise the whole `run` is timed) and with
 * `{ expectAll: false }` when an incomplete delivery is the measured outcome rather than a failure.
 */
import os from 'node:os';
import v8 from 'node:v8';

const MB = 1024 * 1024;

/** Everything a contestant needs in one round. */
export class RoundContext {
  constructor({ messages, quick, sink, probe, scenario }) {
    this.messages = messages;
    this.quick = quick;
    this.sink = sink;
    this.probe = probe;
    this.scenario = scenario;
  }
}

/**
 * Counts what a handler received and checks it: the count, the sum of content lengths and the sum of
 * sequence numbers must match what was published exactly once. Samples the heap every 1024 messages.
 */
export class Sink {
  constructor(expected, probe, stallMs) {
    this.expected = expected;
    this.count = 0;
    this.lengths = 0;
    this.seqs = 0;
    this.probe = probe;
    this.stallMs = stallMs;
    this.resolveDone = undefined;
    this.sealed = false;
    this.late = 0;
  }

  take(message) {
    if (this.sealed) {
      this.late++;
      return;
    }
    this.lengths += message.content.length;
    this.seqs += message.seq;
    if ((++this.count & 1023) === 0) this.probe.sample();
    if (this.count === this.expected && this.resolveDone !== undefined) this.resolveDone(true);
  }

  /** Counts nothing from now on (what still arrives is only tallied as `late`). */
  seal() {
    this.sealed = true;
  }

  /** Resolves `true` once every expected message arrived, `false` if nothing arrived for `stallMs`. */
  done() {
    if (this.count >= this.expected) return Promise.resolve(true);
    return new Promise((resolve) => {
      let last = this.count;
      const timer = setInterval(() => {
        if (this.count === last) finish(false);
        last = this.count;
      }, this.stallMs);
      const finish = (complete) => {
        clearInterval(timer);
        this.resolveDone = undefined;
        resolve(complete);
      };
      this.resolveDone = finish;
    });
  }

  /** Compares with what messages `0 .. expected-1` add up to. */
  verify(expectation = expectedSums(this.expected)) {
    const lost = Math.max(0, this.expected - this.count);
    const duplicated = Math.max(0, this.count - this.expected);
    const checksumOk = this.lengths === expectation.lengths && this.seqs === expectation.seqs;
    return { received: this.count, lost, duplicated, checksumOk, ok: lost === 0 && duplicated === 0 && checksumOk };
  }
}

/**
 * Heap growth over one round, from a baseline taken after a full GC, measured two ways:
 *
 * - `peakMB`: the peak of `heapUsed` (read through `v8.getHeapStatistics()`, the same number as
 *   `process.memoryUsage().heapUsed` without reading the RSS), sampled every 1024 messages by the
 *   sinks and producers and every 5 ms by a timer when the event loop turns. It includes young
 *   garbage not yet scavenged, so any contestant that allocates shows up to the young generation's
 *   size (16 MB semi-space by default on 64-bit) even if it retains nothing.
 * - `postGcMB`: the peak of the heap left after each GC that ran during the round (recorded by
 *   `v8.GCProfiler`), i.e. what survived; `null` when no GC ran.
 */
export class HeapProbe {
  constructor() {
    this.baseline = 0;
    this.peak = 0;
    this.timer = undefined;
    this.profiler = undefined;
  }

  start() {
    collectGarbage();
    this.baseline = heapUsed();
    this.peak = this.baseline;
    this.profiler = new v8.GCProfiler();
    this.profiler.start();
    this.timer = setInterval(() => this.sample(), 5);
  }

  sample() {
    const used = heapUsed();
    if (used > this.peak) this.peak = used;
  }

  stop() {
    this.sample();
    clearInterval(this.timer);
    const gcs = this.profiler?.stop()?.statistics ?? [];
    this.profiler = undefined;
    const afterGc = gcs.map((gc) => gc.afterGC.heapStatistics.usedHeapSize);
    return {
      peakMB: (this.peak - this.baseline) / MB,
      postGcMB: afterGc.length > 0 ? Math.max(0, Math.max(...afterGc) - this.baseline) / MB : null,
      gcs: gcs.length,
    };
  }
}

export const gcAvailable = typeof globalThis.gc === 'function';

function collectGarbage() {
  if (!gcAvailable) return;
  globalThis.gc();
  globalThis.gc();
}

function heapUsed() {
  return v8.getHeapStatistics().used_heap_size;
}

/** What the messages `0 .. n-1` of {@link makeMessage} add up to. */
const sumsCache = new Map();
export function expectedSums(n) {
  let sums = sumsCache.get(n);
  if (sums === undefined) {
    let lengths = 0;
    for (let i = 0; i < n; i++) lengths += CONTENTS[i % CONTENTS.length].length;
    sums = { lengths, seqs: (n * (n - 1)) / 2 };
    sumsCache.set(n, sums);
  }
  return sums;
}

const CONTENTS = Array.from({ length: 61 }, (_, i) => 'm'.repeat(8 + i));
const SENDERS = Array.from({ length: 16 }, (_, i) => `user-${i}`);
const CHATS = Array.from({ length: 16 }, (_, i) => `chat-${i}`);

/**
 * The one message factory every contestant uses: an inbound message plus `seq`, a bench-only field
 * the sinks use to prove every message arrived exactly once (the bus passes message objects through
 * untouched).
 */
export function makeMessage(i) {
  return { channel: 'bench', senderId: SENDERS[i & 15], chatId: CHATS[i & 15], content: CONTENTS[i % 61], seq: i };
}

/** One turn of the event loop: the handler work of the scenarios where handlers are slower than producers. */
export function nextTurn() {
  return new Promise(setImmediate);
}

export function median(values) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    memoryGB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
    gcExposed: gcAvailable,
  };
}

/** Runs one scenario: a warm-up round, then the measured rounds, contestants interleaved. */
export async function runScenario(scenario, { quick, log }) {
  const messages = quick ? scenario.messages.quick : scenario.messages.full;
  const rounds = quick ? scenario.rounds.quick : scenario.rounds.full;
  const stallMs = quick ? 2000 : 5000;
  const contestants = scenario.contestants;
  const outcomes = new Map(contestants.map((c) => [c.name, { rounds: [], failures: [] }]));
  log(`${scenario.name}: ${scenario.title} (${fmtCount(messages)} messages, 1 warm-up + ${rounds} rounds, ${contestants.length} contestants)`);

  for (let round = 0; round <= rounds; round++) {
    const label = round === 0 ? 'warm-up' : `round ${round}/${rounds}`;
    for (let k = 0; k < contestants.length; k++) {
      const contestant = contestants[(k + round) % contestants.length];
      const outcome = outcomes.get(contestant.name);
      if (outcome.failures.length > 0 && round > 0) continue; // reported once; do not spend time on it
      const result = await runRound(scenario, contestant, { messages, quick, stallMs });
      log(`  ${scenario.name} ${label.padEnd(11)} ${contestant.name.padEnd(32)} ${describeRound(result)}`);
      if (!result.ok) outcome.failures.push({ round: label, ...result });
      else if (round > 0) outcome.rounds.push(result);
    }
  }
  return summarize(scenario, messages, rounds, outcomes);
}

async function runRound(scenario, contestant, { messages, quick, stallMs }) {
  const probe = new HeapProbe();
  const sink = new Sink(messages, probe, stallMs);
  const ctx = new RoundContext({ messages, quick, sink, probe, scenario });
  let state;
  let result;
  let elapsed;
  let heap;
  try {
    state = await contestant.setup(ctx);
    probe.start();
    const startedAt = performance.now();
    result = (await contestant.run(state, ctx)) ?? {};
    elapsed = performance.now() - startedAt;
    heap = probe.stop();
  } catch (error) {
    probe.stop();
    await safeTeardown(contestant, state, ctx);
    return { ok: false, error: errorText(error) };
  }
  const teardownError = await safeTeardown(contestant, state, ctx);
  const ms = result.ms ?? elapsed;
  const check = sink.verify(result.expectation);
  const expectAll = result.expectAll ?? true;
  const complete = check.lost === 0 || !expectAll;
  const ok = complete && check.duplicated === 0 && (check.lost > 0 || check.checksumOk) && teardownError === undefined;
  return {
    ok,
    error: teardownError ?? (ok ? undefined : failureText(check, result)),
    ms,
    msgsPerSec: (check.received / ms) * 1000,
    heapMB: heap.peakMB,
    postGcMB: heap.postGcMB,
    gcs: heap.gcs,
    received: check.received,
    expected: messages,
    share: check.received / messages,
    note: sink.late > 0 ? `${result.note ?? ''}; ${sink.late} more arrived after it was over` : result.note,
  };
}

async function safeTeardown(contestant, state, ctx) {
  if (state === undefined) return undefined;
  try {
    await contestant.teardown(state, ctx);
    return undefined;
  } catch (error) {
    return `teardown failed: ${errorText(error)}`;
  }
}

function failureText(check, result) {
  const parts = [];
  if (check.lost > 0) parts.push(`lost ${check.lost}`);
  if (check.duplicated > 0) parts.push(`duplicated ${check.duplicated}`);
  if (!check.checksumOk && check.lost === 0 && check.duplicated === 0) parts.push('checksum mismatch');
  if (result.note) parts.push(result.note);
  return parts.join(', ');
}

function errorText(error) {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function describeRound(r) {
  if (!r.ok) return `FAILED: ${r.error}`;
  const share = r.share < 1 ? `  delivered ${fmtCount(r.received)}/${fmtCount(r.expected)}` : '';
  return `${fmtRate(r.msgsPerSec).padStart(9)} msgs/s  ${fmtMs(r.ms).padStart(9)}  heap +${r.heapMB.toFixed(1)} MB (post-GC ${fmtMB(r.postGcMB)}, ${r.gcs} GCs)${share}`;
}

function summarize(scenario, messages, rounds, outcomes) {
  const rows = scenario.contestants.map((c) => {
    const { rounds: done, failures } = outcomes.get(c.name);
    const ok = failures.length === 0 && done.length > 0;
    const last = done[done.length - 1];
    return {
      name: c.name,
      kind: c.kind,
      ok,
      error: failures[0] ? `${failures[0].round}: ${failures[0].error}` : undefined,
      medianMsgsPerSec: ok ? median(done.map((r) => r.msgsPerSec)) : null,
      medianMs: ok ? median(done.map((r) => r.ms)) : null,
      peakHeapGrowthMB: ok ? Math.max(...done.map((r) => r.heapMB)) : null,
      postGcHeapGrowthMB: ok ? maxOrNull(done.map((r) => r.postGcMB)) : null,
      delivered: ok ? median(done.map((r) => r.received)) : null,
      expected: messages,
      deliveredShare: ok ? median(done.map((r) => r.share)) : null,
      note: last?.note,
      rounds: done.map((r) => ({
        msgsPerSec: r.msgsPerSec,
        ms: r.ms,
        peakHeapGrowthMB: r.heapMB,
        postGcHeapGrowthMB: r.postGcMB,
        gcs: r.gcs,
        received: r.received,
      })),
    };
  });
  const ours = rows.find((r) => r.name === scenario.reference);
  for (const row of rows) {
    row.ratio = row.ok && ours?.ok && ours.medianMsgsPerSec > 0 ? row.medianMsgsPerSec / ours.medianMsgsPerSec : null;
  }
  return {
    name: scenario.name,
    title: scenario.title,
    description: scenario.description,
    messages,
    rounds,
    reference: scenario.reference,
    contestants: rows,
    referenceRows: scenario.referenceRows ?? [],
  };
}

/** The scenario as a text table: one row per contestant plus the reference rows. */
export function formatTable(result) {
  const header = ['contestant', 'status', 'msgs/s (median)', `x ${result.reference}`, 'time (median)', 'peak heap Δ', 'post-GC heap Δ', 'delivered'];
  const rows = result.contestants.map((r) => [
    r.name,
    r.ok ? 'ok' : 'FAILED',
    r.ok ? fmtRate(r.medianMsgsPerSec) : '-',
    r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`,
    r.ok ? fmtMs(r.medianMs) : '-',
    r.ok ? fmtMB(r.peakHeapGrowthMB) : '-',
    r.ok ? fmtMB(r.postGcHeapGrowthMB) : '-',
    r.ok ? `${fmtCount(r.delivered)}/${fmtCount(r.expected)} (${fmtShare(r.deliveredShare)})` : '-',
  ]);
  for (const ref of result.referenceRows) {
    rows.push([ref.name, 'reference', '-', '-', '-', '-', '-', `${fmtShare(ref.deliveredShare)} (${ref.note})`]);
  }
  const out = [markdownTable(result, header, rows, new Set([0, 1, header.length - 1]))];
  for (const r of result.contestants) {
    if (!r.ok) out.push(`  ${r.name} FAILED ${r.error ?? ''}`);
    else if (r.note) out.push(`  ${r.name}: ${r.note}`);
  }
  return out.join('\n');
}

/**
 * A markdown table under its scenario's heading. `left` names the columns aligned left (text); the
 * others are numbers, aligned right.
 */
export function markdownTable({ name, title, description }, header, rows, left = new Set([0, 1])) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (left.has(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [
    `## ${name}: ${title}`,
    description,
    '',
    line(header),
    `|${widths.map((w, i) => (left.has(i) ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

export function fmtRate(perSec) {
  if (perSec >= 1e6) return `${(perSec / 1e6).toFixed(2)} M`;
  if (perSec >= 1e3) return `${(perSec / 1e3).toFixed(1)} k`;
  return perSec.toFixed(0);
}

export function fmtMs(ms) {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

export function fmtCount(n) {
  return n >= 1e6 && n % 1e5 === 0 ? `${n / 1e6}M` : n >= 1e3 && n % 100 === 0 ? `${n / 1e3}k` : String(n);
}

function fmtMB(mb) {
  return mb === null || mb === undefined ? '-' : `${mb.toFixed(1)} MB`;
}

function maxOrNull(values) {
  const known = values.filter((v) => v !== null);
  return known.length > 0 ? Math.max(...known) : null;
}

function fmtShare(share) {
  return `${(share * 100).toFixed(share === 1 || share === 0 ? 0 : 1)}%`;
}
