// The scenario both compatibility apps run: an echo agent behind the bus, 200 messages buffered at
// shutdown, and a report of what arrived. Plain JavaScript, so decorators are applied by hand.
const MESSAGES = 200;

async function runCompatScenario({ nestVersion, Injectable, Module, NestFactory, BusModule, MessageBusService, OnInbound, OnOutbound }) {
  class EchoAgent {
    constructor(bus) {
      this.bus = bus;
    }
    async handle(message) {
      await new Promise((resolve) => setImmediate(resolve));
      await this.bus.publishOutbound({ channel: message.channel, chatId: message.chatId, content: `re:${message.content}` });
    }
  }
  Reflect.decorate([OnInbound()], EchoAgent.prototype, 'handle', Object.getOwnPropertyDescriptor(EchoAgent.prototype, 'handle'));
  Reflect.defineMetadata('design:paramtypes', [MessageBusService], EchoAgent);
  Injectable()(EchoAgent);

  // Disconnects in onApplicationShutdown, as channels do: every reply must be sent before that.
  class ConsoleChannel {
    constructor() {
      this.sent = [];
      this.connected = true;
    }
    async send(message) {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.connected) this.sent.push(message.content);
    }
    onApplicationShutdown() {
      this.connected = false;
    }
  }
  Reflect.decorate([OnOutbound({ channel: 'console' })], ConsoleChannel.prototype, 'send', Object.getOwnPropertyDescriptor(ConsoleChannel.prototype, 'send'));
  Injectable()(ConsoleChannel);

  class AppModule {}
  // One chat holds every message: its per-key limit must let all of them in, as the lane's capacity does.
  const room = { capacity: { inbound: MESSAGES }, maxPendingPerKey: { inbound: MESSAGES } };
  Module({ imports: [BusModule.forRoot(room)], providers: [EchoAgent, ConsoleChannel] })(AppModule);

  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  const bus = app.get(MessageBusService);
  // Queued at once, so every message is still waiting when the app closes.
  for (let i = 0; i < MESSAGES; i++) {
    if (!bus.inbound.tryPublish({ channel: 'console', senderId: 'u', chatId: 'c', content: `m${i}` })) throw new Error(`m${i} refused`);
  }
  await app.init();
  await app.close();
  const report = await bus.close();
  const sent = app.get(ConsoleChannel).sent;
  const inOrder = sent.every((content, i) => content === `re:m${i}`);
  console.log(JSON.stringify({ nest: nestVersion, replies: sent.length, inOrder, report }));
}

module.exports = { runCompatScenario, MESSAGES };
