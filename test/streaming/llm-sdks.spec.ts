import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Anthropic from '@anthropic-ai/sdk';
import { createOpenAI } from '@ai-sdk/openai';
import { streamText } from 'ai';
import OpenAI from 'openai';
import { BusModule, MessageBusService, fromAiSdkTextStream, fromAnthropicStream, fromOpenAIChatStream, fromOpenAIResponsesStream } from '../../src/index.js';
import type { Reply } from '../../src/index.js';
import { RecordingChannel } from '../../src/testing/index.js';
import { startApp } from '../support/app.js';
import { inboundMessage } from '../support/messages.js';
import { eventually } from '../support/messages.js';
import { sse, startSseServer } from '../support/sse-server.js';
import type { SseScript } from '../support/sse-server.js';

/** The model's answer, in the deltas it streams them in (with a multi-byte character split across none). */
const DELTAS = ['Hello', ', wor', 'ld! ', 'Ça va', ' — how can I help? 👋'];
const ANSWER = DELTAS.join('');
const SLOW_DELTAS = Array.from({ length: 100 }, (_, i) => `word${i} `);

function chatChunk(delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}) {
  return sse({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }], ...extra });
}

function chatStream(deltas: string[], tail: 'done' | 'error'): SseScript['events'] {
  const events = [chatChunk({ role: 'assistant', content: '' }), ...deltas.map((content) => chatChunk({ content }))];
  if (tail === 'error') return [...events, sse({ error: { message: 'The server is overloaded', type: 'server_error' } })];
  return [
    ...events,
    chatChunk({}, 'stop'),
    sse({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 3, completion_tokens: 9, total_tokens: 12 } }),
    sse('[DONE]'),
  ];
}

function responsesStream(deltas: string[], tail: 'done' | 'error'): SseScript['events'] {
  const response = { id: 'resp_1', object: 'response', created_at: 1, status: 'in_progress', model: 'm', output: [] };
  const events = [
    sse({ type: 'response.created', sequence_number: 0, response }, 'response.created'),
    ...deltas.map((delta, i) =>
      sse({ type: 'response.output_text.delta', sequence_number: i + 1, item_id: 'msg_1', output_index: 0, content_index: 0, delta }, 'response.output_text.delta'),
    ),
  ];
  if (tail === 'error') return [...events, sse({ type: 'error', sequence_number: 99, code: 'server_error', message: 'The server is overloaded', param: null }, 'error')];
  return [...events, sse({ type: 'response.completed', sequence_number: 99, response: { ...response, status: 'completed' } }, 'response.completed')];
}

function anthropicStream(deltas: string[], tail: 'done' | 'error'): SseScript['events'] {
  const message = { id: 'msg_1', type: 'message', role: 'assistant', content: [], model: 'm', stop_reason: null, stop_sequence: null, usage: { input_tokens: 3, output_tokens: 1 } };
  const events = [
    sse({ type: 'message_start', message }, 'message_start'),
    sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start'),
    sse({ type: 'ping' }, 'ping'),
    ...deltas.map((text) => sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }, 'content_block_delta')),
  ];
  if (tail === 'error') return [...events, sse({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, 'error')];
  return [
    ...events,
    sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop'),
    sse({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 9 } }, 'message_delta'),
    sse({ type: 'message_stop' }, 'message_stop'),
  ];
}

const STREAMS: Record<string, (deltas: string[], tail: 'done' | 'error') => SseScript['events']> = {
  '/v1/chat/completions': chatStream,
  '/v1/responses': responsesStream,
  '/v1/messages': anthropicStream,
};

let server: Awaited<ReturnType<typeof startSseServer>>;
beforeAll(async () => {
  server = await startSseServer((path, model) => {
    const stream = STREAMS[path];
    if (stream === undefined) return undefined;
    if (model === 'slow') return { events: stream(SLOW_DELTAS, 'done'), intervalMs: 20 };
    return { events: stream(DELTAS, model === 'failing' ? 'error' : 'done') };
  });
});
afterAll(() => server.close());

const messages = [{ role: 'user' as const, content: 'hi' }];

/** Each SDK as an agent calls it: a reply factory for `respond`, given the model. */
const SDKS: Record<string, (model: string) => Reply> = {
  'openai chat completions': (model) => async (signal) => {
    const openai = new OpenAI({ apiKey: 'test', baseURL: `${server.url}/v1`, maxRetries: 0 });
    return fromOpenAIChatStream(await openai.chat.completions.create({ model, messages, stream: true, stream_options: { include_usage: true } }, { signal }));
  },
  'openai responses': (model) => async (signal) => {
    const openai = new OpenAI({ apiKey: 'test', baseURL: `${server.url}/v1`, maxRetries: 0 });
    return fromOpenAIResponsesStream(await openai.responses.create({ model, input: 'hi', stream: true }, { signal }));
  },
  'anthropic messages': (model) => async (signal) => {
    const anthropic = new Anthropic({ apiKey: 'test', baseURL: server.url, maxRetries: 0 });
    return fromAnthropicStream(await anthropic.messages.create({ model, max_tokens: 100, messages, stream: true }, { signal }));
  },
  'vercel ai sdk': (model) => (signal) => {
    const provider = createOpenAI({ apiKey: 'test', baseURL: `${server.url}/v1` });
    // onError: the SDK logs stream errors to the console by default; the adapter turns them into a rejection.
    return fromAiSdkTextStream(streamText({ model: provider.chat(model), prompt: 'hi', abortSignal: signal, maxRetries: 0, onError: () => undefined }));
  },
};

async function startWeb() {
  const Web = RecordingChannel.for('web');
  const { bus, app } = await startApp([BusModule.forRoot()], [Web]);
  return { bus: bus as MessageBusService, web: app.get(Web) };
}

const question = inboundMessage('hi', { channel: 'web', chatId: 'c1' });

describe.each(Object.keys(SDKS))('%s against a local server replaying its stream', (sdk) => {
  const reply = SDKS[sdk];

  it('delivers exactly the model text: role-only and empty chunks, usage and the end marker leave no trace', async () => {
    const { bus, web } = await startWeb();
    const result = await bus.respond(question, reply('hello'));
    expect(result).toEqual({ text: ANSWER, streamed: true });
    expect(web.texts('final')).toEqual([ANSWER]);
    expect(web.texts('draft').at(-1)).toBe(ANSWER);
  });

  it('rejects on an error mid-stream and delivers no final message', async () => {
    const { bus, web } = await startWeb();
    await expect(bus.respond(question, reply('failing'))).rejects.toThrow(/overloaded/i);
    expect(web.texts('final')).toEqual([]);
    expect(web.texts('send')).toEqual([]);
  });

  it('closes the HTTP request when the answer is aborted', async () => {
    const { bus } = await startWeb();
    const controller = new AbortController();
    const before = server.requests.length;
    const answering = bus.respond(question, reply('slow'), { signal: controller.signal });
    await eventually(() => server.requests.length > before && server.requests[before].written >= 5);
    const abortedAt = Date.now();
    controller.abort(new Error('user left'));
    await expect(answering).rejects.toThrow('user left');
    const seen = server.requests[before];
    await eventually(() => seen.abortedAt !== undefined, 2000);
    expect((seen.abortedAt as number) - abortedAt).toBeLessThan(500);
    expect(seen.written).toBeLessThan(SLOW_DELTAS.length);
  });
});
