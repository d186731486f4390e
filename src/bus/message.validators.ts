import type { MessageValidator } from './lane.js';
import { InvalidMessageError } from './invalid-message.error.js';
import type { LaneMessages, LaneName, MediaPart } from './messages.interface.js';

const MEDIA_TYPES: ReadonlySet<string> = new Set<MediaPart['type']>(['image', 'audio', 'video', 'file']);

type Checked = Record<string, unknown>;

/** The checks every lane runs on publish, so a bad message is refused before it is enqueued. */
export const MESSAGE_VALIDATORS: { readonly [L in LaneName]: MessageValidator<LaneMessages[L]> } = {
  inbound: (message) => checkText('inbound', message),
  outbound: (message) => checkText('outbound', message),
  outboundMedia: (message) => {
    checkAddress('outboundMedia', message);
    const { parts } = message as unknown as Checked;
    if (!Array.isArray(parts) || parts.length === 0) fail('outboundMedia', 'parts', 'must be a non-empty array', parts);
    (parts as unknown[]).forEach((part, index) => checkPart(part, `parts[${index}]`));
  },
};

function checkText(lane: 'inbound' | 'outbound', message: unknown): void {
  checkAddress(lane, message);
  const { content } = message as Checked;
  if (typeof content !== 'string') fail(lane, 'content', 'must be a string', content);
}

function checkAddress(lane: LaneName, message: unknown): void {
  if (typeof message !== 'object' || message === null) fail(lane, 'message', 'must be an object', message);
  const { channel, chatId } = message as Checked;
  if (!isNonEmptyString(channel)) fail(lane, 'channel', 'must be a non-empty string', channel);
  if (!isNonEmptyString(chatId)) fail(lane, 'chatId', 'must be a non-empty string', chatId);
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
