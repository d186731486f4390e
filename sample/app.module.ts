import { Module } from '@nestjs/common';
import { BusModule } from 'nestjs-agent-bus';
import { ConsoleChannel } from './console.channel.js';
import { EchoAgent } from './echo.agent.js';

@Module({
  imports: [BusModule.forRoot({ capacity: 64, drainTimeoutMs: 5_000 })],
  providers: [EchoAgent, ConsoleChannel],
})
export class AppModule {}
