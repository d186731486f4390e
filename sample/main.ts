import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
// In production SIGTERM does what app.close() does below: the bus drains before the process exits.
app.enableShutdownHooks();
await app.init();
// The messages are still being answered: stop now, as a deploy would, and watch the drain deliver them.
console.log('\n-- shutting down while the agent is still answering --\n');
await app.close();
