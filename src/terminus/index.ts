export { BusHealthIndicator } from './bus-health.indicator.js';
export { BusHealthModule } from './bus-health.module.js';
export type { BusHealthOptions } from './bus-health-options.interface.js';
