import { Injectable } from '@nestjs/common';
import { EXCEPTION_FILTERS_METADATA, GUARDS_METADATA, INTERCEPTORS_METADATA, PIPES_METADATA } from '@nestjs/common/constants.js';
import type { InjectionToken } from '@nestjs/common';
import { ContextIdFactory, ExternalContextCreator, ModuleRef } from '@nestjs/core';
import type { ContextId } from '@nestjs/core';
import { BUS_CONTEXT_TYPE, BUS_PARAM_ARGS_METADATA, BusParamType } from '../bus.constants.js';
import { BusParamsFactory } from './bus-params.factory.js';
import { HandlerRejectedError } from './handler-rejected.error.js';

/** How the bus calls a handler: `(message, ctx)`. */
export type HandlerInvoker = (message: unknown, context: unknown) => unknown;

type Method = (...args: unknown[]) => unknown;

/** Where the metadata of a handler's parameters goes for Nest: the user's, or `(message, ctx)` by default. */
const INVOKE_ARGS_METADATA = 'nestjs-agent-bus:invoke-args';
const ENHANCER_KEYS = [GUARDS_METADATA, INTERCEPTORS_METADATA, EXCEPTION_FILTERS_METADATA, PIPES_METADATA];

/** What Nest's app config tells about global enhancers (`app.useGlobalGuards()`, `APP_GUARD`, ...). */
interface GlobalEnhancers {
  getGlobalGuards(): unknown[];
  getGlobalInterceptors(): unknown[];
  getGlobalFilters(): unknown[];
  getGlobalPipes(): unknown[];
  getGlobalRequestGuards(): unknown[];
  getGlobalRequestInterceptors(): unknown[];
  getGlobalRequestFilters(): unknown[];
  getGlobalRequestPipes(): unknown[];
}

/**
 * Makes the function the bus calls for a handler method. A method with no guard, interceptor, pipe or
 * exception filter at any level (method, class, global) and no bus parameter decorator is called directly:
 * nothing of Nest's stands between the bus and it, so it costs nothing. Any of them, and the call runs
 * through Nest's `ExternalContextCreator` with the context type `'bus'`, as microservice handlers do.
 */
@Injectable()
export class HandlerInvokerFactory {
  private readonly paramsFactory = new BusParamsFactory();

  constructor(
    private readonly externalContextCreator: ExternalContextCreator,
    private readonly moduleRef: ModuleRef,
  ) {}

  create(instance: object, methodName: string, name: string): HandlerInvoker {
    const method = (instance as Record<string, Method>)[methodName];
    if (!this.needsNestContext(instance, method, methodName)) return method.bind(instance) as HandlerInvoker;
    defineInvokeArgs(instance, methodName);
    return this.throughNest(instance, markingEntry(method), methodName, name, undefined);
  }

  /**
   * For a handler on a request-scoped (or durable) provider: each message gets its own instance, resolved
   * with a context id registered for that message, as Nest does for an HTTP request. The message is the
   * "request" of that context: `@Inject(BUS_MESSAGE)` (or `REQUEST`) injects it. Whether the call goes
   * through Nest's enhancers is decided once, on `template` (the provider's prototype-based instance).
   */
  createScoped(template: object, token: InjectionToken, methodName: string, name: string): HandlerInvoker {
    const method = (template as Record<string, Method>)[methodName];
    const enhanced = this.needsNestContext(template, method, methodName);
    if (enhanced) defineInvokeArgs(template, methodName);
    const marking = enhanced ? markingEntry(method) : undefined;
    return async (message, context) => {
      const contextId = ContextIdFactory.getByRequest(message as object);
      this.moduleRef.registerRequestByContextId(message, contextId);
      const instance = await this.moduleRef.resolve<object>(token, contextId, { strict: false });
      if (marking === undefined) return method.call(instance, message, context);
      // Enhancers may be request-scoped too: they are resolved in this message's context.
      return this.throughNest(instance, marking, methodName, name, contextId)(message, context);
    };
  }

