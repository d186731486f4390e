import { BadRequestException, Body, Controller, HttpCode, Param, Post, Sse, UseFilters } from '@nestjs/common';
import type { MessageEvent } from '@nestjs/common';
import { BusExceptionFilter, MessageBusService } from 'nestjs-agent-bus';
import { randomUUID } from 'node:crypto';
import type { Observable } from 'rxjs';
import { ChatEvents } from './chat-events.service.js';

/** A chat id as the page makes them: letters, digits, `-` and `_`. */
const CHAT_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** How long a post waits for room in the inbound lane before answering 503. */
const PUBLISH_TIMEOUT_MS = 5000;

/**
 * The web channel's HTTP side: a post publishes the user's message to the bus (202 once accepted), and each
 * chat's answers come back on its Server-Sent-Events stream. Bus errors become 400 / 503 answers through the
 * package's `BusExceptionFilter` (503 with `Retry-After` while the bus drains).
 */
@Controller('api/chats')
@UseFilters(BusExceptionFilter)
export class ChatsController {
  constructor(
    private readonly bus: MessageBusService,
    private readonly events: ChatEvents,
  ) {}

  @Post(':chatId/messages')
  @HttpCode(202)
  async post(@Param('chatId') chatId: string, @Body() body: unknown): Promise<{ accepted: true; messageId: string }> {
    checkChatId(chatId);
    const content = contentOf(body);
    const messageId = randomUUID();
    await this.bus.publishInbound({ channel: 'web', senderId: chatId, chatId, content, messageId }, { signal: AbortSignal.timeout(PUBLISH_TIMEOUT_MS) });
    return { accepted: true, messageId };
  }

  @Sse(':chatId/events')
  stream(@Param('chatId') chatId: string): Observable<MessageEvent> {
    checkChatId(chatId);
    return this.events.stream(chatId);
  }
}

function checkChatId(chatId: string): void {
  if (!CHAT_ID.test(chatId)) throw badRequest('chatId', 'must be 1 to 64 letters, digits, "-" or "_"');
}

function contentOf(body: unknown): string {
  const content = typeof body === 'object' && body !== null ? (body as { content?: unknown }).content : undefined;
  if (typeof content !== 'string' || content.trim() === '') throw badRequest('content', 'must be a non-empty string');
  return content;
}

function badRequest(field: string, problem: string): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', message: `${field} ${problem}`, field });
}
