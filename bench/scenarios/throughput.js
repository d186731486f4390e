/**
 * Throughput: the producer awaits each publish; one async handler takes each message. Measures the
 * cost of the machinery between an awaited publish and a handler that does almost nothing (adds the
 * content length and sequence number to counters).
 */
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { BusOpenTelemetry } from '../../dist/opentelemetry/index.js';
import { CAPACITY, allContestants, keyedFloor, nestBus, nestBusOutbound } from '../contestants.js';

/** A tracer provider that records and samples every span and exports none: the cost of tracing itself. */
const tracerProvider = new BasicTracerProvider();

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
    // What per-chat order costs with nothing else around it: the floor of the default dispatch.
    keyedFloor({ slow: false }),
    // The same handler behind a guard: what running through Nest's enhancer pipeline costs per message.
    nestBus({ slow: false }, undefined, 'nest-bus (ours, with a guard)', { guarded: true }),
    // What observing costs: a subscriber to events$ (every event built and delivered), and OpenTelemetry
    // (a producer and a consumer span per message, and the async context carried from publish to handler).
    nestBus({ slow: false }, undefined, 'nest-bus (ours, events$ observed)', { observe: (bus) => subscribeCounting(bus) }),
    nestBus({ slow: false }, undefined, 'nest-bus (ours, OpenTelemetry)', { busOptions: { telemetry: new BusOpenTelemetry({ tracerProvider }) } }),
    // Replies to a chat: a plain @OnOutbound handler, and a @BusChannel whose send the bus calls (channel delivery).
    nestBusOutbound({ slow: false }, false, 'nest-bus outbound (ours, @OnOutbound)'),
    nestBusOutbound({ slow: false }, true, 'nest-bus outbound (ours, @BusChannel send)'),
  ],
};

function subscribeCounting(bus) {
  let events = 0;
  const subscription = bus.events$.subscribe(() => events++);
  return () => subscription.unsubscribe();
}
