import { MessageBusService } from 'nestjs-agent-bus';
import { RecordingChannel, createBusTestingApp } from 'nestjs-agent-bus/testing';
import type { TestingModule } from '@nestjs/testing';
import { AgentService } from './agent.service';
import { WebChannel } from './web.channel';

const Telegram = RecordingChannel.for('telegram');

describe('AgentService', () => {
  let app: TestingModule;

  beforeEach(async () => {
    app = await createBusTestingApp({ providers: [AgentService, WebChannel, Telegram] });
  });

  afterEach(() => app.close());

  it('answers every chat, in order per chat', async () => {
    const bus = app.get(MessageBusService);
    await bus.publishInbound({ channel: 'web', senderId: 'u1', chatId: 'alice', content: 'hi' });
    await bus.publishInbound({ channel: 'web', senderId: 'u2', chatId: 'bob', content: 'hello' });
    await bus.publishInbound({ channel: 'telegram', senderId: 'u3', chatId: '42', content: 'hey' });
    await bus.idle();
    expect(app.get(WebChannel).sent.sort()).toEqual(['alice: re: hi', 'bob: re: hello']);
    expect(app.get(Telegram).texts('send', '42')).toEqual(['re: hey']);
  });
});
