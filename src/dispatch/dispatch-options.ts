import type { LaneName } from '../bus/messages.interface.js';
import type { BusyMode, DispatchOptions, RetryOptions } from './dispatch-options.interface.js';
import type { KeyKind } from '../bus/key-index.js';

export const DEFAULT_CONCURRENCY = 8;
const DEFAULT_BACKOFF_MS = 200;
const DEFAULT_MAX_BACKOFF_MS = 30_000;
const BUSY_MODES: readonly BusyMode[] = ['queue', 'collect', 'interrupt'];
const DISPATCH_KEYS = new Set(['concurrency', 'orderBy', 'onBusy', 'debounceMs', 'timeoutMs', 'retry', 'channel']);

/** Dispatch options with defaults applied. */
export interface ResolvedDispatchOptions {
  concurrency: number;
  /** How messages are keyed; `undefined` for `orderBy: 'none'`. */
  keyKind: KeyKind<any> | undefined;
  onBusy: BusyMode;
  debounceMs: number;
  timeoutMs: number | undefined;
  retry: Required<Omit<RetryOptions, 'retryIf'>> & Pick<RetryOptions, 'retryIf'> | undefined;
}

/** A bad dispatch option: its path, what is wrong, and the value given. */
export type DispatchProblem = [option: string, problem: string, value: unknown];

/**
 * Checks dispatch options and returns the first problem, or `undefined`. Shared by the decorators (which
 * throw a `TypeError`) and `forRoot` (which throws an `InvalidBusOptionsError`).
 */
export function findDispatchProblem(options: DispatchOptions): DispatchProblem | undefined {
  if (typeof options !== 'object' || options === null) return ['options', 'must be an object', options];
  const unknown = Object.keys(options).find((key) => !DISPATCH_KEYS.has(key));
  if (unknown !== undefined) return [unknown, `is not an option (known: ${[...DISPATCH_KEYS].join(', ')})`, (options as Record<string, unknown>)[unknown]];
  const { concurrency, orderBy, onBusy, debounceMs, timeoutMs, retry } = options;
  if (concurrency !== undefined && !isPositiveInteger(concurrency)) return ['concurrency', 'must be an integer >= 1', concurrency];
  if (orderBy !== undefined && typeof orderBy !== 'function' && !['session', 'chat', 'none'].includes(orderBy)) {
    return ['orderBy', "must be 'session', 'chat', 'none' or a function of the message", orderBy];
  }
  if (onBusy !== undefined && !BUSY_MODES.includes(onBusy)) return ['onBusy', `must be one of ${BUSY_MODES.join(', ')}`, onBusy];
  if (debounceMs !== undefined && !isFiniteNonNegative(debounceMs)) return ['debounceMs', 'must be a finite number >= 0', debounceMs];
  if (timeoutMs !== undefined && !(isFiniteNonNegative(timeoutMs) && timeoutMs > 0)) return ['timeoutMs', 'must be a finite number > 0', timeoutMs];
  return retry === undefined ? undefined : findRetryProblem(retry);
}

function findRetryProblem(retry: RetryOptions): DispatchProblem | undefined {
  if (typeof retry !== 'object' || retry === null) return ['retry', 'must be an object with attempts', retry];
  const { attempts, backoffMs, maxBackoffMs, jitter, retryIf } = retry;
  if (!isPositiveInteger(attempts)) return ['retry.attempts', 'must be an integer >= 1 (it counts the first call)', attempts];
  if (backoffMs !== undefined && !isFiniteNonNegative(backoffMs)) return ['retry.backoffMs', 'must be a finite number >= 0', backoffMs];
  if (maxBackoffMs !== undefined && !isFiniteNonNegative(maxBackoffMs)) return ['retry.maxBackoffMs', 'must be a finite number >= 0', maxBackoffMs];
  if (jitter !== undefined && typeof jitter !== 'boolean') return ['retry.jitter', 'must be a boolean', jitter];
  if (retryIf !== undefined && typeof retryIf !== 'function') return ['retry.retryIf', 'must be a function', retryIf];
  return undefined;
}

/** The handler's options over the module's defaults, over the built-in defaults of its lane. */
export function resolveDispatchOptions(lane: LaneName, own: DispatchOptions, defaults: DispatchOptions = {}): ResolvedDispatchOptions {
  const merged: DispatchOptions = { ...defaults, ...own };
  const orderBy = merged.orderBy ?? (lane === 'inbound' ? 'session' : 'chat');
  const retry = merged.retry;
  return {
    concurrency: merged.concurrency ?? DEFAULT_CONCURRENCY,
    keyKind: orderBy === 'none' ? undefined : orderBy,
    onBusy: merged.onBusy ?? 'queue',
    debounceMs: merged.debounceMs ?? 0,
    timeoutMs: merged.timeoutMs,
    retry:
      retry === undefined || retry.attempts <= 1
        ? undefined
        : {
            attempts: retry.attempts,
            backoffMs: retry.backoffMs ?? DEFAULT_BACKOFF_MS,
            maxBackoffMs: retry.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS,
            jitter: retry.jitter ?? true,
            retryIf: retry.retryIf,
          },
  };
}

function isPositiveInteger(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 1;
}

function isFiniteNonNegative(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
