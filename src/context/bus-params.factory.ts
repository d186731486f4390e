import type { ParamData } from '@nestjs/common';
import type { ParamsFactory } from '@nestjs/core/helpers/external-context-creator.js';
import { BusParamType } from '../bus.constants.js';

/** What `@BusMessage()` and `@BusCtx()` receive from a call's arguments, `[message, ctx]`. */
export class BusParamsFactory implements ParamsFactory {
  exchangeKeyForValue(type: number, _data: ParamData, args: unknown[]): unknown {
    if (type === BusParamType.MESSAGE) return args[0];
    if (type === BusParamType.CONTEXT || type === BusParamType.CALL) return args[1];
    return undefined;
  }
}
