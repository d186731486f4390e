import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Body, Controller, HttpCode, Post, UseFilters } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { BusExceptionFilter, BusModule, MessageBusService } from '../../src/index.js';
import { RecordingLogger } from '../support/recording.logger.js';

/** A webhook as a chat platform calls it: the body is the message's text and chat. */
@Controller('webhook')
class WebhookController {
  constructor(private readonly bus: MessageBusService) {}

  @Post()
  @HttpCode(202)
  async receive(@Body() body: { chatId: string; content: string; waitMs?: number }): Promise<void> {
    const signal = body.waitMs === undefined ? undefined : AbortSignal.timeout(body.waitMs);
    await this.bus.publishInbound({ channel: 'web', senderId: 'u', chatId: body.chatId, content: body.content }, { signal });
  }

  @Post('broken')
  broken(): void {
    throw new Error('not a bus error');
  }
}

@UseFilters(BusExceptionFilter)
@Controller('filtered')
class FilteredController extends WebhookController {}

const apps: INestApplication[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function start(options: { global: boolean }): Promise<{ app: INestApplication; url: string; bus: MessageBusService }> {
  const moduleRef = await Test.createTestingModule({
    imports: [BusModule.forRoot({ capacity: 1 })],
    controllers: [WebhookController, FilteredController],
    providers: options.global ? [{ provide: APP_FILTER, useClass: BusExceptionFilter }] : [],
  })
    .setLogger(new RecordingLogger())
    .compile();
  const app = moduleRef.createNestApplication({ logger: false });
  apps.push(app);
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl(), bus: app.get(MessageBusService) };
}

async function post(url: string, body: unknown): Promise<{ status: number; retryAfter: string | null; json: Record<string, unknown> }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
  const text = await response.text();
  return { status: response.status, retryAfter: response.headers.get('retry-after'), json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

describe('BusExceptionFilter on an HTTP webhook', () => {
  it.each([
    ['on the controller', { global: false }, '/filtered'],
    ['for the whole app', { global: true }, '/webhook'],
  ])('%s: 202, then 400 naming the field, 503 with Retry-After when the lane stays full or the bus closes', async (_how, options, path) => {
    const { url, bus } = await start(options);
    expect((await post(url + path, { chatId: 'c1', content: 'hi' })).status).toBe(202);

    const invalid = await post(url + path, { chatId: '', content: 'hi' });
    expect(invalid.status).toBe(400);
    expect(invalid.json).toMatchObject({ statusCode: 400, lane: 'inbound', field: 'chatId' });

    // Nothing consumes the lane (no handler) and it holds one message: the next publish waits, then times out.
    const busy = await post(url + path, { chatId: 'c2', content: 'hi', waitMs: 20 });
    expect(busy.status).toBe(503);
    expect(busy.retryAfter).toBe('5');

    await bus.close({ timeoutMs: 0 });
    const closed = await post(url + path, { chatId: 'c3', content: 'hi' });
    expect(closed).toMatchObject({ status: 503, retryAfter: '5', json: { statusCode: 503 } });
  });

  it('leaves other errors to Nest (500), and without the filter a closed bus is a 500 too', async () => {
    const { url, bus } = await start({ global: false });
    expect((await post(`${url}/filtered/broken`, {})).status).toBe(500);
    await bus.close({ timeoutMs: 0 });
    expect((await post(`${url}/webhook`, { chatId: 'c', content: 'x' })).status).toBe(500);
  });
});
