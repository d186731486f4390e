import type { MessageValidator } from './lane.js';
import { InvalidMessageError } from './invalid-message.error.js';
import type { LaneMessages, LaneName, MediaPart } from './messages.interface.js';

const MEDIA_TYPES: ReadonlySet<string> = new Set<MediaPart['type']>(['image', 'audio', 'video', 'file']);
const PART_FIELDS = ['type', 'ref', 'caption', 'filename', 'contentType'] as const;

type Checked = Record<string, unknown>;

/**
 * The checks every lane runs on publish, so a bad message is refused before it is enqueued. Each lane's
 * check catches on its own (no shared wrapper), so every call site stays monomorphic on the hot path.
 */
export const MESSAGE_VALIDATORS: { readonly [L in LaneName]: MessageValidator<LaneMessages[L]> } = {
  inbound: (message) => {
    try {
      checkText('inbound', message);
    } catch (error) {
      throw asInvalidMessage('inbound', message, error);
    }
  },
  outbound: (message) => {
    try {
      checkText('outbound', message);
    } catch (error) {
      throw asInvalidMessage('outbound', message, error);
    }
  },
  outboundMedia: (message) => {
    try {
      checkMedia(message);
    } catch (error) {
      throw asInvalidMessage('outboundMedia', message, error);
    }
  },
};

/** Checks where an answer goes (`channel` and `chatId`), e.g. the target of `respond()`. */
export function checkAddress(lane: LaneName, target: unknown): void {
  try {
    checkFields(lane, target);
  } catch (error) {
    throw asInvalidMessage(lane, target, error);
  }
}

/**
 * Turns an error a check did not mean to throw (a getter or `Proxy` trap that throws, a revoked `Proxy`)
 * into an {@link InvalidMessageError} naming the field that could not be read, with the original error
 * as `cause`. The fields are read plainly on the way in; only a failure pays for the search.
 */
function asInvalidMessage(lane: LaneName, message: unknown, error: unknown): InvalidMessageError {
  if (error instanceof InvalidMessageError) return error;
  return new InvalidMessageError(lane, unreadableField(message), 'could not be read', { cause: error });
}

function checkMedia(message: unknown): void {
  checkFields('outboundMedia', message);
  const { parts } = message as Checked;
  if (!Array.isArray(parts) || parts.length === 0) fail('outboundMedia', 'parts', 'must be a non-empty array', parts);
  (parts as unknown[]).forEach((part, index) => checkPart(part, `parts[${index}]`));
}

function checkFields(lane: LaneName, message: unknown): void {
  if (typeof message !== 'object' || message === null) fail(lane, 'message', 'must be an object', message);
  const { channel, chatId } = message as Checked;
  if (!isNonEmptyString(channel)) fail(lane, 'channel', 'must be a non-empty string', channel);
  if (!isNonEmptyString(chatId)) fail(lane, 'chatId', 'must be a non-empty string', chatId);
}

function checkText(lane: 'inbound' | 'outbound', message: unknown): void {
  checkFields(lane, message);
  const { content } = message as Checked;
  if (typeof content !== 'string') fail(lane, 'content', 'must be a string', content);
}

function checkPart(part: unknown, field: string): void {
  if (typeof part !== 'object' || part === null) fail('outboundMedia', field, 'must be an object', part);
  const { type, ref, caption, filename, contentType } = part as Checked;
  if (typeof type !== 'string' || !MEDIA_TYPES.has(type)) {
    fail('outboundMedia', `${field}.type`, `must be one of ${[...MEDIA_TYPES].join(', ')}`, type);
  }
  if (!isNonEmptyString(ref)) fail('outboundMedia', `${field}.ref`, 'must be a non-empty string', ref);
  for (const [name, value] of Object.entries({ caption, filename, contentType })) {
    if (value !== undefined && typeof value !== 'string') fail('outboundMedia', `${field}.${name}`, 'must be a string', value);
  }
}

/** The first field whose reading throws, e.g. `chatId` or `parts[2].ref`; `message` for the message itself. */
function unreadableField(message: unknown): string {
  if (throws(() => Object.getPrototypeOf(message))) return 'message'; // a revoked Proxy
  const fields = ['channel', 'chatId', 'content', 'parts'];
  const unreadable = fields.find((field) => throws(() => (message as Checked)[field]));
  if (unreadable !== undefined) return unreadable;
  const parts = (message as Checked).parts;
  if (throws(() => Array.isArray(parts) && parts.length)) return 'parts';
  if (!Array.isArray(parts)) return 'message';
  for (let index = 0; index < parts.length; index++) {
    if (throws(() => parts[index])) return `parts[${index}]`;
    const part = parts[index] as Checked;
    if (typeof part === 'object' && part !== null && throws(() => Object.getPrototypeOf(part))) return `parts[${index}]`;
    const field = PART_FIELDS.find((name) => throws(() => part[name]));
    if (field !== undefined) return `parts[${index}].${field}`;
  }
  return 'message';
}

function throws(read: () => unknown): boolean {
  try {
    read();
    return false;
  } catch {
    return true;
  }
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function fail(lane: LaneName, field: string, problem: string, value: unknown): never {
  throw new InvalidMessageError(lane, field, `${problem} (got ${describe(value)})`);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return `array of ${value.length}`;
  return value === null ? 'null' : typeof value;
}
