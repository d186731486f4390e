/**
 * Turns the streams of common LLM SDKs into the plain text deltas {@link pipeTextStream} takes.
 * The types below describe only what is read, so no SDK is a dependency.
 *
 * Both adapters iterate their source with `for await`, so stopping the adapter (its `return()`, as
 * `pipeTextStream` does on abort) also stops the source, which for the SDKs aborts the HTTP request.
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

/** The part of a Vercel AI SDK `streamText()` result that is read. */
export interface AiSdkTextStreamLike {
  textStream: AsyncIterable<string>;
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

/** Yields the non-empty deltas of a `streamText()` result's `textStream`, or of a plain text stream. */
export async function* fromAiSdkTextStream(
  result: AiSdkTextStreamLike | AsyncIterable<string>,
): AsyncGenerator<string> {
  // `textStream` is a getter that tees a new stream on every read, so read it once.
  const source = isAiSdkResult(result) ? result.textStream : result;
  for await (const delta of source) {
    if (typeof delta === 'string' && delta !== '') yield delta;
  }
}

function isAiSdkResult(result: AiSdkTextStreamLike | AsyncIterable<string>): result is AiSdkTextStreamLike {
  return typeof result === 'object' && result !== null && 'textStream' in result;
}
