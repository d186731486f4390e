/**
 * The wait an error asks for: a numeric, finite, non-negative `retryAfterMs` (a chat API's 429, say), or
 * `undefined`. Never throws, whatever the error is (a getter that throws, a revoked `Proxy`).
 */
export function retryAfterMsOf(error: unknown): number | undefined {
  return nonNegativeNumberField(error, 'retryAfterMs');
}

/** A finite, non-negative number in `field` of `value`, or `undefined`; never throws. */
export function nonNegativeNumberField(value: unknown, field: string): number | undefined {
  try {
    const found = (value as Record<string, unknown> | null)?.[field];
    return typeof found === 'number' && Number.isFinite(found) && found >= 0 ? found : undefined;
  } catch {
    return undefined;
  }
}
