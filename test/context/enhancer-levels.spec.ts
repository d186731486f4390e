import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Catch, Injectable, UseFilters, UseGuards, UseInterceptors, UsePipes, ValidationPipe } from '@nestjs/common';
import type { CallHandler, CanActivate, ExceptionFilter, ExecutionContext, NestInterceptor, PipeTransform, Provider, Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { IsString, MinLength } from 'class-validator';
import { tap } from 'rxjs';
import type { Observable } from 'rxjs';
import { BusMessage, BusModule, OnInbound } from '../../src/index.js';
import type { InboundMessage } from '../../src/index.js';
import { startApp } from '../support/app.js';
import { undeliveredLog } from '../support/dispatch.js';
import { inboundMessage } from '../support/messages.js';

const events: string[] = [];
afterEach(() => void (events.length = 0));

@Injectable()
class DenyGuard implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

@Injectable()
class AroundInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const startedAt = performance.now();
    events.push('before');
    return next.handle().pipe(tap(() => events.push(`after ${performance.now() >= startedAt}`)));
  }
}

@Injectable()
class RefusePipe implements PipeTransform {
  transform(): never {
    throw new Error('refused');
  }
}

@Catch()
class HandledFilter implements ExceptionFilter {
  catch(): string {
    events.push('filtered');
    return 'handled';
  }
}

type Kind = 'guard' | 'interceptor' | 'pipe' | 'filter';
type Level = 'method' | 'class' | 'global';

/** `@UseGuards(type)` and its kin, usable on a method or a class. */
type Enhance = (...types: Type[]) => MethodDecorator & ClassDecorator;

const ENHANCERS: Record<Kind, { decorator: Enhance; type: Type; global: string }> = {
  guard: { decorator: UseGuards as unknown as Enhance, type: DenyGuard, global: APP_GUARD },
  interceptor: { decorator: UseInterceptors as unknown as Enhance, type: AroundInterceptor, global: APP_INTERCEPTOR },
  pipe: { decorator: UsePipes as unknown as Enhance, type: RefusePipe, global: APP_PIPE },
  filter: { decorator: UseFilters as unknown as Enhance, type: HandledFilter, global: APP_FILTER },
};

/** An agent whose handler fails (so a filter has something to handle), with one enhancer at one level. */
function agentWith(kind: Kind, level: Level): { agent: Type; providers: Provider[] } {
  const { decorator, type, global } = ENHANCERS[kind];
  class Agent {
    handle(_message: InboundMessage): void {
      events.push('handled');
      if (kind === 'filter') throw new Error('boom');
    }
  }
  const descriptor = Object.getOwnPropertyDescriptor(Agent.prototype, 'handle') as PropertyDescriptor;
  const methodDecorators: MethodDecorator[] = [OnInbound()];
  if (level === 'method') methodDecorators.push(decorator(type));
  Object.defineProperty(Agent.prototype, 'handle', Reflect.decorate(methodDecorators, Agent.prototype, 'handle', descriptor) ?? descriptor);
  if (level === 'class') decorator(type)(Agent);
  Injectable()(Agent);
  return { agent: Agent, providers: level === 'global' ? [type, { provide: global, useExisting: type }] : [type] };
}

describe.each<Level>(['method', 'class', 'global'])('enhancers at %s level', (level) => {
  it.each<[Kind, string[], string[]]>([
    ['guard', [], ['handler-rejected']],
    ['interceptor', ['before', 'handled', 'after true'], []],
    ['pipe', [], ['handler-rejected']],
    ['filter', ['handled', 'filtered'], []],
  ])('the %s applies', async (kind, expectedEvents, expectedReasons) => {
    const { reports, onUndelivered } = undeliveredLog();
    const { agent, providers } = agentWith(kind, level);
    const { bus } = await startApp([BusModule.forRoot({ onUndelivered })], [agent, ...providers]);
    await bus.publishInbound(inboundMessage('hi'));
    await bus.idle();
    expect(events).toEqual(expectedEvents);
    expect(reports.map((r) => r.reason)).toEqual(expectedReasons);
  });
});

class ChatMessageDto {
  @IsString()
  @MinLength(3)
  content!: string;
  @IsString()
  chatId!: string;
}

describe('ValidationPipe on a class-validator DTO', () => {
  it('hands the handler a validated DTO instance, and rejects an invalid message before the handler', async () => {
    const { reports, onUndelivered } = undeliveredLog();
    const seen: unknown[] = [];
    @Injectable()
    class Agent {
      @OnInbound()
      handle(@BusMessage(new ValidationPipe({ transform: true })) message: ChatMessageDto): void {
        seen.push(message);
      }
    }
    const { bus } = await startApp([BusModule.forRoot({ onUndelivered })], [Agent]);
    await bus.publishInbound(inboundMessage('hello', { chatId: 'a' }));
    await bus.publishInbound(inboundMessage('no', { chatId: 'b' }));
    await bus.idle();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(ChatMessageDto);
    expect(seen[0]).toMatchObject({ content: 'hello', chatId: 'a' });
    expect(reports).toEqual([expect.objectContaining({ content: 'no', reason: 'handler-rejected' })]);
  });
});
