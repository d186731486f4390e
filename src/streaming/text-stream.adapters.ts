import { readStringField } from '../bus/describe.js';

/**
 * Turns the streams of common LLM SDKs into the plain text deltas {@link pipeTextStream} and `respond()`
 * take. The types below describe only what is read, so no SDK is a dependency.
 *
 * Every adapter iterates its source with `for await`, so stopping the adapter (its `return()`, as
 * `pipeTextStream` does on abort) also stops the source. For the OpenAI and Anthropic SDKs that aborts the
 * HTTP request; the Vercel AI SDK's `textStream` does not, so give `streamText` the answer's signal as
 * `abortSignal` (pass `respond` a function: `(signal) => fromAiSdkTextStream(streamText({ ..., abortSignal: signal }))`).
 * Passing the signal to the SDK call is the surest way with every SDK.
 */

/** The part of an OpenAI `chat.completion.chunk` (Chat Completions API, `stream: true`) that is read. */
export interface ChatCompletionChunkLike {
  choices: ReadonlyArray<{
    /** Which of the `n` choices this delta belongs to. */
    index?: number;
    /** Only `content` is read; the other fields are listed so chunks without content still type-check. */
    delta?: { role?: string; content?: string | null; refusal?: string | null; tool_calls?: unknown } | null;
  }>;
}

/** The part of an OpenAI Responses API stream event (`responses.create({ stream: true })`) that is read. */
export interface ResponsesStreamEventLike {
  type: string;
  /** The text of a `response.output_text.delta` event. */
  delta?: unknown;
  /** The error of an `error` or `response.failed` event. */
  message?: string;
  response?: { error?: { message?: string } | null } | null;
}

/** The part of an Anthropic Messages stream event (`messages.create({ stream: true })` or `messages.stream()`) that is read. */
export interface AnthropicStreamEventLike {
  type: string;
  /** A `text_delta` (`{ type: 'text_delta', text }`) is read; thinking, tool input and citations are skipped. */
  delta?: unknown;
}

/** The part of a Vercel AI SDK `streamText()` result that is read. */
export interface AiSdkTextStreamLike {
  textStream: AsyncIterable<string>;
  /**
   * Every part of the stream: read in preference to `textStream`, which ends quietly on an error, so a
   * failed answer would look complete.
   */
  fullStream?: AsyncIterable<AiSdkStreamPartLike>;
}

/** The part of an AI SDK `fullStream` part that is read (`text` since AI SDK 5, `textDelta` before). */
export interface AiSdkStreamPartLike {
  type: string;
  text?: unknown;
  textDelta?: unknown;
  error?: unknown;
  reason?: unknown;
}

/**
 * Yields the text of the first choice (`index` 0) of each chunk. Chunks without text, such as the
 * role-only first chunk, tool-call chunks and the usage chunk with empty `choices`, are skipped.
 */
export async function* fromOpenAIChatStream(stream: AsyncIterable<ChatCompletionChunkLike>): AsyncGenerator<string> {
  for await (const chunk of stream) {
    // With `n` > 1, chunks of the other choices arrive interleaved; only the first is the answer.
    const choice = chunk.choices?.find((candidate) => (candidate.index ?? 0) === 0);
    const content = choice?.delta?.content;
    if (typeof content === 'string' && content !== '') yield content;
  }
}

/**
 * Yields the text of `response.output_text.delta` events; other events (created, reasoning, tool calls,
 * completed) are skipped. An `error` or `response.failed` event throws, so the answer is not finalized.
 */
export async function* fromOpenAIResponsesStream(stream: AsyncIterable<ResponsesStreamEventLike>): AsyncGenerator<string> {
  for await (const event of stream) {
    if (event.type === 'response.output_text.delta' && typeof event.delta === 'string' && event.delta !== '') yield event.delta;
    else if (event.type === 'error') throw new Error(`OpenAI stream error: ${event.message ?? 'unknown'}`);
    else if (event.type === 'response.failed') throw new Error(`OpenAI response failed: ${event.response?.error?.message ?? 'unknown'}`);
  }
}

/** Yields the text of `content_block_delta` events with a `text_delta`; thinking, tool input and the other events are skipped. */
export async function* fromAnthropicStream(stream: AsyncIterable<AnthropicStreamEventLike>): AsyncGenerator<string> {
  for await (const event of stream) {
    if (event.type !== 'content_block_delta' || typeof event.delta !== 'object' || event.delta === null) continue;
    const { type, text } = event.delta as { type?: unknown; text?: unknown };
    if (type === 'text_delta' && typeof text === 'string' && text !== '') yield text;
  }
}

/**
 * Yields the text deltas of a `streamText()` result, or of a plain text stream. A result's `fullStream` is
 * read when it has one, so that an error part (the provider failed mid-stream) or an abort part throws
 * instead of ending the answer as if it were complete. Stopping it does not abort the model's request:
 * pass `streamText` an `abortSignal` for that.
 */
export async function* fromAiSdkTextStream(result: AiSdkTextStreamLike | AsyncIterable<string>): AsyncGenerator<string> {
  if (!isAiSdkResult(result)) {
    for await (const delta of result) if (typeof delta === 'string' && delta !== '') yield delta;
    return;
  }
  // Both are getters that tee a new stream on every read, so each is read once, and only one of them.
  const fullStream = result.fullStream;
  if (fullStream === undefined) {
    for await (const delta of result.textStream) if (typeof delta === 'string' && delta !== '') yield delta;
    return;
  }
  for await (const part of fullStream) {
    if (part.type === 'text-delta') {
      const text = part.text ?? part.textDelta;
      if (typeof text === 'string' && text !== '') yield text;
    } else if (part.type === 'error') {
      throw part.error instanceof Error ? part.error : new Error(`AI SDK stream error: ${readStringField(part.error, 'message') ?? String(part.error)}`, { cause: part.error });
    } else if (part.type === 'abort') {
      throw new Error(`AI SDK stream aborted${typeof part.reason === 'string' ? `: ${part.reason}` : ''}`);
    }
  }
}

function isAiSdkResult(result: AiSdkTextStreamLike | AsyncIterable<string>): result is AiSdkTextStreamLike {
  return typeof result === 'object' && result !== null && 'textStream' in result;
}
