export { createBusTestingApp } from './create-bus-testing-app.js';
export type { BusTestingAppOptions } from './create-bus-testing-app.js';
export { RateLimitedError } from './rate-limited.error.js';
export { RecordingChannel } from './recording-channel.js';
export type { RecordedCall, RecordedKind, RecordingCapability, RecordingChannelOptions } from './recording-channel.js';
