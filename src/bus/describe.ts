/**
 * Text for whatever a handler threw, for logs. Never throws itself: a thrown value may be
 * `Object.create(null)`, an object whose `toString` throws, an `Error` whose `stack` getter throws, or
 * a revoked `Proxy`, and logging it must not become a second failure.
 */
export function describeError(error: unknown): string {
  try {
    if (error instanceof Error) {
      const stack: unknown = error.stack;
      return typeof stack === 'string' && stack !== '' ? stack : `${String(error.name)}: ${String(error.message)}`;
    }
  } catch {
    // Fall through to the plainer forms below.
  }
  try {
    return String(error);
  } catch {
    // e.g. Object.create(null), or a toString / Symbol.toPrimitive that throws.
  }
  try {
    return Object.prototype.toString.call(error);
  } catch {
    return '[unprintable value]';
  }
}

/**
 * A string field of a message, for logs and routing decisions that must not throw: `undefined` when the
 * field cannot be read (a revoked `Proxy`, a throwing getter) or is not a string.
 */
export function readStringField(message: unknown, field: string): string | undefined {
  try {
    const value: unknown = (message as Record<string, unknown>)[field];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** `value instanceof type`, but `false` where the check itself throws (a revoked `Proxy`). */
export function isInstanceOf<C extends abstract new (...args: never[]) => unknown>(value: unknown, type: C): value is InstanceType<C> {
  try {
    return value instanceof type;
  } catch {
    return false;
  }
}
