import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';

/** A `redis-server` of this test's own on 127.0.0.1, on a free port, in a scratch directory. */
export interface TestRedis {
  port: number;
  url: string;
  /** Stops the server (by its PID) and waits for it to exit. */
  stop(): Promise<void>;
  /** Stops it and starts it again on the same port and directory (with AOF, what it had comes back). */
  restart(downMs?: number): Promise<void>;
}

export const redisAvailable = existsSync(REDIS_SERVER);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts `redis-server` with no persistence (`--save '' --appendonly no`), unless `args` say otherwise. */
export async function startRedis(args: string[] = ['--save', '', '--appendonly', 'no']): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'agent-bus-redis-'));
  let current = await launch(port, dir, args);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      await current.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async (downMs = 200) => {
      await current.stop();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      current = await launch(port, dir, args);
    },
  };
}

async function launch(port: number, dir: string, args: string[]): Promise<{ stop(): Promise<void> }> {
  const child: ChildProcess = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += String(chunk)));
  child.stderr?.on('data', (chunk) => (output += String(chunk)));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
    child.stdout?.on('data', () => {
      if (!output.includes('Ready to accept connections')) return;
      clearTimeout(timer);
      resolve();
    });
    void exited.then(() => reject(new Error(`redis-server exited:\n${output}`)));
  });
  return {
    stop: async () => {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      await exited;
    },
  };
}
