/**
 * Runs only our throughput contestants, for a CPU profile of their hot path:
 *
 *   node --cpu-prof --cpu-prof-dir=<dir> bench/profile.js [nest-bus|lane|both] [messages] [rounds]
 *
 * Same contestants, messages and handler work as the throughput scenario; no heap sampling.
 */
import { bareLane, nestBus } from './contestants.js';
import { Sink, fmtRate } from './harness.js';

const which = process.argv[2] ?? 'both';
const messages = Number(process.argv[3] ?? 2_000_000);
const rounds = Number(process.argv[4] ?? 3);
const noProbe = { sample() {} };

const contestants = [];
if (which === 'nest-bus' || which === 'both') contestants.push(nestBus({ slow: false, flood: false }));
if (which === 'lane' || which === 'both') contestants.push(bareLane({ slow: false, flood: false }));
if (contestants.length === 0) {
  process.stderr.write('usage: profile.js [nest-bus|lane|both] [messages] [rounds]\n');
  process.exit(1);
}

let failed = false;
for (let round = 1; round <= rounds; round++) {
  for (const contestant of contestants) {
    const sink = new Sink(messages, noProbe, 5000);
    const ctx = { messages, quick: false, sink, probe: noProbe };
    const state = await contestant.setup(ctx);
    const startedAt = performance.now();
    await contestant.run(state, ctx);
    const ms = performance.now() - startedAt;
    await contestant.teardown(state, ctx);
    const check = sink.verify();
    failed ||= !check.ok;
    process.stderr.write(`round ${round} ${contestant.name}: ${fmtRate((messages / ms) * 1000)} msgs/s${check.ok ? '' : ' FAILED'}\n`);
  }
}
process.exit(failed ? 1 : 0);
