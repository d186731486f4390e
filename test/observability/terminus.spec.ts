import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { BusModule, MessageBusService, OnInbound } from '../../src/index.js';
import { BusHealthIndicator, BusHealthModule } from '../../src/terminus/index.js';
import { inboundMessage } from '../support/messages.js';
import { RecordingLogger } from '../support/recording.logger.js';

let release: () => void = () => undefined;

@Injectable()
class StuckAgent {
  private gate = Promise.resolve();

  block(): void {
    this.gate = new Promise<void>((resolve) => (release = resolve));
  }

  @OnInbound({ concurrency: 1 })
  handle(): Promise<void> {
    return this.gate;
  }
}

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly bus: BusHealthIndicator,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.bus.isHealthy('bus', { maxFill: 0.9 })]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.bus.isReady('bus')]);
  }
}

const apps: INestApplication[] = [];
afterEach(async () => {
  release();
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function startHealthApp() {
  const moduleRef = await Test.createTestingModule({
    imports: [BusModule.forRoot({ capacity: 4, drainTimeoutMs: 5000 }), BusHealthModule],
    controllers: [HealthController],
    providers: [StuckAgent],
  })
    .setLogger(new RecordingLogger())
    .compile();
  const app = moduleRef.createNestApplication({ logger: false });
  apps.push(app);
  await app.listen(0, '127.0.0.1');
  const base = await app.getUrl();
  const get = async (path: string) => {
    const response = await fetch(`${base.replace('[::1]', '127.0.0.1')}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return { app, get, bus: app.get(MessageBusService), agent: app.get(StuckAgent) };
}

describe('BusHealthIndicator with @nestjs/terminus', () => {
  it('is up while the lanes have room, with their fill in the details', async () => {
    const { get } = await startHealthApp();
    const live = await get('/health/live');
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({
      status: 'ok',
      details: { bus: { status: 'up', closing: false, lanes: { inbound: { size: 0, capacity: 4, fill: 0 } } } },
    });
    expect((await get('/health/ready')).status).toBe(200);
  });

  it('is down when a lane is fuller than maxFill', async () => {
    const { get, bus, agent } = await startHealthApp();
    agent.block();
    // The dispatcher holds up to a lane's capacity of messages; the next four fill the lane itself.
    for (let i = 0; i < 8; i++) await bus.publishInbound(inboundMessage('hi', { chatId: `chat-${i}` }));
    expect(bus.inbound.size).toBe(4);
    const live = await get('/health/live');
    expect(live.status).toBe(503);
    expect(live.body).toMatchObject({ status: 'error', error: { bus: { status: 'down', message: 'lane inbound fuller than 90%' } } });
    expect((await get('/health/ready')).status).toBe(503);
    release();
    await bus.idle();
    expect((await get('/health/live')).status).toBe(200);
  });

  it('readiness is down as soon as the bus begins to close, while liveness stays up', async () => {
    const { get, bus, agent } = await startHealthApp();
    agent.block();
    await bus.publishInbound(inboundMessage('in flight'));
    const closing = bus.close();
    const ready = await get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ error: { bus: { status: 'down', closing: true, message: 'the bus is closing' } } });
    expect((await get('/health/live')).status).toBe(200);
    release();
    await closing;
  });

  it('refuses a maxFill outside (0, 1] with a RangeError', async () => {
    const { app } = await startHealthApp();
    const indicator = app.get(BusHealthIndicator);
    for (const maxFill of [0, 1.5, Number.NaN, '0.5' as unknown as number]) {
      expect(() => indicator.isHealthy('bus', { maxFill })).toThrow(RangeError);
    }
  });
});
