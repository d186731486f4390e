import type { BusTransport } from '../bus-transport.interface.js';
import { RedisStreamsTransport } from './redis-streams.transport.js';
import type { RedisStreamsTransportOptions } from './redis-streams-transport-options.interface.js';

export { RedisStreamsTransport } from './redis-streams.transport.js';
export type { RedisStreamsTransportOptions } from './redis-streams-transport-options.interface.js';

/** `BusModule.forRoot({ transport: redisStreamsTransport({ connection: 'redis://127.0.0.1:6379' }) })`. */
export function redisStreamsTransport(options: RedisStreamsTransportOptions): BusTransport {
  return new RedisStreamsTransport(options);
}
