import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { splitMessage } from '../../src/streaming/split-message.js';

const codePoints = (text: string): number => Array.from(text).length;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})/;

/**
 * Checks the documented contract for splits without reopened fences: `text` is the parts in order
 * with only whitespace between them (none before the first part).
 */
function expectPartsSeparatedByWhitespace(text: string, parts: string[]): void {
  let rest = text;
  parts.forEach((part, index) => {
    const skipped = index === 0 ? 0 : rest.length - rest.trimStart().length;
    // After a hard cut nothing is skipped; after a whitespace cut the whole run is.
    const at = rest.startsWith(part, skipped) ? skipped : 0;
    expect(rest.startsWith(part, at)).toBe(true);
    rest = rest.slice(at + part.length);
  });
  expect(rest.trim()).toBe('');
}

/** Whether every fence opened in `part` is closed in it again. */
function fencesBalanced(part: string): boolean {
  let open: string | undefined;
  for (const line of part.split('\n')) {
    const marker = FENCE_LINE.exec(line)?.[1];
    if (!marker) continue;
    if (!open) open = marker;
    else if (marker[0] === open[0] && marker.length >= open.length && line.trim() === marker) open = undefined;
  }
  return open === undefined;
}

const withoutFenceLinesAndWhitespace = (text: string): string =>
  text
    .split('\n')
    .filter((line) => !FENCE_LINE.test(line))
    .join('')
    .replace(/\s/g, '');

const word = fc.constantFrom('alpha', 'beta', 'gamma', 'delta', 'x', 'supercalifragilistic', '😀', '👍🏽', '漢字', '今天天气很好');
const separator = fc.constantFrom(' ', ' ', ' ', '  ', '\n', '\n\n', '. ', '! ', '? ', '。', '！', '\t', '\r\n');
const proseToken = fc.oneof({ weight: 3, arbitrary: word }, { weight: 2, arbitrary: separator });
const prose = fc.array(proseToken, { maxLength: 80 }).map((tokens) => tokens.join(''));
const codeLine = fc
  .tuple(fc.constantFrom('', '  ', '    '), fc.array(word, { minLength: 1, maxLength: 6 }))
  .map(([indent, words]) => indent + words.join(' '));
const fencedBlock = fc
  .tuple(fc.constantFrom('```', '~~~', '````'), fc.constantFrom('', 'ts', 'python', 'json x'), fc.array(codeLine, { maxLength: 12 }))
  .map(([marker, info, lines]) => `\n${marker}${info}\n${lines.map((line) => `${line}\n`).join('')}${marker}\n`);
/** Prose with fenced blocks; starts with a word so no part begins with leading whitespace. */
const markdown = fc
  .tuple(word, fc.array(fc.oneof({ weight: 3, arbitrary: prose }, { weight: 1, arbitrary: fencedBlock }), { maxLength: 6 }))
  .map(([first, pieces]) => first + pieces.join(''));

