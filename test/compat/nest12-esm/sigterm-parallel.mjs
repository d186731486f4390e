// SIGTERM half-way through 20 agent turns of 500 ms in 20 chats, handled in parallel: every answer goes out.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BusModule, MessageBusService, OnInbound, OnOutbound } from 'nestjs-agent-bus';

const CHATS = 20;
const TURN_MS = 500;

class Agent {
  constructor(bus) {
    this.bus = bus;
  }
  async handle(message) {
    await new Promise((resolve) => setTimeout(resolve, TURN_MS)); // the LLM call
    await this.bus.publishOutbound({ channel: 'web', chatId: message.chatId, content: `re:${message.content}` });
  }
}
Reflect.decorate([OnInbound({ concurrency: CHATS })], Agent.prototype, 'handle', Object.getOwnPropertyDescriptor(Agent.prototype, 'handle'));
Reflect.defineMetadata('design:paramtypes', [MessageBusService], Agent);
Injectable()(Agent);

const startedAt = Date.now();
class Channel {
  constructor() {
    this.sent = new Set();
  }
  send(message) {
    this.sent.add(message.chatId);
  }
  onApplicationShutdown(signal) {
    process.stdout.write(`${JSON.stringify({ signal, sent: this.sent.size, elapsedMs: Date.now() - startedAt })}\n`);
  }
}
Reflect.decorate([OnOutbound()], Channel.prototype, 'send', Object.getOwnPropertyDescriptor(Channel.prototype, 'send'));
Injectable()(Channel);

class AppModule {}
Module({ imports: [BusModule.forRoot()], providers: [Agent, Channel] })(AppModule);

const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
app.enableShutdownHooks();
const bus = app.get(MessageBusService);
for (let i = 0; i < CHATS; i++) await bus.publishInbound({ channel: 'web', senderId: 'u', chatId: `chat-${i}`, content: `question ${i}` });
setTimeout(() => process.kill(process.pid, 'SIGTERM'), TURN_MS / 2);
