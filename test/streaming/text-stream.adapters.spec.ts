import { describe, it, expect } from '@jest/globals';
import { fromAiSdkTextStream, fromOpenAIChatStream } from '../../src/streaming/text-stream.adapters.js';
import type { ChatCompletionChunkLike } from '../../src/streaming/text-stream.adapters.js';

async function* replay<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

async function collect(deltas: AsyncIterable<string>): Promise<string[]> {
  const collected: string[] = [];
  for await (const delta of deltas) collected.push(delta);
  return collected;
}

const base = { id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG', object: 'chat.completion.chunk', created: 1741570283, model: 'gpt-4o-2024-08-06', system_fingerprint: 'fp_eb9dce56a8' };

/** A recorded Chat Completions stream (`stream: true`, `stream_options: { include_usage: true }`). */
const textAnswerChunks = [
  { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }], usage: null },
  { ...base, choices: [{ index: 0, delta: { content: 'Hello' }, logprobs: null, finish_reason: null }], usage: null },
  { ...base, choices: [{ index: 0, delta: { content: '! How' }, logprobs: null, finish_reason: null }], usage: null },
  { ...base, choices: [{ index: 0, delta: { content: ' can I help? 👋' }, logprobs: null, finish_reason: null }], usage: null },
  { ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], usage: null },
  {
    ...base,
    choices: [],
    usage: { prompt_tokens: 9, completion_tokens: 8, total_tokens: 17, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } },
  },
];

/** A recorded stream where the model calls a tool instead of answering. */
const toolCallChunks = [
  { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA', type: 'function', function: { name: 'get_weather', arguments: '' } }], refusal: null }, logprobs: null, finish_reason: null }] },
  { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"location":' } }] }, logprobs: null, finish_reason: null }] },
  { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }, logprobs: null, finish_reason: null }] },
  { ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'tool_calls' }] },
];

describe('fromOpenAIChatStream', () => {
  it('yields the content deltas and skips the role, finish and usage chunks', async () => {
    await expect(collect(fromOpenAIChatStream(replay(textAnswerChunks)))).resolves.toEqual(['Hello', '! How', ' can I help? 👋']);
  });

  it('yields nothing for a tool-call stream', async () => {
    await expect(collect(fromOpenAIChatStream(replay(toolCallChunks)))).resolves.toEqual([]);
  });

  it('keeps only the first choice when n > 1 interleaves choices', async () => {
    const chunks: ChatCompletionChunkLike[] = [
      { choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] },
      { choices: [{ index: 1, delta: { role: 'assistant', content: '' } }] },
      { choices: [{ index: 1, delta: { content: 'Other' } }] },
      { choices: [{ index: 0, delta: { content: 'First' } }] },
      { choices: [{ index: 1, delta: { content: ' choice' } }] },
      { choices: [{ index: 0, delta: { content: ' answer' } }] },
    ];
    await expect(collect(fromOpenAIChatStream(replay(chunks)))).resolves.toEqual(['First', ' answer']);
  });

  it('stops the source stream when the consumer stops early', async () => {
    let sourceClosed = false;
    async function* source(): AsyncGenerator<ChatCompletionChunkLike> {
      try {
        yield* textAnswerChunks;
      } finally {
        sourceClosed = true;
      }
    }
    const deltas = fromOpenAIChatStream(source());
    await deltas.next();
    await deltas.return(undefined);
    expect(sourceClosed).toBe(true);
  });

  it('passes a source error on', async () => {
    const failure = new Error('Connection error.');
    async function* source(): AsyncGenerator<ChatCompletionChunkLike> {
      yield textAnswerChunks[1];
      throw failure;
    }
    await expect(collect(fromOpenAIChatStream(source()))).rejects.toBe(failure);
  });
});

describe('fromAiSdkTextStream', () => {
  it("reads a streamText() result's textStream once, skipping empty deltas", async () => {
    let reads = 0;
    const result = {
      get textStream(): AsyncIterable<string> {
        reads++;
        return replay(['The ', '', 'answer', ' is 42.']);
      },
    };
    await expect(collect(fromAiSdkTextStream(result))).resolves.toEqual(['The ', 'answer', ' is 42.']);
    expect(reads).toBe(1);
  });

  it('accepts a plain text stream, such as the textStream itself', async () => {
    await expect(collect(fromAiSdkTextStream(replay(['a', 'b'])))).resolves.toEqual(['a', 'b']);
  });

  it('accepts a web ReadableStream, which is what textStream is at runtime', async () => {
    const stream = new ReadableStream<string>({
      start(controller) {
        controller.enqueue('streamed ');
        controller.enqueue('text');
        controller.close();
      },
    });
    await expect(collect(fromAiSdkTextStream({ textStream: stream as unknown as AsyncIterable<string> }))).resolves.toEqual(['streamed ', 'text']);
  });
});
