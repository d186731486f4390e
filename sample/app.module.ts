import { Module } from '@nestjs/common';
import { BusModule } from 'nestjs-agent-bus';
import { BusHealthModule } from 'nestjs-agent-bus/terminus';
import { DemoAgent } from './agent/demo.agent.js';
import { LANGUAGE_MODEL } from './agent/language-model.js';
import { openAIModelFromEnv } from './agent/openai-model.js';
import { SimulatedModel } from './agent/simulated-model.js';
import { ChatEvents } from './web/chat-events.service.js';
import { ChatsController } from './web/chats.controller.js';
import { StatusController } from './web/status.controller.js';
import { WebChannel } from './web/web.channel.js';

@Module({
  imports: [BusModule.forRoot({ capacity: 256, drainTimeoutMs: 15_000 }), BusHealthModule],
  controllers: [ChatsController, StatusController],
  providers: [
    DemoAgent,
    WebChannel,
    ChatEvents,
    // OPENAI_BASE_URL (with OPENAI_API_KEY and OPENAI_MODEL) switches to a real OpenAI-compatible endpoint.
    { provide: LANGUAGE_MODEL, useFactory: () => openAIModelFromEnv() ?? new SimulatedModel() },
  ],
})
export class AppModule {}
