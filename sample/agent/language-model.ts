/** Injection token of the model the demo agent talks to. */
export const LANGUAGE_MODEL = 'demo:language-model';

/** One turn of the conversation. */
export interface ChatTurn {
  role: 'user' | 'assistant';
  content: string;
}

/** A model that streams its answer as text deltas, and stops when `signal` aborts. */
export interface LanguageModel {
  readonly name: string;
  stream(history: readonly ChatTurn[], signal: AbortSignal): AsyncIterable<string> | Promise<AsyncIterable<string>>;
}
