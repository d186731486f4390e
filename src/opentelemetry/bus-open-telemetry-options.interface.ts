import type { MeterProvider, TracerProvider } from '@opentelemetry/api';

/** Options of {@link BusOpenTelemetry}. */
export interface BusOpenTelemetryOptions {
  /**
   * Where spans go.
   * @default the global tracer provider (`trace.setGlobalTracerProvider`, as the Node SDK registers it)
   */
  tracerProvider?: TracerProvider;
  /**
   * Where metrics go.
   * @default the global meter provider
   */
  meterProvider?: MeterProvider;
  /**
   * The `messaging.system` attribute of spans and metrics.
   * @default 'nestjs-agent-bus'
   */
  messagingSystem?: string;
}
