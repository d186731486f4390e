/**
 * The Redis scenario's server: Debian's `redis-server` on 127.0.0.1 on a free port, without persistence,
 * stopped by its PID; and `redis-benchmark` against it, for the server's own XADD rate on this machine.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const SERVER = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';
const BENCHMARK = process.env.REDIS_BENCHMARK_PATH ?? '/usr/bin/redis-benchmark';

export const redisAvailable = () => existsSync(SERVER);

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves with `{ port, url, stop() }` once the server accepts connections. */
export async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'agent-bus-bench-redis-'));
  const child = spawn(SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  // A bench that fails or is interrupted must not leave the server running.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
  let output = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
    child.stdout.on('data', (chunk) => {
      output += String(chunk);
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr.on('data', (chunk) => (output += String(chunk)));
    void exited.then(() => reject(new Error(`redis-server exited:\n${output}`)));
  });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * XADD requests/s as `redis-benchmark` measures them (50 clients), one command per round trip or `pipeline`
 * at a time; `undefined` when the tool is not installed.
 */
export async function xaddRate(port, requests, pipeline = 1) {
  if (!existsSync(BENCHMARK)) return undefined;
  const args = ['-h', '127.0.0.1', '-p', String(port), '-n', String(requests), '-c', '50', '-P', String(pipeline), '-q', 'XADD', 'bench:xadd', '*', 'm', '{"content":"hello"}'];
  const { stdout } = await promisify(execFile)(BENCHMARK, args);
  await promisify(execFile)(BENCHMARK, ['-h', '127.0.0.1', '-p', String(port), '-n', '1', '-q', 'DEL', 'bench:xadd']);
  const match = /([\d.]+) requests per second/.exec(stdout);
  return match ? Number(match[1]) : undefined;
}
