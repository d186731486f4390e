/**
 * The contestants of the throughput and flood scenarios, built for one scenario's handler work and
 * producer mode:
 *
 *   slow:  false -> the handler is `async (m) => sink.take(m)` (the cost of the machinery);
 *          true  -> the handler first yields one event-loop turn (`await new Promise(setImmediate)`),
 *                   so it is genuinely slower than the producer.
 *   flood: false -> the producer awaits what each publish returns (our `publish` resolves once the
 *                   message is enqueued; `emitAsync` once the listeners finished; `EventBus.publish`
 *                   and `Subject.next` return nothing, so awaiting them costs one microtask tick);
 *          true  -> peers publish fire-and-forget (nothing to wait for), while the lanes keep
 *                   `await publish(m)`, which only waits while the lane is full.
 *
 * Each contestant has its own producer loop and handler class, written out, so that no call site is
 * shared (and made polymorphic) between contestants. Every handler reports to the round's sink,
 * which checks count and checksums.
 */
import 'reflect-metadata';
import { CqrsModule, EventBus, EventsHandler } from '@nestjs/cqrs';
import { EventEmitter2, EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { UseGuards } from '@nestjs/common';
import { Subject, concatMap, mergeMap } from 'rxjs';
import { BusChannel, BusModule, Lane, MessageBusService, OnInbound, OnOutbound } from '../dist/index.js';
import { FloorQueue } from './floor-queue.js';
import { KeyedFloor } from './keyed-floor.js';
import { makeMessage, nextTurn } from './harness.js';
import { SINK, createApp, decorateMethod, provider, rootModule } from './nest.js';

export const CAPACITY = 64;

/** A guard that lets everything through: what the enhanced path costs, with nothing else to do. */
class AllowGuard {
  canActivate() {
    return true;
  }
}
provider(AllowGuard);

/**
 * This package: `BusModule.forRoot()` and an `@OnInbound()` handler in a Nest application context, with
 * the default dispatch (per-chat order, chats in parallel), or with `dispatch` options of its own.
 * `extras`: `guarded` puts the handler behind a guard; `busOptions` are merged into `forRoot`'s;
 * `observe(bus)` runs once the app started and returns what undoes it (an events$ subscriber, say).
 */
export function nestBus({ slow }, dispatch = undefined, name = 'nest-bus (ours)', extras = {}) {
  const { guarded = false, busOptions = {}, observe } = extras;
  class BusInboundHandler {
    constructor(sink) {
      this.sink = sink;
    }
    async handle(message) {
      if (slow) await nextTurn();
      this.sink.take(message);
    }
  }
  decorateMethod(BusInboundHandler, 'handle', OnInbound(dispatch), ...(guarded ? [UseGuards(AllowGuard)] : []));
  provider(BusInboundHandler, [SINK]);
  const BusBenchApp = rootModule('BusBenchApp');

  return {
    name,
    kind: 'ours',
    async setup(ctx) {
      const app = await createApp({
        module: BusBenchApp,
        imports: [BusModule.forRoot({ capacity: CAPACITY, ...busOptions })],
        providers: [BusInboundHandler, AllowGuard, { provide: SINK, useValue: ctx.sink }],
      });
      const bus = app.get(MessageBusService);
      return { app, bus, stopObserving: observe?.(bus) };
    },
    async run({ bus }, { messages, probe, sink }) {
      for (let i = 0; i < messages; i++) {
        await bus.publishInbound(makeMessage(i));
        if ((i & 1023) === 0) probe.sample();
      }
      await sink.done();
    },
    async teardown({ app, stopObserving }) {
      await app.close();
      stopObserving?.();
    },
  };
}

/**
 * Replies through the outbound lane to a chat channel: an `@OnOutbound` handler (`channelSend: false`), or a
 * `@BusChannel` whose `send` the bus calls itself (`true`: the channel delivery, with no split, pacing or
 * acknowledgement configured). What the channel machinery costs per message.
 */
export function nestBusOutbound({ slow }, channelSend, name) {
  class BenchChannel {
    constructor(sink) {
      this.sink = sink;
    }
    async send(message) {
      if (slow) await nextTurn();
      this.sink.take(message);
    }
  }
  if (channelSend) BusChannel('bench')(BenchChannel);
  else decorateMethod(BenchChannel, 'send', OnOutbound({ channel: 'bench' }));
  provider(BenchChannel, [SINK]);
  const OutboundBenchApp = rootModule('OutboundBenchApp');
  return {
    name,
    kind: 'ours',
    async setup(ctx) {
      const app = await createApp({
        module: OutboundBenchApp,
        imports: [BusModule.forRoot({ capacity: CAPACITY })],
        providers: [BenchChannel, { provide: SINK, useValue: ctx.sink }],
      });
      return { app, bus: app.get(MessageBusService) };
    },
    async run({ bus }, { messages, probe, sink }) {
      for (let i = 0; i < messages; i++) {
        const { chatId, content, seq } = makeMessage(i);
        await bus.publishOutbound({ channel: 'bench', chatId, content, seq });
        if ((i & 1023) === 0) probe.sample();
      }
      await sink.done();
    },
    teardown: ({ app }) => app.close(),
  };
}

/** This package's bare `Lane`, consumed with `for await`. */
export function bareLane({ slow }) {
  class LaneHandler {
    constructor(sink) {
      this.sink = sink;
    }
    async handle(message) {
      if (slow) await nextTurn();
      this.sink.take(message);
    }
  }

  return {
    name: 'Lane (ours, for await)',
    kind: 'ours',
    setup(ctx) {
      const lane = new Lane('inbound', CAPACITY);
      const handler = new LaneHandler(ctx.sink);
      const consumer = (async () => {
        for await (const message of lane) await handler.handle(message);
      })();
      return { lane, consumer };
    },
    async run({ lane }, { messages, probe, sink }) {
      for (let i = 0; i < messages; i++) {
        await lane.publish(makeMessage(i));
        if ((i & 1023) === 0) probe.sample();
      }
      await sink.done();
    },
    async teardown({ lane, consumer }) {
      lane.close();
      await consumer;
    },
  };
}

/** The floor: a minimal bounded ring buffer with promise hand-off (see floor-queue.js). */
export function floor({ slow }) {
  class FloorHandler {
    constructor(sink) {
      this.sink = sink;
    }
    async handle(message) {
      if (slow) await nextTurn();
      this.sink.take(message);
    }
  }

  return {
    name: 'floor (ring buffer)',
    kind: 'floor',
    setup(ctx) {
      const queue = new FloorQueue(CAPACITY);
      const handler = new FloorHandler(ctx.sink);
      const consumer = (async () => {
        for (;;) {
          const message = queue.tryReceive() ?? (await queue.receive());
          if (message === undefined) return;
          await handler.handle(message);
        }
      })();
      return { queue, consumer };
    },
    async run({ queue }, { messages, probe, sink }) {
      for (let i = 0; i < messages; i++) {
        await queue.publish(makeMessage(i));
        if ((i & 1023) === 0) probe.sample();
      }
      await sink.done();
    },
    async teardown({ queue, consumer }) {
      queue.close();
      await consumer;
    },
  };
}

/**
 * The keyed floor: per-chat order with chats in parallel (concurrency 8, as the bus's default), and
 * nothing else (see keyed-floor.js). What the default dispatch would cost with none of the bus's work.
 */
export function keyedFloor({ slow }) {
  class KeyedFloorHandler {
    constructor(sink) {
      this.sink = sink;
    }
    async handle(message) {
      if (slow) await nextTurn();
      this.sink.take(message);
    }
  }

  return {
    name: 'floor, keyed (per-chat order, concurrency 8)',
    kind: 'floor',
    setup(ctx) {
      const handler = new KeyedFloorHandler(ctx.sink);
      return { floor: new KeyedFloor((message) => handler.handle(message), 8) };
    },
    async run({ floor }, { messages, probe, sink }) {
      for (let i = 0; i < messages; i++) {
        await floor.publish(makeMessage(i));
        if ((i & 1023) === 0) probe.sample();
      }
      await sink.done();
    },
    teardown() {},
  };
}

/**
 * This package's bare `Lane`, consumed with the same loop as the floor (`tryReceive() ?? await receive()`):
 * the lane against the floor on equal terms, since `for await` costs a promise per item by itself.
 */
export function bareLaneLoop({ slow }) {
  class LaneLoopHandler {
    constructor(sink) {
      this.sink = sink;
    }
    async handle(message) {
      if (slow) await nextTurn();
      this.sink.take(message);
    }
  }

  return {
    name: 'Lane (ours, receive loop)',
    kind: 'ours',
    setup(ctx) {
      const lane = new Lane('inbound', CAPACITY);
      const handler = new LaneLoopHandler(ctx.sink);
      const consumer = (async () => {
        for (;;) {
          const message = lane.tryReceive() ?? (await lane.receive());
          if (message === undefined) return;
          await handler.handle(message);
        }
      })();
      return { lane, consumer };
    },
    async run({ lane }, { messages, probe, sink }) {
      for (let i = 0; i < messages; i++) {
        await lane.publish(makeMessage(i));
        if ((i & 1023) === 0) probe.sample();
      }
      await sink.done();
    },
    async teardown({ lane, consumer }) {
      lane.close();
      await consumer;
    },
  };
}

/** The floor consumed with `for await`, through the least iterator that does it: the ceiling for a `for await` consumer. */
export function floorForAwait({ slow }) {
  class FloorIterHandler {
    constructor(sink) {
      this.sink = sink;
    }
    async handle(message) {
      if (slow) await nextTurn();
      this.sink.take(message);
    }
  }

  return {
    name: 'floor (ring buffer, for await)',
    kind: 'floor',
    setup(ctx) {
      const queue = new FloorQueue(CAPACITY);
      const handler = new FloorIterHandler(ctx.sink);
      const consumer = (async () => {
        for await (const message of queue) await handler.handle(message);
      })();
      return { queue, consumer };
    },
    async run({ queue }, { messages, probe, sink }) {
      for (let i = 0; i < messages; i++) {
        await queue.publish(makeMessage(i));
        if ((i & 1023) === 0) probe.sample();
      }
      await sink.done();
    },
    async teardown({ queue, consumer }) {
      queue.close();
      await consumer;
    },
  };
}

/** `@nestjs/event-emitter`: an `@OnEvent` async listener in a Nest application context. */
export function eventEmitter({ slow, flood }) {
  class EmitterListener {
    constructor(sink) {
      this.sink = sink;
    }
    async onInbound(message) {
      if (slow) await nextTurn();
      this.sink.take(message);
    }
  }
  decorateMethod(EmitterListener, 'onInbound', OnEvent('inbound'));
  provider(EmitterListener, [SINK]);
  const EmitterBenchApp = rootModule('EmitterBenchApp');

  return {
    name: flood ? '@nestjs/event-emitter emit' : '@nestjs/event-emitter emitAsync',
    kind: 'peer',
    async setup(ctx) {
      const app = await createApp({
        module: EmitterBenchApp,
        imports: [EventEmitterModule.forRoot()],
        providers: [EmitterListener, { provide: SINK, useValue: ctx.sink }],
      });
      return { app, emitter: app.get(EventEmitter2) };
    },
    run: flood
      ? async ({ emitter }, { messages, probe, sink }) => {
          for (let i = 0; i < messages; i++) {
            emitter.emit('inbound', makeMessage(i));
            if ((i & 1023) === 0) probe.sample();
          }
          await sink.done();
        }
      : async ({ emitter }, { messages, probe, sink }) => {
          for (let i = 0; i < messages; i++) {
            await emitter.emitAsync('inbound', makeMessage(i));
            if ((i & 1023) === 0) probe.sample();
          }
          await sink.done();
        },
    teardown: ({ app }) => app.close(),
  };
}

/** `@nestjs/cqrs`: `EventBus.publish` to an `@EventsHandler` in a Nest application context. */
export function cqrs({ slow, flood }) {
  class InboundEvent {
    constructor(message) {
      this.message = message;
    }
  }
  class InboundEventHandler {
    constructor(sink) {
      this.sink = sink;
    }
    async handle(event) {
      if (slow) await nextTurn();
      this.sink.take(event.message);
    }
  }
  EventsHandler(InboundEvent)(InboundEventHandler);
  provider(InboundEventHandler, [SINK]);
  const CqrsBenchApp = rootModule('CqrsBenchApp');

  return {
    name: '@nestjs/cqrs EventBus',
    kind: 'peer',
    async setup(ctx) {
      const app = await createApp({
        module: CqrsBenchApp,
        imports: [CqrsModule.forRoot()],
        providers: [InboundEventHandler, { provide: SINK, useValue: ctx.sink }],
      });
      return { app, eventBus: app.get(EventBus) };
    },
    run: flood
      ? async ({ eventBus }, { messages, probe, sink }) => {
          for (let i = 0; i < messages; i++) {
            eventBus.publish(new InboundEvent(makeMessage(i)));
            if ((i & 1023) === 0) probe.sample();
          }
          await sink.done();
        }
      : async ({ eventBus }, { messages, probe, sink }) => {
          for (let i = 0; i < messages; i++) {
            await eventBus.publish(new InboundEvent(makeMessage(i)));
            if ((i & 1023) === 0) probe.sample();
          }
          await sink.done();
        },
    teardown: ({ app }) => app.close(),
  };
}

/** rxjs `Subject` piped through `concatMap` (one at a time) or `mergeMap` (all at once) into the handler. */
export function rxjsSubject({ slow, flood }, operator) {
  class RxHandler {
    constructor(sink) {
      this.sink = sink;
    }
    async handle(message) {
      if (slow) await nextTurn();
      this.sink.take(message);
    }
  }
  const map = operator === 'concatMap' ? concatMap : mergeMap;

  return {
    name: `rxjs Subject+${operator}`,
    kind: 'peer',
    setup(ctx) {
      const subject = new Subject();
      const handler = new RxHandler(ctx.sink);
      const failures = [];
      const subscription = subject.pipe(map((message) => handler.handle(message))).subscribe({ error: (e) => failures.push(e) });
      return { subject, subscription, failures };
    },
    run: flood
      ? async ({ subject }, { messages, probe, sink }) => {
          for (let i = 0; i < messages; i++) {
            subject.next(makeMessage(i));
            if ((i & 1023) === 0) probe.sample();
          }
          await sink.done();
        }
      : async ({ subject }, { messages, probe, sink }) => {
          for (let i = 0; i < messages; i++) {
            await subject.next(makeMessage(i)); // returns undefined: one microtask tick
            if ((i & 1023) === 0) probe.sample();
          }
          await sink.done();
        },
    teardown({ subject, subscription, failures }) {
      subject.complete();
      subscription.unsubscribe();
      if (failures.length > 0) throw failures[0];
    },
  };
}

/** Every contestant of the throughput and flood scenarios, ours first. */
export function allContestants(options) {
  return [
    nestBus(options),
    nestBus(options, { concurrency: 1, orderBy: 'none' }, 'nest-bus (ours, one at a time)'),
    bareLane(options),
    bareLaneLoop(options),
    floor(options),
    floorForAwait(options),
    eventEmitter(options),
    cqrs(options),
    rxjsSubject(options, 'concatMap'),
    rxjsSubject(options, 'mergeMap'),
  ];
}
