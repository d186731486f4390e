import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One recorded stream: Server-Sent-Events blocks, sent `intervalMs` apart. */
export interface SseScript {
  events: string[];
  intervalMs?: number;
}

/** What the server saw of one request. */
export interface SeenRequest {
  path: string;
  body: Record<string, unknown>;
  /** When the client closed the connection before the stream ended (it aborted). */
  abortedAt?: number;
  /** Events written before the stream ended or was aborted. */
  written: number;
}

/** `data:` line of a JSON event, with an `event:` line when named. */
export function sse(data: unknown, event?: string): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  return `${event === undefined ? '' : `event: ${event}\n`}data: ${payload}`;
}

/**
 * A local HTTP server on 127.0.0.1 that replays recorded SSE streams, chosen by path and by the request's
 * `model`, so the real SDKs run against it as against the live services.
 */
export async function startSseServer(script: (path: string, model: string) => SseScript | undefined) {
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => void serve(req, res));

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const body = raw === '' ? {} : (JSON.parse(raw) as Record<string, unknown>);
    const path = (req.url ?? '').split('?')[0];
    const seen: SeenRequest = { path, body, written: 0 };
    requests.push(seen);
    const found = script(path, String(body.model ?? ''));
    if (found === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `no script for ${path}` } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    let ended = false;
    res.on('close', () => {
      if (!ended) seen.abortedAt = Date.now();
    });
    for (const event of found.events) {
      if (seen.abortedAt !== undefined) return;
      res.write(`${event}\n\n`);
      seen.written++;
      if (found.intervalMs) await new Promise((resolve) => setTimeout(resolve, found.intervalMs));
    }
    ended = true;
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