describe('splitMessage', () => {
  describe('contract', () => {
    it('returns no parts for empty text and the text itself when it fits', () => {
      expect(splitMessage('', 10)).toEqual([]);
      expect(splitMessage('hello', 5)).toEqual(['hello']);
      expect(splitMessage('  spaced  ', 10)).toEqual(['  spaced  ']);
    });

    it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects maxLength %p with a TypeError', (max) => {
      expect(() => splitMessage('text', max)).toThrow(TypeError);
    });

    it('rejects a text that is not a string with a TypeError', () => {
      expect(() => splitMessage(42 as unknown as string, 10)).toThrow(TypeError);
    });

    it('counts characters, not UTF-16 units, and never splits a surrogate pair', () => {
      expect(splitMessage('😀😀😀', 3)).toEqual(['😀😀😀']);
      expect(splitMessage('😀😀😀😀😀', 2)).toEqual(['😀😀', '😀😀', '😀']);
    });
  });

  describe('cut preference', () => {
    it('prefers a paragraph break over a later line break', () => {
      expect(splitMessage('para one.\n\npara two\nline three', 25)).toEqual(['para one.', 'para two\nline three']);
    });

    it('prefers a line break over a later sentence end', () => {
      expect(splitMessage('Intro\nFirst. Second one', 17)).toEqual(['Intro', 'First. Second one']);
    });

    it('prefers a sentence end over a later space', () => {
      expect(splitMessage('One two. Three four five', 15)).toEqual(['One two.', 'Three four five']);
    });

    it('treats ! and ? as sentence ends', () => {
      expect(splitMessage('Wow! Really? Yes indeed', 14)).toEqual(['Wow! Really?', 'Yes indeed']);
    });

    it('cuts after CJK sentence ends, which need no following space', () => {
      expect(splitMessage('今天天气很好。我们去公园吧！然后回家', 10)).toEqual(['今天天气很好。', '我们去公园吧！', '然后回家']);
    });

    it('takes the last space that fits when there is no better cut', () => {
      expect(splitMessage('alpha beta gamma delta', 12)).toEqual(['alpha beta', 'gamma delta']);
    });

    it('hard-cuts a word longer than the limit', () => {
      expect(splitMessage('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    });

    it('drops the whole whitespace run at a cut, and nothing else', () => {
      expect(splitMessage('first part   \n\n   second part', 12)).toEqual(['first part', 'second part']);
    });

    it('does not produce a whitespace-only part from leading whitespace', () => {
      expect(splitMessage('\n\nabc defgh', 7)).toEqual(['\n\nabc', 'defgh']);
    });
  });

  describe('fenced code blocks', () => {
    it('cuts before a code block rather than inside it', () => {
      const text = 'Intro text here\n```js\ncode();\n```\nafter';
      expect(splitMessage(text, 30)).toEqual(['Intro text here', '```js\ncode();\n```\nafter']);
    });

    it('cuts after a code block rather than inside it', () => {
      const text = '```\nlet a;\n```\nsome words after it';
      expect(splitMessage(text, 20)).toEqual(['```\nlet a;\n```', 'some words after it']);
    });

    it('closes and reopens a block that does not fit, with its info string, at line breaks', () => {
      const text = `\`\`\`python\n${'print(1)\n'.repeat(6)}\`\`\``;
      const parts = splitMessage(text, 32);
      expect(parts[0]).toBe('```python\nprint(1)\nprint(1)\n```');
      for (const part of parts) {
        expect(codePoints(part)).toBeLessThanOrEqual(32);
        expect(part.startsWith('```python\n')).toBe(true);
        expect(part.endsWith('\n```')).toBe(true);
      }
      const code = parts.flatMap((part) => part.split('\n').slice(1, -1));
      expect(code).toEqual(Array(6).fill('print(1)'));
    });

    it('keeps the indentation of code lines at a cut inside a block', () => {
      const parts = splitMessage('~~~\nif x:\n    return 1\n    return 2\n~~~', 26);
      expect(parts).toEqual(['~~~\nif x:\n    return 1\n~~~', '~~~\n    return 2\n~~~']);
    });

    it('hard-cuts a code line longer than the limit and still repairs the fence', () => {
      const parts = splitMessage(`\`\`\`\n${'x'.repeat(30)}\n\`\`\``, 16);
      expect(parts).toEqual(['```\nxxxxxxxx\n```', '```\nxxxxxxxx\n```', '```\nxxxxxxxx\n```', '```\nxxxxxx\n```']);
    });

    it('falls back to hard cuts without repair when the fence lines cannot fit', () => {
      const text = '```typescript\nconst answer = 42;\n```';
      const parts = splitMessage(text, 8);
      expect(parts.every((part) => codePoints(part) <= 8)).toBe(true);
      expect(parts.join('').replace(/\s/g, '')).toBe(text.replace(/\s/g, ''));
    });
  });

  describe('properties', () => {
    it('keeps every part within the limit, on whole characters, for any text and limit', () => {
      fc.assert(
        fc.property(fc.oneof(markdown, fc.string({ unit: 'grapheme', maxLength: 200 })), fc.integer({ min: 1, max: 60 }), (text, max) => {
          const parts = splitMessage(text, max);
          for (const part of parts) {
            expect(codePoints(part)).toBeLessThanOrEqual(max);
            expect(part.length).toBeGreaterThan(0);
            expect(LONE_SURROGATE.test(part)).toBe(false);
          }
          expect(parts.length === 0).toBe(text === '');
        }),
        { numRuns: 600 },
      );
    });

    it('reproduces text without code blocks apart from whitespace at the cuts', () => {
      fc.assert(
        fc.property(prose, fc.integer({ min: 1, max: 60 }), (text, max) => {
          const parts = splitMessage(text, max);
          expectPartsSeparatedByWhitespace(text, parts);
          expect(parts.join('').replace(/\s/g, '')).toBe(text.replace(/\s/g, ''));
        }),
        { numRuns: 600 },
      );
    });

    it('balances fences in every part and loses nothing but whitespace and added fence lines', () => {
      fc.assert(
        fc.property(markdown, fc.integer({ min: 30, max: 120 }), (text, max) => {
          const parts = splitMessage(text, max);
          for (const part of parts) {
            expect(codePoints(part)).toBeLessThanOrEqual(max);
            expect(fencesBalanced(part)).toBe(true);
          }
          expect(withoutFenceLinesAndWhitespace(parts.join('\n'))).toBe(withoutFenceLinesAndWhitespace(text));
          // Where no fence had to be reopened, the stricter whitespace-only contract holds.
          const fenceLines = (value: string): number => value.split('\n').filter((line) => FENCE_LINE.test(line)).length;
          if (fenceLines(parts.join('\n')) === fenceLines(text)) expectPartsSeparatedByWhitespace(text, parts);
        }),
        { numRuns: 600 },
      );
    });
  });
});
