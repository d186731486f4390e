/**
 * The flood at the full 1 000 000 messages, for the contestants whose time grows linearly with the
 * count: ours, the floor, and @nestjs/event-emitter. (rxjs and @nestjs/cqrs take time quadratic in the
 * number of pending messages; see flood.js.) Shows that the lanes' heap stays capacity-sized however
 * many messages flow, while an unbounded emitter holds every pending one.
 */
import { CAPACITY, allContestants } from '../contestants.js';

const LINEAR = new Set(['nest-bus (ours)', 'Lane (ours, receive loop)', 'floor (ring buffer)', '@nestjs/event-emitter emit']);

export default {
  name: 'flood-1m',
  title: 'the flood at 1M messages, linear-time contestants',
  description:
    `As \`flood\`, with N = 1M: the producer does not wait for handlers (lanes: \`await publish\`, capacity ` +
    `${CAPACITY}); each handler yields one event-loop turn per message.`,
  reference: 'nest-bus (ours)',
  messages: { full: 1_000_000, quick: 5_000 },
  rounds: { full: 2, quick: 1 },
  contestants: allContestants({ slow: true, flood: true }).filter((c) => LINEAR.has(c.name)),
};
