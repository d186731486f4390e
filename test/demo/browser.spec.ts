import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { answerTo } from '../../sample/agent/simulated-model.js';
import { startDemo, stopDemos } from './demo-process.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
/** CI sets it: there, a missing browser is a failure, not a skip. */
const REQUIRED = process.env.REQUIRE_BROWSER === '1';

const available = existsSync(CHROMIUM);
if (!available && !REQUIRED) console.log(`browser test skipped: no chromium at ${CHROMIUM} (set CHROMIUM_PATH, or install Debian's chromium)`);
const itWithBrowser = available || REQUIRED ? it : it.skip;

afterEach(() => stopDemos());

describe('the web chat demo in a real browser', () => {
  itWithBrowser('shows the answer growing as drafts, then the final answer', async () => {
    const demo = await startDemo({ DEMO_TOKEN_MS: '40' });
    const userDataDir = mkdtempSync(join(tmpdir(), 'agent-bus-chromium-'));
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
      viewport: { width: 900, height: 700 },
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto(demo.url);
      await page.locator('[data-testid=message-input]').fill('What does the bus do with my message?');
      await page.locator('[data-testid=send]').click();

      const answer = page.locator('[data-testid=answer]').last();
      const final = answerTo([{ role: 'user', content: 'What does the bus do with my message?' }]);
      const seen = new Set<string>();
      const deadline = Date.now() + 15_000;
      for (let text = ''; text !== final && Date.now() < deadline; await page.waitForTimeout(25)) {
        text = (await answer.count()) > 0 ? await answer.innerText() : '';
        if (text !== '' && text !== 'Thinking…') seen.add(text);
      }
      const partials = [...seen].filter((text) => text !== final);
      expect(partials.length).toBeGreaterThanOrEqual(2);
      expect(partials.every((text) => final.startsWith(text.trimEnd()))).toBe(true);
      await expect(answer.innerText()).resolves.toBe(final);
      await page.locator('[data-testid=status]').filter({ hasText: /delivered 1\b/ }).waitFor();

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'demo.png') });
    } finally {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    }
  });
});
