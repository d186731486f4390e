import type { ChatTurn, LanguageModel } from './language-model.js';

/** Milliseconds between tokens: about the pace of a hosted model. `DEMO_TOKEN_MS` overrides it. */
const DEFAULT_TOKEN_MS = 35;

/**
 * A deterministic stand-in for an LLM: no network, no keys. It answers from what the user wrote, streaming
 * word by word with a model's pacing, and stops at once when its signal aborts.
 */
export class SimulatedModel implements LanguageModel {
  readonly name = 'simulated';

  constructor(private readonly tokenMs = Number(process.env.DEMO_TOKEN_MS ?? DEFAULT_TOKEN_MS)) {}

  async *stream(history: readonly ChatTurn[], signal: AbortSignal): AsyncIterable<string> {
    for (const token of tokenize(answerTo(history))) {
      await pause(this.tokenMs, signal);
      yield token;
    }
  }
}

/** The answer: it quotes the question and says what the bus did with it. */
export function answerTo(history: readonly ChatTurn[]): string {
  const question = history.at(-1)?.content.trim() ?? '';
  const turn = history.filter((entry) => entry.role === 'user').length;
  const quoted = question.length > 120 ? `${question.slice(0, 117)}...` : question;
  return (
    `You asked: "${quoted}". ` +
    `This answer is streamed through nestjs-agent-bus: your message went into the inbound lane, ` +
    `the agent took it in your chat's turn while other chats were answered in parallel, ` +
    `and the web channel is showing the answer as it grows. This is turn ${turn} of this chat.`
  );
}

function tokenize(text: string): string[] {
  return text.split(/(?<= )/);
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
