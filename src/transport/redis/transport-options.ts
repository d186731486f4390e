import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { InvalidBusOptionsError } from '../../bus/invalid-bus-options.error.js';
import type { RedisStreamsTransportOptions } from './redis-streams-transport-options.interface.js';

/** The options with their defaults, checked. */
export interface ResolvedTransportOptions {
  readonly connection: RedisStreamsTransportOptions['connection'];
  readonly prefix: string;
  readonly partitions: number;
  readonly leaseTtlMs: number;
  readonly claimIdleMs: number;
  readonly readCount: number;
  readonly instanceId: string;
  readonly connectTimeoutMs: number;
}

const MOST_PARTITIONS = 1024;

/**
 * Checks `redisStreamsTransport()`'s options when the transport is made, so that a mistake fails the app's
 * startup with the option's name (`InvalidBusOptionsError`) instead of misbehaving under load.
 */
export function resolveTransportOptions(options: RedisStreamsTransportOptions): ResolvedTransportOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidBusOptionsError('transport', 'redisStreamsTransport() needs an options object', options);
  const { connection } = options;
  if (typeof connection !== 'string' && (typeof connection !== 'object' || connection === null)) {
    throw new InvalidBusOptionsError('transport.connection', 'must be a redis:// URL, ioredis options or an ioredis client', connection);
  }
  const leaseTtlMs = integer('leaseTtlMs', options.leaseTtlMs, 10_000, 100, 'at least 100 (it is renewed every third of it)');
  return {
    connection,
    prefix: text('prefix', options.prefix, 'agent-bus'),
    partitions: integer('partitions', options.partitions, 16, 1, `from 1 to ${MOST_PARTITIONS}`, MOST_PARTITIONS),
    leaseTtlMs,
    claimIdleMs: integer('claimIdleMs', options.claimIdleMs, leaseTtlMs, 0, '>= 0'),
    readCount: integer('readCount', options.readCount, 64, 1, '>= 1'),
    instanceId: text('instanceId', options.instanceId, `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`),
    connectTimeoutMs: integer('connectTimeoutMs', options.connectTimeoutMs, 5000, 1, '>= 1'),
  };
}

function integer(option: string, value: number | undefined, fallback: number, least: number, range: string, most = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < least || value > most) {
    throw new InvalidBusOptionsError(`transport.${option}`, `must be an integer ${range}`, value);
  }
  return value;
}

function text(option: string, value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0 || /\s/.test(value)) throw new InvalidBusOptionsError(`transport.${option}`, 'must be a non-empty string without spaces', value);
  return value;
}
