import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';
import { BusModule, MessageBusService } from 'nestjs-agent-bus';
import { AgentService } from './agent.service';
import { WebChannel } from './web.channel';

describe('AgentService', () => {
  let app: TestingModule;

  beforeEach(async () => {
    app = await Test.createTestingModule({ imports: [BusModule.forRoot()], providers: [AgentService, WebChannel] }).compile();
    await app.init();
  });

  afterEach(() => app.close());

  it('answers every chat, in order per chat', async () => {
    const bus = app.get(MessageBusService);
    await bus.publishInbound({ channel: 'web', senderId: 'u1', chatId: 'alice', content: 'hi' });
    await bus.publishInbound({ channel: 'web', senderId: 'u2', chatId: 'bob', content: 'hello' });
    await bus.idle();
    expect(app.get(WebChannel).sent.sort()).toEqual(['alice: re: hi', 'bob: re: hello']);
  });
});
