import { Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { LANE_NAMES } from '../bus.constants.js';
import { MessageBusService } from '../bus/message-bus.service.js';
import type { LaneHandlers } from '../bus/message-bus.service.js';
import { getBusHandlerMetadata } from './bus-handler.metadata.js';

/**
 * Finds the `@OnInbound` / `@OnOutbound` / `@OnOutboundMedia` methods of providers and controllers at
 * bootstrap, once every provider is initialised, and starts the bus consuming the lanes that have some.
 */
@Injectable()
export class HandlerExplorer implements OnApplicationBootstrap {
  private readonly logger = new Logger('MessageBus');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly bus: MessageBusService,
  ) {}

  onApplicationBootstrap(): void {
    this.bus.startDispatch(this.explore());
  }

  explore(): LaneHandlers {
    const handlers: LaneHandlers = { inbound: [], outbound: [], outboundMedia: [] };
    const seen = new Set<object>();
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const { instance } = wrapper;
      // An alias (`useExisting`) points at an instance listed under its own wrapper too.
      if (wrapper.isAlias || !instance || typeof instance !== 'object' || seen.has(instance)) continue;
      seen.add(instance);
      this.collect(wrapper, instance as Record<string, unknown>, handlers);
    }
    return handlers;
  }

  private collect(wrapper: InstanceWrapper, instance: Record<string, unknown>, handlers: LaneHandlers): void {
    for (const methodName of this.scanner.getAllMethodNames(Object.getPrototypeOf(instance))) {
      const method = instance[methodName];
      const metadata = getBusHandlerMetadata(method);
      if (metadata === undefined) continue;
      const name = `${instance.constructor.name}.${methodName}`;
      if (!wrapper.isDependencyTreeStatic()) {
        this.logger.warn(`${name} is a bus handler on a request-scoped provider; bus messages have no request, so it is skipped`);
        continue;
      }
      const invoke = (method as (message: unknown) => unknown).bind(instance);
      for (const lane of LANE_NAMES) {
        if (lane in metadata) handlers[lane].push({ name, channels: metadata[lane], invoke });
      }
    }
  }
}
