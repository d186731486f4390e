import type { InboundMessage, OutboundMessage } from '../../src/index.js';

export function inboundMessage(content: string, overrides: Partial<InboundMessage> = {}): InboundMessage {
  return { channel: 'telegram', senderId: 'user-1', chatId: 'chat-1', content, ...overrides };
}

export function outboundMessage(content: string, overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return { channel: 'telegram', chatId: 'chat-1', content, ...overrides };
}

/** Resolves after every pending promise callback and I/O event has run once. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Resolves once `condition` holds, polling each event-loop turn; rejects after `timeoutMs`. */
export async function eventually(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
