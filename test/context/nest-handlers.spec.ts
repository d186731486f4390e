import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Catch, Inject, Injectable, Scope, UseFilters, UseGuards, UseInterceptors } from '@nestjs/common';
import type { ArgumentsHost, CallHandler, CanActivate, ExceptionFilter, ExecutionContext, NestInterceptor, PipeTransform } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { tap } from 'rxjs';
import type { Observable } from 'rxjs';
import { BUS_CONTEXT_TYPE, BUS_MESSAGE, BusCtx, BusMessage, BusModule, HandlerRejectedError, OnInbound, isBusContext } from '../../src/index.js';
import type { BusContext, InboundMessage } from '../../src/index.js';
import { startApp } from '../support/app.js';
import { undeliveredLog } from '../support/dispatch.js';
import { inboundMessage } from '../support/messages.js';

const events: string[] = [];
afterEach(() => void (events.length = 0));

@Injectable()
class DenyGuard implements CanActivate {
  canActivate(): boolean {
    events.push('deny');
    return false;
  }
}

/** Lets a message through, noting what the execution context says about it. */
@Injectable()
class InspectingGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const rpc = context.switchToRpc();
    const data = rpc.getData<InboundMessage>();
    const ctx = rpc.getContext<BusContext<InboundMessage>>();
    events.push(`guard ${context.getType()} ${String(isBusContext(context))} ${data.content} ${ctx.lane} ${context.getArgs().length}`);
    return true;
  }
}

@Injectable()
class TimingInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    events.push('before');
    return next.handle().pipe(tap(() => events.push('after')));
  }
}

class UpperPipe implements PipeTransform<InboundMessage, InboundMessage> {
  transform(message: InboundMessage): InboundMessage {
    return { ...message, content: message.content.toUpperCase() };
  }
}

class RefusePipe implements PipeTransform {
  transform(): never {
    throw new Error('refused by the pipe');
  }
}

/** Handles the error: as in every Nest context outside HTTP, a filter that returns a value handled it. */
@Catch()
class SwallowFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): boolean {
    events.push(`filtered ${(exception as Error).message} in ${host.getType()}`);
    return true;
  }
}

@Catch()
class RethrowFilter implements ExceptionFilter {
  catch(exception: unknown): never {
    events.push('rethrown');
    throw exception;
  }
}

