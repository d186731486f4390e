import { ConfigurableModuleBuilder } from '@nestjs/common';
import { BUS_MODULE_OPTIONS } from './bus.constants.js';
import type { BusModuleOptions } from './service/bus-module-options.interface.js';

/** Module-level settings that are not bus options. */
export interface BusModuleExtras {
  /**
   * Register the bus globally, so every module can inject it without importing `BusModule`.
   * @default true
   */
  global?: boolean;
}

export const { ConfigurableModuleClass: ConfigurableBusModule, ASYNC_OPTIONS_TYPE, OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<BusModuleOptions>({ moduleName: 'Bus', optionsInjectionToken: BUS_MODULE_OPTIONS })
    .setClassMethodName('forRoot')
    .setExtras<BusModuleExtras>({ global: true }, (definition, extras) => ({ ...definition, global: extras.global }))
    .build();

/** What `BusModule.forRootAsync()` takes: `imports`, `inject`, and `useFactory`, `useClass` or `useExisting`. */
export type BusModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;
