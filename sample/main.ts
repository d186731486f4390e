import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { LANGUAGE_MODEL } from './agent/language-model.js';
import type { LanguageModel } from './agent/language-model.js';
import { AppModule } from './app.module.js';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 3000);

const app = await NestFactory.create<NestExpressApplication>(AppModule, { bodyParser: false, logger: ['error', 'warn', 'log'] });
app.useBodyParser('json', { limit: '16kb' }); // larger posts are refused with 413
app.useStaticAssets(fileURLToPath(new URL('../public', import.meta.url)));
// Ctrl-C / SIGTERM: the bus drains (every accepted message is answered), then the chats get `bye`.
app.enableShutdownHooks();
await app.listen(port, host);

const { port: actualPort } = app.getHttpServer().address() as AddressInfo;
const model = app.get<LanguageModel>(LANGUAGE_MODEL);
console.log(`Web chat listening on http://${host}:${actualPort} (model: ${model.name}). Ctrl-C to stop.`);