describe('bus handlers are Nest handlers', () => {
  it('a guard that denies stops the call: reported handler-rejected, never retried', async () => {
    const { reports, onUndelivered } = undeliveredLog();
    @Injectable()
    class Agent {
      @OnInbound({ retry: { attempts: 3, backoffMs: 1 } })
      @UseGuards(DenyGuard)
      handle(): void {
        events.push('handled');
      }
    }
    const { bus } = await startApp([BusModule.forRoot({ onUndelivered })], [Agent, DenyGuard]);
    await bus.publishInbound(inboundMessage('hi'));
    await bus.idle();
    expect(events).toEqual(['deny']);
    expect(reports).toEqual([expect.objectContaining({ reason: 'handler-rejected', handler: 'Agent.handle', error: expect.any(HandlerRejectedError) })]);
  });

  it("guards see the context type 'bus', the message as RPC data and the BusContext as RPC context", async () => {
    @Injectable()
    @UseGuards(InspectingGuard)
    class Agent {
      @OnInbound()
      handle(message: InboundMessage, ctx: BusContext<InboundMessage>): void {
        events.push(`handled ${message.content} ${ctx.attempt}`);
      }
    }
    const { bus } = await startApp([BusModule.forRoot()], [Agent, InspectingGuard]);
    await bus.publishInbound(inboundMessage('hi'));
    await bus.idle();
    expect(BUS_CONTEXT_TYPE).toBe('bus');
    expect(events).toEqual(['guard bus true hi inbound 2', 'handled hi 1']);
  });

  it('a global guard (APP_GUARD) applies to every handler', async () => {
    const { reports, onUndelivered } = undeliveredLog();
    @Injectable()
    class Agent {
      @OnInbound()
      handle(): void {
        events.push('handled');
      }
    }
    const { bus } = await startApp([BusModule.forRoot({ onUndelivered })], [Agent, DenyGuard, { provide: APP_GUARD, useExisting: DenyGuard }]);
    await bus.publishInbound(inboundMessage('hi'));
    await bus.idle();
    expect(events).toEqual(['deny']);
    expect(reports.map((r) => r.reason)).toEqual(['handler-rejected']);
  });

  it('interceptors run around the call; the return value is ignored', async () => {
    @Injectable()
    class Agent {
      @OnInbound()
      @UseInterceptors(TimingInterceptor)
      async handle(): Promise<string> {
        events.push('handled');
        return 'not a reply';
      }
    }
    const { bus } = await startApp([BusModule.forRoot()], [Agent]);
    await bus.publishInbound(inboundMessage('hi'));
    await bus.idle();
    expect(events).toEqual(['before', 'handled', 'after']);
    expect(bus.outbound.size).toBe(0);
  });

  it('@BusMessage(pipe) transforms the message, @BusCtx() hands the context; a refusing pipe is handler-rejected', async () => {
    const { reports, onUndelivered } = undeliveredLog();
    @Injectable()
    class Agent {
      @OnInbound({ channel: 'telegram' })
      handle(@BusCtx() ctx: BusContext<InboundMessage>, @BusMessage(new UpperPipe()) message: InboundMessage): void {
        events.push(`${message.content} ${ctx.key}`);
      }
      @OnInbound({ channel: 'web' })
      refused(@BusMessage(new RefusePipe()) _message: InboundMessage): void {
        events.push('refused ran');
      }
    }
    const { bus } = await startApp([BusModule.forRoot({ onUndelivered })], [Agent]);
    await bus.publishInbound(inboundMessage('shout', { chatId: '7' }));
    await bus.publishInbound(inboundMessage('nope', { channel: 'web' }));
    await bus.idle();
    expect(events).toEqual(['SHOUT telegram:7']);
    expect(reports).toEqual([expect.objectContaining({ content: 'nope', reason: 'handler-rejected', handler: 'Agent.refused' })]);
  });

  it('an exception filter that handles the error ends it there; one that rethrows hands it to the retry policy', async () => {
    const { reports, onUndelivered } = undeliveredLog();
    @Injectable()
    class Agent {
      @OnInbound({ channel: 'telegram' })
      @UseFilters(SwallowFilter)
      handled(): void {
        throw new Error('boom');
      }
      @OnInbound({ channel: 'web', retry: { attempts: 2, backoffMs: 1 } })
      @UseFilters(RethrowFilter)
      rethrown(_message: InboundMessage, ctx: BusContext<InboundMessage>): void {
        events.push(`attempt ${ctx.attempt}`);
        throw new Error('bang');
      }
    }
    const { bus } = await startApp([BusModule.forRoot({ onUndelivered })], [Agent]);
    await bus.publishInbound(inboundMessage('a'));
    await bus.publishInbound(inboundMessage('b', { channel: 'web' }));
    await bus.idle();
    expect(events).toContain('filtered boom in bus');
    expect(events.filter((e) => e.startsWith('attempt'))).toEqual(['attempt 1', 'attempt 2']);
    expect(reports.map((r) => [r.content, r.reason])).toEqual([['b', 'handler-failed']]);
  });

  it('a request-scoped handler goes through its guards too, one instance per message', async () => {
    let made = 0;
    @Injectable({ scope: Scope.REQUEST })
    @UseGuards(InspectingGuard)
    class PerMessage {
      constructor(@Inject(BUS_MESSAGE) private readonly message: InboundMessage) {
        made++;
      }
      @OnInbound()
      handle(): void {
        events.push(`handled ${this.message.content}`);
      }
    }
    const { bus } = await startApp([BusModule.forRoot()], [PerMessage, InspectingGuard]);
    await bus.publishInbound(inboundMessage('one', { chatId: 'a' }));
    await bus.publishInbound(inboundMessage('two', { chatId: 'b' }));
    await bus.idle();
    expect(made).toBe(2);
    // Two chats, handled in parallel: each call's guard runs before its handler.
    expect(events.indexOf('guard bus true one inbound 2')).toBeLessThan(events.indexOf('handled one'));
    expect(events.indexOf('guard bus true two inbound 2')).toBeLessThan(events.indexOf('handled two'));
    expect(events).toHaveLength(4);
  });
});
