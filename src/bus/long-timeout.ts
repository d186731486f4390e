/** Node's timers hold at most this delay; a longer one fires after 1 ms (with a TimeoutOverflowWarning). */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * Calls `callback` after `delayMs`, for any delay: `Infinity` never fires, and a delay beyond Node's timer
 * limit (about 24.8 days) is waited in several steps instead of collapsing to 1 ms.
 * @returns a function that cancels the timeout.
 */
export function setLongTimeout(callback: () => void, delayMs: number): () => void {
  if (delayMs === Infinity) return () => undefined;
  const deadline = Date.now() + delayMs;
  let timer: NodeJS.Timeout;
  const arm = (remaining: number): void => {
    timer = setTimeout(() => {
      const left = deadline - Date.now();
      if (left > 0) arm(left);
      else callback();
    }, Math.min(remaining, MAX_TIMER_DELAY_MS));
  };
  arm(delayMs);
  return () => clearTimeout(timer);
}

/** Whether `value` is a usable timeout: a number >= 0, `Infinity` included (no limit). */
export function isTimeout(value: unknown): value is number {
  return typeof value === 'number' && value >= 0; // NaN fails the comparison
}