  /** The call through Nest's guards, interceptors, pipes and filters; a refusal before the method is a rejection. */
  private throughNest(instance: object, callback: Method, methodName: string, name: string, contextId: ContextId | undefined): HandlerInvoker {
    const handler = this.externalContextCreator.create(
      instance,
      callback,
      methodName,
      INVOKE_ARGS_METADATA,
      this.paramsFactory,
      contextId,
      undefined,
      { guards: true, interceptors: true, filters: true },
      BUS_CONTEXT_TYPE,
    );
    return async (message, context) => {
      try {
        return await handler(message, context);
      } catch (error) {
        throw (context as Partial<Entered>).entered === true ? error : new HandlerRejectedError(name, error);
      }
    };
  }

  private needsNestContext(instance: object, method: Method, methodName: string): boolean {
    const onMethod = ENHANCER_KEYS.some((key) => hasItems(Reflect.getMetadata(key, method)));
    const onClass = ENHANCER_KEYS.some((key) => hasItems(Reflect.getMetadata(key, instance.constructor)));
    const params = Reflect.getMetadata(BUS_PARAM_ARGS_METADATA, instance.constructor, methodName) !== undefined;
    return onMethod || onClass || params || this.hasGlobalEnhancers();
  }

  private hasGlobalEnhancers(): boolean {
    const config = (this.externalContextCreator as unknown as { container?: { applicationConfig?: GlobalEnhancers } }).container?.applicationConfig;
    // Without a way to look, assume there are some: the enhanced path is always correct, only slower.
    if (config === undefined) return true;
    return [
      config.getGlobalGuards(),
      config.getGlobalInterceptors(),
      config.getGlobalFilters(),
      config.getGlobalPipes(),
      config.getGlobalRequestGuards(),
      config.getGlobalRequestInterceptors(),
      config.getGlobalRequestFilters(),
      config.getGlobalRequestPipes(),
    ].some(hasItems);
  }
}

/** What the call records once the method is reached. */
interface Entered {
  entered: boolean;
}

/**
 * The parameters Nest hands the method: the user's bus parameter decorators, or `(message, ctx)`, and one
 * more out of sight at the end, the call itself, which {@link markingEntry} takes off.
 */
function defineInvokeArgs(instance: object, methodName: string): void {
  const own = Reflect.getMetadata(BUS_PARAM_ARGS_METADATA, instance.constructor, methodName) as Record<string, { index: number }> | undefined;
  const args: Record<string, { index: number; data?: unknown; pipes?: unknown[] }> = own ?? {
    [`${BusParamType.MESSAGE}:0`]: { index: 0, data: undefined, pipes: [] },
    [`${BusParamType.CONTEXT}:1`]: { index: 1, data: undefined, pipes: [] },
  };
  const hidden = Math.max(...Object.values(args).map(({ index }) => index)) + 1;
  const withCall = { ...args, [`${BusParamType.CALL}:${hidden}`]: { index: hidden, data: undefined, pipes: [] } };
  Reflect.defineMetadata(INVOKE_ARGS_METADATA, withCall, instance.constructor, methodName);
}

/**
 * The method behind a wrapper that takes the hidden last argument (the call), notes that the call reached
 * the method, and passes the rest on. It carries the method's metadata, where Nest reads its enhancers.
 */
function markingEntry(method: Method): Method {
  const marking = function (this: unknown, ...args: unknown[]): unknown {
    const call = args.pop() as Partial<Entered> | undefined;
    if (call !== undefined && call !== null && typeof call === 'object') call.entered = true;
    return method.apply(this, args);
  };
  for (const key of Reflect.getMetadataKeys(method)) Reflect.defineMetadata(key, Reflect.getMetadata(key, method), marking);
  return marking;
}

function hasItems(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}
