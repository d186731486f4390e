/**
 * Flood: the producer publishes without waiting for the handlers, which are slower than it (each
 * yields one event-loop turn per message). The lanes apply backpressure (`await publish` waits only
 * while the lane is full), so their heap stays capacity-sized; peers have no bound and buffer
 * whatever the handlers have not reached yet.
 *
 * Count: 100 000 messages in the full run rather than 1 000 000. With a producer that does not wait,
 * rxjs's concatMap takes each buffered value with Array#shift, and mergeMap (which @nestjs/cqrs
 * uses) removes each finished inner subscription from an array of all the active ones, so their
 * time grows with the square of the count: at 250 000 each of them took about 20 s per round on
 * 2 cores, which alone would blow the three-minute budget. The peers' heap growth is linear in the
 * count, so it scales up directly (about 1.3 KB per pending message for event-emitter, 2.6 KB for
 * cqrs, 1.7 KB for mergeMap at 100 000).
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
