import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { MessageBusService } from 'nestjs-agent-bus';
import type { BusStats } from 'nestjs-agent-bus';
import { BusHealthIndicator } from 'nestjs-agent-bus/terminus';

/** What the page's status line and a load balancer read. */
@Controller()
export class StatusController {
  constructor(
    private readonly bus: MessageBusService,
    private readonly health: HealthCheckService,
    private readonly busHealth: BusHealthIndicator,
  ) {}

  @Get('api/bus/stats')
  stats(): BusStats {
    return this.bus.stats();
  }

  /** Up while the lanes have room; down as soon as the bus begins to drain, so traffic goes elsewhere. */
  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.busHealth.isReady('bus')]);
  }
}
