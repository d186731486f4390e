import type { ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';
import { BusModule } from '../bus.module.js';
import type { BusModuleOptions } from '../service/bus-module-options.interface.js';

/** What {@link createBusTestingApp} builds: the module's metadata and the bus options. */
export interface BusTestingAppOptions extends ModuleMetadata {
  /** Options of `BusModule.forRoot()`. @default `{ drainTimeoutMs: 1000 }`, so a stuck test fails fast */
  bus?: BusModuleOptions;
}

/**
 * A testing module with the bus, compiled and initialised: its handlers are running when it resolves.
 * (A module only compiled has not started them: `bus.idle()` says so with a `BusNotStartedError`.)
 * Close it with `app.close()`, which drains the bus.
 */
export async function createBusTestingApp({ bus, imports = [], ...metadata }: BusTestingAppOptions): Promise<TestingModule> {
  const app = await Test.createTestingModule({ ...metadata, imports: [BusModule.forRoot({ drainTimeoutMs: 1000, ...bus }), ...imports] }).compile();
  await app.init();
  return app;
}
