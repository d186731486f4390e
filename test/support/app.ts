import { afterEach } from '@jest/globals';
import type { Provider, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';
import { MessageBusService } from '../../src/index.js';
import { RecordingLogger } from './recording.logger.js';

const apps: TestingModule[] = [];

/** Compiles and initialises a real Nest app with a recording logger; closed after each test. */
export async function startApp(imports: unknown[], providers: Provider[] = [], controllers: Type[] = []) {
  const logger = new RecordingLogger();
  const app = await Test.createTestingModule({ imports: imports as Type[], providers, controllers })
    .setLogger(logger)
    .compile();
  apps.push(app);
  await app.init();
  return { app, logger, bus: app.get(MessageBusService) };
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});
