import { fromOpenAIChatStream } from 'nestjs-agent-bus';
import OpenAI from 'openai';
import type { ChatTurn, LanguageModel } from './language-model.js';

/**
 * Any OpenAI-compatible chat-completions endpoint (OpenAI, a local llama.cpp or vLLM server, a gateway),
 * streamed through the bus's adapter. The request carries the answer's signal, so aborting the answer
 * (shutdown, a newer message) aborts the HTTP request.
 */
export class OpenAIModel implements LanguageModel {
  readonly name: string;
  private readonly client: OpenAI;

  constructor(
    baseURL: string,
    apiKey: string,
    private readonly model: string,
  ) {
    this.client = new OpenAI({ baseURL, apiKey, maxRetries: 1 });
    this.name = `${model} at ${baseURL}`;
  }

  async stream(history: readonly ChatTurn[], signal: AbortSignal): Promise<AsyncIterable<string>> {
    const messages = [{ role: 'system' as const, content: 'You are a helpful, concise assistant.' }, ...history];
    return fromOpenAIChatStream(await this.client.chat.completions.create({ model: this.model, messages, stream: true }, { signal }));
  }
}

/** The model the environment asks for: `OPENAI_BASE_URL` (+ `OPENAI_API_KEY`, `OPENAI_MODEL`), else `undefined`. */
export function openAIModelFromEnv(env: NodeJS.ProcessEnv = process.env): OpenAIModel | undefined {
  const baseURL = env.OPENAI_BASE_URL;
  if (baseURL === undefined || baseURL === '') return undefined;
  return new OpenAIModel(baseURL, env.OPENAI_API_KEY ?? 'not-needed', env.OPENAI_MODEL ?? 'gpt-4o-mini');
}
