// SIGTERM on an app with enableShutdownHooks(): the bus drains before the process exits.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BusModule, MessageBusService, OnInbound, OnOutbound } from 'nestjs-agent-bus';

const MESSAGES = 300;

class Agent {
  constructor(bus) {
    this.bus = bus;
  }
  async handle(message) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    await this.bus.publishOutbound({ channel: 'web', chatId: message.chatId, content: `re:${message.content}` });
  }
}
Reflect.decorate([OnInbound()], Agent.prototype, 'handle', Object.getOwnPropertyDescriptor(Agent.prototype, 'handle'));
Reflect.defineMetadata('design:paramtypes', [MessageBusService], Agent);
Injectable()(Agent);

class Channel {
  constructor() {
    this.sent = 0;
  }
  send() {
    this.sent++;
  }
  // Printed last, once the drain is over: the parent reads it after the process died of SIGTERM.
  onApplicationShutdown(signal) {
    process.stdout.write(`${JSON.stringify({ signal, sent: this.sent })}\n`);
  }
}
Reflect.decorate([OnOutbound()], Channel.prototype, 'send', Object.getOwnPropertyDescriptor(Channel.prototype, 'send'));
Injectable()(Channel);

class AppModule {}
// One chat holds every message: its per-key limit must let all of them in, as the lane's capacity does.
Module({ imports: [BusModule.forRoot({ capacity: MESSAGES, maxPendingPerKey: MESSAGES })], providers: [Agent, Channel] })(AppModule);

const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
app.enableShutdownHooks();
const bus = app.get(MessageBusService);
for (let i = 0; i < MESSAGES; i++) {
  if (!bus.inbound.tryPublish({ channel: 'web', senderId: 'u', chatId: 'c', content: `m${i}` })) throw new Error(`m${i} refused`);
}
await app.init();
process.kill(process.pid, 'SIGTERM');
