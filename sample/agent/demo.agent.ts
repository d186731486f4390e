import { Inject, Injectable } from '@nestjs/common';
import { MessageBusService, OnInbound } from 'nestjs-agent-bus';
import type { BusContext, InboundMessage } from 'nestjs-agent-bus';
import { LANGUAGE_MODEL } from './language-model.js';
import type { ChatTurn, LanguageModel } from './language-model.js';

/** How many turns of each chat the agent remembers. */
const HISTORY_TURNS = 20;

/**
 * The agent. Chats are answered in parallel (up to 32 at once: a model call waits on the network, not the
 * CPU); one chat's messages in order, and what a user writes while their answer is being written is
 * collected into their next turn. The answer is streamed into the chat by `respond`, and the model's
 * request is aborted with the answer (shutdown, or a drain that runs out of time).
 */
@Injectable()
export class DemoAgent {
  private readonly histories = new Map<string, ChatTurn[]>();

  constructor(
    private readonly bus: MessageBusService,
    @Inject(LANGUAGE_MODEL) private readonly model: LanguageModel,
  ) {}

  @OnInbound({ channel: 'web', onBusy: 'collect', concurrency: 32 })
  async answer(message: InboundMessage, ctx: BusContext<InboundMessage>): Promise<void> {
    const history = this.history(message.chatId);
    history.push({ role: 'user', content: ctx.messages.map((turn) => turn.content).join('\n') });
    const { text } = await this.bus.respond(message, (signal) => this.model.stream(history, signal), { signal: ctx.signal });
    history.push({ role: 'assistant', content: text });
    history.splice(0, Math.max(0, history.length - HISTORY_TURNS));
  }

  private history(chatId: string): ChatTurn[] {
    let history = this.histories.get(chatId);
    if (history === undefined) this.histories.set(chatId, (history = []));
    return history;
  }
}
