import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

interface CompatResult {
  nest: string;
  replies: number;
  inOrder: boolean;
  report: { undelivered: number; timedOut: boolean; rejectedPublishers: number };
}

/** Runs a script in its own Node process; resolves with what it printed, even if a signal ended it. */
async function runScript(relativePath: string): Promise<{ stdout: string; signal: NodeJS.Signals | null }> {
  const script = fileURLToPath(new URL(relativePath, import.meta.url));
  try {
    const { stdout } = await run(process.execPath, [script], { timeout: 30_000, env: { ...process.env, NODE_OPTIONS: '' } });
    return { stdout, signal: null };
  } catch (error) {
    const { stdout, signal } = error as { stdout?: string; signal?: NodeJS.Signals | null };
    if (stdout === undefined) throw error;
    return { stdout, signal: signal ?? null };
  }
}

/** Runs one compatibility app in its own Node process, as its users would, against the built package. */
async function runApp(relativePath: string): Promise<CompatResult> {
  const { stdout } = await runScript(relativePath);
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as CompatResult;
}

describe('compatibility of the built package', () => {
  it.each([
    ['an ESM app on Nest 12', './nest12-esm/app.mjs', '12'],
    ['a CommonJS app on Nest 11 (the CommonJS build, through require)', './nest11/app.cjs', '11'],
  ])('%s loads it, publishes, handles and closes with a full drain', async (_name, script, major) => {
    const result = await runApp(script);
    expect(result.nest.split('.')[0]).toBe(major);
    expect(result.replies).toBe(200);
    expect(result.inOrder).toBe(true);
    expect(result.report).toMatchObject({ undelivered: 0, timedOut: false, rejectedPublishers: 0 });
  });

  it('drains every buffered message and reply on SIGTERM with enableShutdownHooks()', async () => {
    const { stdout, signal } = await runScript('./nest12-esm/sigterm.mjs');
    // Nest re-raises the signal once the shutdown hooks are done, so the process still dies of it.
    expect(signal).toBe('SIGTERM');
    expect(JSON.parse(stdout.trim())).toEqual({ signal: 'SIGTERM', sent: 300 });
  });

  it('answers all of 20 parallel 500 ms turns in 20 chats when SIGTERM arrives half-way', async () => {
    const { stdout, signal } = await runScript('./nest12-esm/sigterm-parallel.mjs');
    expect(signal).toBe('SIGTERM');
    const result = JSON.parse(stdout.trim()) as { sent: number; elapsedMs: number };
    expect(result.sent).toBe(20);
    // In parallel: about one turn, where one chat at a time would take ten seconds.
    expect(result.elapsedMs).toBeLessThan(2500);
  });

  it('a `nest new`-shaped Nest 11 project tests an app using the package with its default Jest set-up', async () => {
    const project = fileURLToPath(new URL('./nest11-jest/', import.meta.url));
    const jest = fileURLToPath(new URL('./nest11-jest/node_modules/jest/bin/jest.js', import.meta.url));
    const { stdout, stderr } = await run(process.execPath, [jest, '--ci'], { cwd: project, timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '' } });
    expect(`${stdout}${stderr}`).toMatch(/Tests:\s+1 passed, 1 total/);
  }, 90_000);

  it('resolves require() to the CommonJS build and import to the ESM one', async () => {
    const app = fileURLToPath(new URL('./nest11/', import.meta.url));
    const { stdout } = await run(
      process.execPath,
      ['-e', "const p = require.resolve('nestjs-agent-bus'); import('nestjs-agent-bus').then((m) => console.log(JSON.stringify({ require: p, esm: typeof m.BusModule })))"],
      { cwd: app, timeout: 30_000 },
    );
    const result = JSON.parse(stdout) as { require: string; esm: string };
    expect(result.require).toMatch(/dist[\\/]cjs[\\/]index\.js$/);
    expect(result.esm).toBe('function');
  });
});
