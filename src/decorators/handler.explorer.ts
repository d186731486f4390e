import { Injectable, Logger } from '@nestjs/common';
import type { InjectionToken, OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { LANE_NAMES } from '../bus.constants.js';
import { MessageBusService } from '../service/message-bus.service.js';
import type { LaneHandlers } from '../service/message-bus.service.js';
import { HandlerInvokerFactory } from '../context/handler-invoker.factory.js';
import type { FoundChannel } from '../channels/channel-hub.js';
import { getBusChannelName, getBusChannelOptions } from './bus-channel.decorator.js';
import { getBusHandlerMetadata } from './bus-handler.metadata.js';
import type { BusHandlerMetadata } from './bus-handler.metadata.js';

/** What the explorer finds: the handlers of each lane and the `@BusChannel` providers by name. */
export interface ExploredBus {
  handlers: LaneHandlers;
  channels: Map<string, FoundChannel>;
}

/**
 * Finds the `@OnInbound` / `@OnOutbound` / `@OnOutboundMedia` methods and the `@BusChannel` classes among
 * providers and controllers at bootstrap, once every provider is initialised, and starts the bus
 * consuming the lanes that have handlers.
 */
@Injectable()
export class HandlerExplorer implements OnApplicationBootstrap {
  private readonly logger = new Logger('MessageBus');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly bus: MessageBusService,
    private readonly invokers: HandlerInvokerFactory,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { handlers, channels } = this.explore();
    this.bus.registerChannels(channels);
    await this.bus.startDispatch(handlers);
  }

  explore(): ExploredBus {
    const found: ExploredBus = { handlers: { inbound: [], outbound: [], outboundMedia: [] }, channels: new Map() };
    const seen = new Set<object>();
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const { instance } = wrapper;
      // An alias (`useExisting`) points at an instance listed under its own wrapper too.
      if (wrapper.isAlias || !instance || typeof instance !== 'object' || seen.has(instance)) continue;
      seen.add(instance);
      if (!wrapper.isDependencyTreeStatic()) {
        this.warnIfScopedChannel(instance);
        this.collectHandlers(instance as Record<string, unknown>, found.handlers, wrapper.token);
        continue;
      }
      this.collectChannel(instance, found.channels);
      this.collectHandlers(instance as Record<string, unknown>, found.handlers);
    }
    return found;
  }

  private collectChannel(instance: object, channels: Map<string, FoundChannel>): void {
    const name = getBusChannelName(instance.constructor);
    if (name === undefined) return;
    const existing = channels.get(name);
    if (existing !== undefined) {
      throw new Error(`@BusChannel('${name}') is on both ${existing.instance.constructor.name} and ${instance.constructor.name}; channel names must be unique`);
    }
    const methods = instance as Record<string, unknown>;
    const decorated = {
      send: getBusHandlerMetadata(methods.send)?.outbound !== undefined,
      sendMedia: getBusHandlerMetadata(methods.sendMedia)?.outboundMedia !== undefined,
    };
    channels.set(name, { instance, options: getBusChannelOptions(instance.constructor), decorated });
  }

  /** A channel streams and sends for the whole app: one per message would not do. */
  private warnIfScopedChannel(instance: object): void {
    if (getBusChannelName(instance.constructor) === undefined) return;
    this.logger.warn(`@BusChannel ${instance.constructor.name} is request-scoped; a channel serves the whole app, so it is skipped`);
  }

  /** The decorated methods of an instance, each with what its decorators recorded. */
  private handlerMethods(instance: Record<string, unknown>): [string, BusHandlerMetadata][] {
    const found: [string, BusHandlerMetadata][] = [];
    for (const methodName of this.scanner.getAllMethodNames(Object.getPrototypeOf(instance))) {
      const metadata = getBusHandlerMetadata(instance[methodName]);
      if (metadata !== undefined) found.push([methodName, metadata]);
    }
    return found;
  }

  /** `token` is given for a request-scoped (or durable) provider: each message gets its own instance. */
  private collectHandlers(instance: Record<string, unknown>, handlers: LaneHandlers, token?: InjectionToken): void {
    for (const [methodName, metadata] of this.handlerMethods(instance)) {
      const name = `${instance.constructor.name}.${methodName}`;
      const invoke = token === undefined ? this.invokers.create(instance, methodName, name) : this.invokers.createScoped(instance, token, methodName, name);
      for (const lane of LANE_NAMES) {
        const found = metadata[lane];
        if (found !== undefined) handlers[lane].push({ name, channels: found.channels, dispatch: found.dispatch, invoke });
      }
    }
  }
}
