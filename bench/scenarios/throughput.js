/**
 * Throughput: the producer awaits each publish; one async handler takes each message. Measures the
 * cost of the machinery between an awaited publish and a handler that does almost nothing (adds the
 * content length and sequence number to counters).
 */
import { CAPACITY, allContestants, nestBus } from '../contestants.js';

export default {
  name: 'throughput',
  title: 'awaited publish -> one async handler',
  description:
    `Each contestant moves N messages from a producer that awaits every publish into one async handler ` +
    `(capacity ${CAPACITY} where there is a bound). msgs/s from first publish to last message handled.`,
  reference: 'nest-bus (ours)',
  messages: { full: 1_000_000, quick: 20_000 },
  rounds: { full: 5, quick: 2 },
  contestants: [
    ...allContestants({ slow: false, flood: false }),
    // The same handler behind a guard: what running through Nest's enhancer pipeline costs per message.
    nestBus({ slow: false }, undefined, 'nest-bus (ours, with a guard)', true),
  ],
};
