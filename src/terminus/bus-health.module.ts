import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { BusHealthIndicator } from './bus-health.indicator.js';

/**
 * `TerminusModule` and the {@link BusHealthIndicator}, ready to inject into a health controller. Needs
 * `BusModule` (global by default) in the app.
 */
@Module({
  imports: [TerminusModule],
  providers: [BusHealthIndicator],
  exports: [BusHealthIndicator, TerminusModule],
})
export class BusHealthModule {}
