import { assignMetadata } from '@nestjs/common';
import type { PipeTransform } from '@nestjs/common';
import { BUS_PARAM_ARGS_METADATA, BusParamType } from '../bus.constants.js';

function busParam(type: BusParamType, pipes: PipeTransform[]): ParameterDecorator {
  return (target, key, index) => {
    if (key === undefined) throw new TypeError('Bus parameter decorators go on the parameters of a handler method');
    if (pipes.some((pipe) => typeof pipe?.transform !== 'function')) {
      throw new TypeError('@BusMessage: pipes must be instances with a transform method, e.g. new ValidationPipe()');
    }
    const args = (Reflect.getMetadata(BUS_PARAM_ARGS_METADATA, target.constructor, key) ?? {}) as Record<string, unknown>;
    Reflect.defineMetadata(BUS_PARAM_ARGS_METADATA, assignMetadata(args, type, index, undefined, ...pipes), target.constructor, key);
  };
}

/**
 * The message, as a handler parameter, optionally through pipes: `@BusMessage(new ValidationPipe())`.
 * Pipes are given as instances. A handler without bus parameter decorators keeps receiving `(message, ctx)`.
 */
export function BusMessage(...pipes: PipeTransform[]): ParameterDecorator {
  return busParam(BusParamType.MESSAGE, pipes);
}

/** The call's `BusContext`, as a handler parameter. */
export function BusCtx(): ParameterDecorator {
  return busParam(BusParamType.CONTEXT, []);
}
