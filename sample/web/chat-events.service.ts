import { Injectable } from '@nestjs/common';
import type { BeforeApplicationShutdown, MessageEvent } from '@nestjs/common';
import { MessageBusService } from 'nestjs-agent-bus';
import { Observable, Subject } from 'rxjs';

/** What the page is told about a chat, as named Server-Sent Events. */
export type ChatEventType = 'typing' | 'placeholder' | 'draft' | 'final' | 'bye';

/**
 * The open event streams of each chat. Once the bus has drained at shutdown (every accepted message
 * answered), every stream gets a last `bye` event and is closed, so the browser knows to stop waiting.
 */
@Injectable()
export class ChatEvents implements BeforeApplicationShutdown {
  private readonly chats = new Map<string, Subject<MessageEvent>>();
  private closed = false;

  constructor(private readonly bus: MessageBusService) {}

  /** The chat's events from now on; the stream completes at shutdown. */
  stream(chatId: string): Observable<MessageEvent> {
    if (this.closed) return new Observable((subscriber) => subscriber.complete());
    let subject = this.chats.get(chatId);
    if (subject === undefined) this.chats.set(chatId, (subject = new Subject<MessageEvent>()));
    return subject.asObservable();
  }

  emit(chatId: string, type: ChatEventType, data: object): void {
    this.chats.get(chatId)?.next({ type, data });
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    const report = await this.bus.close(); // the same promise as the bus's own drain
    console.log(`\nShut down (${signal ?? 'close'}): drained in ${Math.round(report.durationMs)} ms, timed out: ${report.timedOut}`);
    console.table(report.lanes);
    this.closed = true;
    for (const subject of this.chats.values()) {
      subject.next({ type: 'bye', data: { reason: 'shutdown' } });
      subject.complete();
    }
    this.chats.clear();
  }
}
