export { BusOpenTelemetry } from './bus-open-telemetry.js';
export type { BusOpenTelemetryOptions } from './bus-open-telemetry-options.interface.js';
