import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../sample/dist/main.js', import.meta.url));

/** The demo app running as `npm start` runs it, in its own process, on an ephemeral port of 127.0.0.1. */
export interface DemoProcess {
  url: string;
  child: ChildProcess;
  /** Everything it printed so far. */
  output: () => string;
  /** Resolves once the process exited: its code, or the signal that ended it. */
  exited: Promise<Exit>;
  stop: (signal?: NodeJS.Signals) => Promise<Exit>;
}

/** How a process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const running: DemoProcess[] = [];

export async function startDemo(env: Record<string, string> = {}): Promise<DemoProcess> {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DEMO_TOKEN_MS: '15', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += String(chunk)));
  child.stderr?.on('data', (chunk) => (output += String(chunk)));
  const exited = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo did not start in time:\n${output}`)), 15_000);
    const look = () => {
      const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (found !== null) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    };
    child.stdout?.on('data', look);
    void exited.then(({ code, signal }) => reject(new Error(`the demo exited (${code ?? signal}):\n${output}`)));
  });
  const demo: DemoProcess = {
    url,
    child,
    output: () => output,
    exited,
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
  running.push(demo);
  return demo;
}

/** Stops every demo still running (for `afterEach`). */
export async function stopDemos(): Promise<void> {
  await Promise.all(running.splice(0).map((demo) => demo.stop('SIGKILL')));
}

/** One Server-Sent Event as the page receives it. */
export interface ChatEvent {
  type: string;
  data: Record<string, unknown>;
  at: number;
}

/** Reads a chat's event stream as `EventSource` would, until it ends or `close()` is called. */
export function readEvents(url: string, chatId: string) {
  const events: ChatEvent[] = [];
  const controller = new AbortController();
  const connected = new Promise<void>((resolve, reject) => {
    void (async () => {
      try {
        const response = await fetch(`${url}/api/chats/${chatId}/events`, { signal: controller.signal, headers: { accept: 'text/event-stream' } });
        resolve();
        const decoder = new TextDecoder();
        let buffer = '';
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const type = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
            const data = /^data: (.*)$/m.exec(block)?.[1];
            events.push({ type, data: data === undefined ? {} : (JSON.parse(data) as Record<string, unknown>), at: Date.now() });
          }
        }
      } catch (error) {
        if (!controller.signal.aborted) reject(error);
      }
    })();
  });
  return { events, connected, close: () => controller.abort() };
}

export async function post(url: string, chatId: string, body: unknown, raw?: string) {
  const response = await fetch(`${url}/api/chats/${chatId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: raw ?? JSON.stringify(body),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON (an HTML error page from the body parser, say)
  }
  return { status: response.status, json, headers: response.headers };
}
