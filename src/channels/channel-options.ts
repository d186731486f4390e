import { InvalidBusOptionsError } from '../bus/invalid-bus-options.error.js';
import type { AcknowledgeKind, BusChannelOptions } from './bus-channel-options.interface.js';
import { DEFAULT_CHANNEL_RETRY } from './send-retry.js';
import type { ResolvedChannelRetry } from './send-retry.js';

const ACKNOWLEDGE_KINDS: readonly AcknowledgeKind[] = ['typing', 'reaction', 'placeholder'];
const DEFAULT_TYPING_INTERVAL_MS = 4000;
const DEFAULT_ACKNOWLEDGE_TTL_MS = 5 * 60_000;
const DEFAULT_CONCURRENCY = 8;

/** Channel options with their defaults. */
export interface ResolvedChannelOptions {
  readonly maxMessageLength: number | undefined;
  readonly rateLimit: BusChannelOptions['rateLimit'];
  readonly acknowledge: readonly AcknowledgeKind[];
  readonly retry: ResolvedChannelRetry;
  readonly typingIntervalMs: number;
  readonly acknowledgeTtlMs: number;
  readonly concurrency: number;
  readonly timeoutMs: number | undefined;
}

/**
 * Checks `@BusChannel(name, options)` when the class is decorated, so a typo fails at import with an
 * `InvalidBusOptionsError` naming the option (`option` is e.g. `@BusChannel('telegram').rateLimit.perSecond`).
 */
export function resolveChannelOptions(name: string, options: BusChannelOptions = {}): ResolvedChannelOptions {
  const where = (option: string) => `@BusChannel('${name}').${option}`;
  if (typeof options !== 'object' || options === null) throw new InvalidBusOptionsError(`@BusChannel('${name}')`, 'options must be an object', options);
  const { maxMessageLength, rateLimit, acknowledge = [], retry = {}, typingIntervalMs, acknowledgeTtlMs, concurrency, timeoutMs } = options;
  integer(where('maxMessageLength'), maxMessageLength, 1);
  if (rateLimit !== undefined) {
    positive(where('rateLimit.perSecond'), rateLimit.perSecond);
    positive(where('rateLimit.perChatPerSecond'), rateLimit.perChatPerSecond);
    integer(where('rateLimit.burst'), rateLimit.burst, 1);
  }
  if (!Array.isArray(acknowledge) || acknowledge.some((kind) => !ACKNOWLEDGE_KINDS.includes(kind))) {
    throw new InvalidBusOptionsError(where('acknowledge'), `must be an array of ${ACKNOWLEDGE_KINDS.map((kind) => `'${kind}'`).join(', ')}`, acknowledge);
  }
  integer(where('retry.attempts'), retry.attempts, 1);
  for (const key of ['rateLimitDelayMs', 'backoffMs', 'maxBackoffMs'] as const) integer(where(`retry.${key}`), retry[key], 0);
  integer(where('typingIntervalMs'), typingIntervalMs, 1);
  integer(where('acknowledgeTtlMs'), acknowledgeTtlMs, 1);
  integer(where('concurrency'), concurrency, 1);
  integer(where('timeoutMs'), timeoutMs, 1);
  return {
    maxMessageLength,
    rateLimit,
    acknowledge: [...acknowledge],
    retry: { ...DEFAULT_CHANNEL_RETRY, ...definedOnly(retry) },
    typingIntervalMs: typingIntervalMs ?? DEFAULT_TYPING_INTERVAL_MS,
    acknowledgeTtlMs: acknowledgeTtlMs ?? DEFAULT_ACKNOWLEDGE_TTL_MS,
    concurrency: concurrency ?? DEFAULT_CONCURRENCY,
    timeoutMs,
  };
}

function integer(option: string, value: unknown, min: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new InvalidBusOptionsError(option, `must be an integer >= ${min}`, value);
}

function positive(option: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new InvalidBusOptionsError(option, 'must be a number > 0', value);
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
