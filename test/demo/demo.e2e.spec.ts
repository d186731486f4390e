import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { answerTo } from '../../sample/agent/simulated-model.js';
import { eventually } from '../support/messages.js';
import { sse, startSseServer } from '../support/sse-server.js';
import { post, readEvents, startDemo, stopDemos } from './demo-process.js';
import type { ChatEvent } from './demo-process.js';

afterEach(() => stopDemos());

const expected = (content: string, turn = 1) => answerTo([...Array.from({ length: turn - 1 }, () => ({ role: 'user' as const, content: '' })), { role: 'user', content }]);
const finals = (events: ChatEvent[]) => events.filter((event) => event.type === 'final').map((event) => event.data.text);
const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

describe('the web chat demo, over HTTP', () => {
  it('answers 20 chats posting at once, each exactly once and in about one answer’s time', async () => {
    const demo = await startDemo();
    // One chat alone first: how long one answer takes.
    const alone = readEvents(demo.url, 'alone');
    await alone.connected;
    await settle();
    let startedAt = Date.now();
    expect((await post(demo.url, 'alone', { content: 'how long?' })).status).toBe(202);
    await eventually(() => finals(alone.events).length === 1, 15_000);
    const oneAnswerMs = Date.now() - startedAt;

    const chats = Array.from({ length: 20 }, (_, i) => `chat-${i}`);
    const streams = chats.map((chatId) => readEvents(demo.url, chatId));
    await Promise.all(streams.map((stream) => stream.connected));
    await settle();
    startedAt = Date.now();
    const posts = await Promise.all(chats.map((chatId) => post(demo.url, chatId, { content: `question from ${chatId}` })));
    expect(posts.map((response) => response.status)).toEqual(chats.map(() => 202));
    await eventually(() => streams.every((stream) => finals(stream.events).length === 1), 30_000);
    const allMs = Date.now() - startedAt;

    for (const [i, stream] of streams.entries()) {
      const { events } = stream;
      expect(finals(events)).toEqual([expected(`question from ${chats[i]}`)]);
      // Drafts grow towards the answer, and come between the placeholder and the final message.
      const drafts = events.filter((event) => event.type === 'draft').map((event) => String(event.data.text));
      expect(drafts.length).toBeGreaterThan(1);
      expect(drafts.every((draft) => expected(`question from ${chats[i]}`).startsWith(draft))).toBe(true);
      const order = events.map((event) => event.type).filter((type) => type !== 'typing');
      expect(order[0]).toBe('placeholder');
      expect(order.indexOf('final')).toBeGreaterThan(order.lastIndexOf('draft'));
    }
    // In parallel: nowhere near 20 answers' time.
    expect(allMs).toBeLessThan(oneAnswerMs * 3);
    for (const stream of [alone, ...streams]) stream.close();
  });

  it('answers one chat’s messages in order, one turn after the other', async () => {
    const demo = await startDemo();
    const stream = readEvents(demo.url, 'ordered');
    await stream.connected;
    await settle();
    await post(demo.url, 'ordered', { content: 'first' });
    await eventually(() => finals(stream.events).length === 1, 15_000);
    await post(demo.url, 'ordered', { content: 'second' });
    await eventually(() => finals(stream.events).length === 2, 15_000);
    expect(finals(stream.events)).toEqual([expected('first'), answerTo([{ role: 'user', content: 'first' }, { role: 'assistant', content: '' }, { role: 'user', content: 'second' }])]);
    stream.close();
  });

  it('refuses bad input with a clear answer and publishes nothing', async () => {
    const demo = await startDemo();
    expect(await post(demo.url, 'c1', {})).toMatchObject({ status: 400, json: { field: 'content', message: 'content must be a non-empty string' } });
    expect(await post(demo.url, 'c1', { content: 42 })).toMatchObject({ status: 400, json: { field: 'content' } });
    expect(await post(demo.url, 'bad%20id', { content: 'hi' })).toMatchObject({ status: 400, json: { field: 'chatId' } });
    expect((await post(demo.url, 'c1', undefined, '{"content": ')).status).toBe(400);
    expect((await post(demo.url, 'c1', { content: 'x'.repeat(17 * 1024) })).status).toBe(413);
    const stats = (await (await fetch(`${demo.url}/api/bus/stats`)).json()) as { lanes: { inbound: { published: number } } };
    expect(stats.lanes.inbound.published).toBe(0);
  });

  it('on SIGTERM while answers stream, answers every accepted message, then says bye and exits', async () => {
    const demo = await startDemo({ DEMO_TOKEN_MS: '40' });
    const chats = ['a', 'b', 'c', 'd', 'e'];
    const streams = chats.map((chatId) => readEvents(demo.url, chatId));
    await Promise.all(streams.map((stream) => stream.connected));
    await settle();
    for (const chatId of chats) expect((await post(demo.url, chatId, { content: `before shutdown ${chatId}` })).status).toBe(202);
    await eventually(() => streams.every((stream) => stream.events.some((event) => event.type === 'draft')), 10_000);
    const exited = demo.stop('SIGTERM');
    await settle();
    // While the bus drains, new messages are refused with 503 and Retry-After.
    const late = await post(demo.url, 'a', { content: 'too late' });
    expect(late.status).toBe(503);
    expect(late.headers.get('retry-after')).toBe('5');
    // Nest closes the app, then raises the signal again, as a process that did not handle it would end.
    expect(await exited).toEqual({ code: null, signal: 'SIGTERM' });
    for (const [i, stream] of streams.entries()) {
      expect(finals(stream.events)).toEqual([expected(`before shutdown ${chats[i]}`)]);
      expect(stream.events.at(-1)?.type).toBe('bye');
    }
    expect(demo.output()).toMatch(/Shut down \(SIGTERM\): drained in \d+ ms, timed out: false/);
  });
});

describe('the web chat demo with OPENAI_BASE_URL', () => {
  let server: Awaited<ReturnType<typeof startSseServer>>;
  const deltas = ['Hi', ' from', ' an', ' OpenAI-compatible', ' endpoint.'];
  beforeAll(async () => {
    const chunk = (delta: object, finish: string | null = null) =>
      sse({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'local', choices: [{ index: 0, delta, finish_reason: finish }] });
    server = await startSseServer((path) =>
      path === '/v1/chat/completions'
        ? { events: [chunk({ role: 'assistant', content: '' }), ...deltas.map((content) => chunk({ content })), chunk({}, 'stop'), sse('[DONE]')], intervalMs: 10 }
        : undefined,
    );
  });
  afterAll(() => server.close());

  it('streams the endpoint’s answer through the adapter', async () => {
    const demo = await startDemo({ OPENAI_BASE_URL: `${server.url}/v1`, OPENAI_API_KEY: 'test', OPENAI_MODEL: 'local' });
    expect(demo.output()).toContain('model: local at');
    const stream = readEvents(demo.url, 'c1');
    await stream.connected;
    await settle();
    await post(demo.url, 'c1', { content: 'hello' });
    await eventually(() => finals(stream.events).length === 1, 10_000);
    expect(finals(stream.events)).toEqual([deltas.join('')]);
    const request = server.requests.at(-1);
    expect(request?.body).toMatchObject({ model: 'local', stream: true, messages: [{ role: 'system' }, { role: 'user', content: 'hello' }] });
    stream.close();
  });
});
