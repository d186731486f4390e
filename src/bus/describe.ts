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

/**
 * A value as an option error shows it: strings quoted, objects by kind, never throwing. A numeric string
 * (what a config service hands over from an environment variable) gets a hint to convert it.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const numeric = value.trim() !== '' && !Number.isNaN(Number(value));
    return `the string ${JSON.stringify(value)}${numeric ? `; convert it to a number, e.g. Number(config.get(...)) in useFactory` : ''}`;
  }
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object' && value !== null) return 'an object';
  return typeof value === 'bigint' ? `${value}n` : String(value);
}
