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

/** Runs one compatibility app in its own Node process, as its users would, against the built package. */
async function runApp(relativePath: string): Promise<CompatResult> {
  const script = fileURLToPath(new URL(relativePath, import.meta.url));
  const { stdout } = await run(process.execPath, [script], { timeout: 30_000, env: { ...process.env, NODE_OPTIONS: '' } });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as CompatResult;
}

describe('compatibility of the built package', () => {
  it.each([
    ['an ESM app on Nest 12', './nest12-esm/app.mjs', '12'],
    ['a CommonJS app on Nest 11 (require of ESM)', './nest11/app.cjs', '11'],
  ])('%s loads it, publishes, handles and closes with a full drain', async (_name, script, major) => {
    const result = await runApp(script);
    expect(result.nest.split('.')[0]).toBe(major);
    expect(result.replies).toBe(200);
    expect(result.inOrder).toBe(true);
    expect(result.report).toMatchObject({ undelivered: 0, timedOut: false, rejectedPublishers: 0 });
  });
});
