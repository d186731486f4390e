/**
 * Shutdown: N inbound messages are buffered when the application closes. Each handler does some
 * asynchronous work (one event-loop turn) and then publishes a reply, which an outbound handler
 * counts. Measures the share of replies delivered by the time `app.close()` resolves, and how long
 * the close took.
 *
 * - Ours: the messages are enqueued with `tryPublish` during `onModuleInit`, before the bus starts
 *   dispatching at bootstrap (capacity N, so all of them fit); `app.close()` runs the staged drain.
 * - Peers have no buffer to drain: N events are emitted fire-and-forget, then the app closes at once;
 *   whatever the handlers have not replied by then is the measured outcome, not a bench failure.
 * - The Go original (picoclaw) discards what is buffered at close: printed as a reference row
 *   (0% delivered), not measured.
 */
import 'reflect-metadata';
import { CqrsModule, EventBus, EventsHandler } from '@nestjs/cqrs';
import { EventEmitter2, EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { BusModule, MessageBusService, OnInbound, OnOutbound } from '../../dist/index.js';
import { makeMessage, nextTurn } from '../harness.js';
import { SINK, createApp, decorateMethod, provider, rootModule } from '../nest.js';

const MESSAGES = Symbol('messages to preload');

function replyTo(message) {
  return { channel: message.channel, chatId: message.chatId, content: message.content, seq: message.seq };
}

function nestBusContestant() {
  class Preloader {
    constructor(bus, messages) {
      this.bus = bus;
      this.messages = messages;
    }
    onModuleInit() {
      for (let i = 0; i < this.messages; i++) {
        if (!this.bus.inbound.tryPublish(makeMessage(i))) throw new Error(`inbound lane full at message ${i}`);
      }
    }
  }
  provider(Preloader, [MessageBusService, MESSAGES]);

  class AgentHandler {
    constructor(bus) {
      this.bus = bus;
    }
    async handle(message) {
      await nextTurn();
      await this.bus.publishOutbound(replyTo(message));
    }
  }
  decorateMethod(AgentHandler, 'handle', OnInbound());
  provider(AgentHandler, [MessageBusService]);

  class ReplyCounter {
    constructor(sink) {
      this.sink = sink;
    }
    async handle(reply) {
      this.sink.take(reply);
    }
  }
  decorateMethod(ReplyCounter, 'handle', OnOutbound());
  provider(ReplyCounter, [SINK]);
  const ShutdownBusApp = rootModule('ShutdownBusApp');

  return {
    name: 'nest-bus (ours)',
    kind: 'ours',
    async setup(ctx) {
      const app = await createApp({
        module: ShutdownBusApp,
        imports: [BusModule.forRoot({ capacity: ctx.messages })],
        providers: [
          Preloader,
          AgentHandler,
          ReplyCounter,
          { provide: SINK, useValue: ctx.sink },
          { provide: MESSAGES, useValue: ctx.messages },
        ],
      });
      return { app, bus: app.get(MessageBusService) };
    },
    async run({ app, bus }, { sink }) {
      const buffered = bus.inbound.size;
      const startedAt = performance.now();
      await app.close();
      const ms = performance.now() - startedAt;
      sink.seal();
      const report = await bus.close(); // the report of the close app.close() ran
      return {
        ms,
        note:
          `${buffered} inbound buffered at close; CloseReport: ${report.delivered} delivered, ` +
          `${report.undelivered} undelivered, timedOut ${report.timedOut}`,
      };
    },
    teardown() {},
  };
}

function eventEmitterContestant() {
  class AgentListener {
    constructor(emitter) {
      this.emitter = emitter;
    }
    async onInbound(message) {
      await nextTurn();
      this.emitter.emit('reply', replyTo(message));
    }
  }
  decorateMethod(AgentListener, 'onInbound', OnEvent('inbound'));
  provider(AgentListener, [EventEmitter2]);

  class ReplyListener {
    constructor(sink) {
      this.sink = sink;
    }
    async onReply(reply) {
      this.sink.take(reply);
    }
  }
  decorateMethod(ReplyListener, 'onReply', OnEvent('reply'));
  provider(ReplyListener, [SINK]);
  const ShutdownEmitterApp = rootModule('ShutdownEmitterApp');

  return {
    name: '@nestjs/event-emitter emit',
    kind: 'peer',
    async setup(ctx) {
      const app = await createApp({
        module: ShutdownEmitterApp,
        imports: [EventEmitterModule.forRoot()],
        providers: [AgentListener, ReplyListener, { provide: SINK, useValue: ctx.sink }],
      });
      return { app, emitter: app.get(EventEmitter2) };
    },
    async run({ app, emitter }, { messages, sink }) {
      for (let i = 0; i < messages; i++) emitter.emit('inbound', makeMessage(i));
      const startedAt = performance.now();
      await app.close();
      const ms = performance.now() - startedAt;
      sink.seal();
      return { ms, expectAll: false, note: 'no buffer to drain: events emitted fire-and-forget, then app.close()' };
    },
    teardown() {},
  };
}

function cqrsContestant() {
  class InboundEvent {
    constructor(message) {
      this.message = message;
    }
  }
  class ReplyEvent {
    constructor(reply) {
      this.reply = reply;
    }
  }
  class AgentEventHandler {
    constructor(eventBus) {
      this.eventBus = eventBus;
    }
    async handle(event) {
      await nextTurn();
      this.eventBus.publish(new ReplyEvent(replyTo(event.message)));
    }
  }
  EventsHandler(InboundEvent)(AgentEventHandler);
  provider(AgentEventHandler, [EventBus]);

  class ReplyEventHandler {
    constructor(sink) {
      this.sink = sink;
    }
    async handle(event) {
      this.sink.take(event.reply);
    }
  }
  EventsHandler(ReplyEvent)(ReplyEventHandler);
  provider(ReplyEventHandler, [SINK]);
  const ShutdownCqrsApp = rootModule('ShutdownCqrsApp');

  return {
    name: '@nestjs/cqrs EventBus',
    kind: 'peer',
    async setup(ctx) {
      const app = await createApp({
        module: ShutdownCqrsApp,
        imports: [CqrsModule.forRoot()],
        providers: [AgentEventHandler, ReplyEventHandler, { provide: SINK, useValue: ctx.sink }],
      });
      return { app, eventBus: app.get(EventBus) };
    },
    async run({ app, eventBus }, { messages, sink }) {
      for (let i = 0; i < messages; i++) eventBus.publish(new InboundEvent(makeMessage(i)));
      const startedAt = performance.now();
      await app.close();
      const ms = performance.now() - startedAt;
      sink.seal();
      return { ms, expectAll: false, note: 'no buffer to drain: events published fire-and-forget, then app.close()' };
    },
    teardown() {},
  };
}

export default {
  name: 'shutdown',
  title: 'graceful close with N buffered inbound messages',
  description:
    'N inbound messages are pending when the app closes; each handler does one event-loop turn of work, ' +
    'then publishes a reply that an outbound handler counts. "delivered" = replies counted by the time ' +
    'app.close() resolved; time = duration of app.close(); msgs/s = replies per second of close.',
  reference: 'nest-bus (ours)',
  messages: { full: 10_000, quick: 2_000 },
  rounds: { full: 5, quick: 1 },
  contestants: [nestBusContestant(), eventEmitterContestant(), cqrsContestant()],
  referenceRows: [
    {
      name: 'Go original (picoclaw)',
      deliveredShare: 0,
      note: 'discards what is buffered at close; reference, not measured',
    },
  ],
};
