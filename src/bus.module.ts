import { Module, Scope } from '@nestjs/common';
import type { DynamicModule, Provider } from '@nestjs/common';
import { DiscoveryModule, REQUEST } from '@nestjs/core';
import { BUS_MESSAGE, LANE_NAMES, LANE_TOKENS } from './bus.constants.js';
import { ConfigurableBusModule } from './bus.module-definition.js';
import type { BusModuleAsyncOptions, BusModuleExtras } from './bus.module-definition.js';
import type { BusModuleOptions } from './service/bus-module-options.interface.js';
import { MessageBusService } from './service/message-bus.service.js';
import { HandlerInvokerFactory } from './context/handler-invoker.factory.js';
import { HandlerExplorer } from './decorators/handler.explorer.js';

/** The message of the handler call, for request-scoped providers (it is the call's "request"). */
const messageProvider: Provider = { provide: BUS_MESSAGE, scope: Scope.REQUEST, useFactory: (message: unknown) => message, inject: [REQUEST] };

const laneProviders: Provider[] = LANE_NAMES.map((name) => ({
  provide: LANE_TOKENS[name],
  useFactory: (bus: MessageBusService) => bus[name],
  inject: [MessageBusService],
}));

/**
 * The message bus for chat-agent backends. Import it once, in the root module:
 * `BusModule.forRoot({ capacity: 64 })` or `BusModule.forRootAsync({ useFactory, inject })`.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [MessageBusService, HandlerExplorer, HandlerInvokerFactory, messageProvider, ...laneProviders],
  exports: [MessageBusService, BUS_MESSAGE, ...LANE_NAMES.map((name) => LANE_TOKENS[name])],
})
export class BusModule extends ConfigurableBusModule {
  static override forRoot(options: BusModuleOptions & BusModuleExtras = {}): DynamicModule {
    return super.forRoot(options);
  }

  static override forRootAsync(options: BusModuleAsyncOptions): DynamicModule {
    return super.forRootAsync(options);
  }
}
