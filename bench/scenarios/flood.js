/**
 * Flood: the producer publishes without waiting for the handlers, which are slower than it (each
 * yields one event-loop turn per message). The lanes apply backpressure (`await publish` waits only
 * while the lane is full), so their heap stays capacity-sized; peers have no bound and buffer
 * whatever the handlers have not reached yet.
 *
 * Count: 250 000 messages in the full run rather than 1 000 000. A one-at-a-time consumer that yields
 * a turn per message costs one event-loop turn per message (about 1-2 us each), and four contestants
 * consume one at a time, over a warm-up and three rounds; at 1 000 000 that alone would take most of
 * the three-minute budget. The peers' heap growth is linear in the count, so it scales up directly.
 */
import { CAPACITY, allContestants } from '../contestants.js';

export default {
  name: 'flood',
  title: 'fire-and-forget producer -> handler slower than the producer',
  description:
    `The producer publishes N messages without waiting for handlers (peers: fire-and-forget; lanes: ` +
    `\`await publish\`, waiting only while full, capacity ${CAPACITY}); each handler yields one ` +
    `event-loop turn (setImmediate) per message. Time until the last message is handled; peak heap growth.`,
  reference: 'nest-bus (ours)',
  messages: { full: 100_000, quick: 5_000 },
  rounds: { full: 3, quick: 1 },
  contestants: allContestants({ slow: true, flood: true }),
};
