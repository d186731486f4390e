/**
 * Splits `text` into parts of at most `maxLength` characters, for channels with a message size limit.
 *
 * Lengths are counted in characters, i.e. code points: a surrogate pair (an emoji, a rare CJK
 * ideograph) counts as one and is never split.
 *
 * Where a part ends, the splitter prefers, in this order: a paragraph break (a blank line), a line
 * break, the end of a sentence (`.`, `!` or `?` followed by whitespace; `。`, `！` or `？` anywhere,
 * since CJK text puts no space after them), any whitespace, and last a hard cut at the limit. Among
 * cuts of the same kind it takes the last one that fits, so parts are as long as possible.
 *
 * Fenced code blocks (```` ``` ```` or `~~~`, with an optional info string) are not cut when a cut
 * outside them fits. When a block is too long to fit at all, it is cut at a line break inside it (or
 * hard-cut if one line is too long), the fence is closed at the end of the part and reopened with
 * the same info string at the start of the next one; the added fence lines count toward the limit.
 * When `maxLength` is too small to hold the fence lines plus some code, the block is cut like plain
 * text (at line breaks or whitespace if any fit, else hard), without fence repair.
 *
 * What is dropped at a cut: the whole run of whitespace around the cut (so no part starts or ends
 * with the whitespace it was cut at), except inside a code block cut with fence repair, where only
 * the line breaks at the cut are dropped so indentation survives. Nothing else is changed. So when
 * no fence had to be reopened, `text` is exactly the parts in order with only whitespace between
 * them, and removing all whitespace from `parts.join('')` gives `text` without whitespace. Leading
 * whitespace of the first part and trailing whitespace of the last part are kept.
 *
 * @returns the parts in order; `[]` for empty text; `[text]` when it already fits.
 * @throws TypeError when `maxLength` is not a positive integer or `text` is not a string.
 */
export function splitMessage(text: string, maxLength: number): string[] {
  if (typeof text !== 'string') throw new TypeError(`splitMessage: text must be a string, got ${typeof text}`);
  if (!Number.isInteger(maxLength) || maxLength < 1) {
    throw new TypeError(`splitMessage: maxLength must be a positive integer, got ${String(maxLength)}`);
  }
  if (text === '') return [];
  const chars = Array.from(text);
  if (chars.length <= maxLength) return [text];
  return new MessageSplitter(chars, maxLength).split();
}

/** How good a cut is; a higher value wins. */
const CutKind = { Hard: 0, Whitespace: 1, Sentence: 2, LineBreak: 3, Paragraph: 4 } as const;
type CutKind = (typeof CutKind)[keyof typeof CutKind];

/** A cut: the part ends before `end`, the next one starts at `resume`; what lies between is dropped. */
interface Cut {
  kind: CutKind;
  end: number;
  resume: number;
}

/** A fenced code block, as indexes into the text's code points. */
interface FencedBlock {
  /** Start of the opening fence line. */
  start: number;
  /** Index of the line break that ends the opening fence line. */
  openingLineBreak: number;
  /** Where the fence marker of the opening line starts (after up to three spaces of indentation). */
  markerStart: number;
  /** Index of the line break before the closing fence line; the text length when never closed. */
  closingLineBreak: number;
  /** Just after the closing fence marker; the text length when never closed. */
  end: number;
  /** The opening line without indentation, e.g. ```` ```ts ````, written again to reopen the block. */
  reopenLine: string;
  /** The fence marker written to close the block, e.g. ```` ``` ````. */
  closeMarker: string;
  /** Whether fence lines plus at least one character of code fit in a part. */
  repairable: boolean;
  /** Set once the block had to be cut without repair; it is then treated as plain text to the end. */
  unrepaired: boolean;
}

const SENTENCE_ENDS = new Set(['.', '!', '?', '。', '！', '？']);
const CJK_SENTENCE_ENDS = new Set(['。', '！', '？']);
const WHITESPACE = /^\s$/u;
const OPENING_FENCE = /^( {0,3})(`{3,}|~{3,})(.*)$/;
const CLOSING_FENCE = /^( {0,3})(`{3,}|~{3,})[ \t]*$/;

/** One run of {@link splitMessage}; holds the text and the fence currently carried over. */
class MessageSplitter {
  private readonly parts: string[] = [];
  private readonly blocks: FencedBlock[];
  /** For each cut position, the block it falls strictly inside, if any. */
  private readonly blockAt: (FencedBlock | undefined)[];
  /** The block the next part must reopen, when the previous part closed it. */
  private carried: FencedBlock | undefined;
  private pos = 0;

  constructor(
    private readonly chars: string[],
    private readonly maxLength: number,
  ) {
    this.blocks = findFencedBlocks(chars);
    for (const block of this.blocks) {
      // Reopen line + line break + one character of code + line break + close marker.
      block.repairable = block.reopenLine.length + block.closeMarker.length + 3 <= maxLength;
    }
    this.blockAt = mapCutPositionsToBlocks(this.blocks, chars.length);
  }

  split(): string[] {
    const length = this.chars.length;
    while (this.pos < length) {
      const prefix = this.carried ? `${this.carried.reopenLine}\n` : '';
      const budget = this.maxLength - prefix.length;
      if (length - this.pos <= budget) {
        this.emit(prefix, length, '');
        break;
      }
      const cut = this.bestCutOutsideBlocks(budget);
      if (cut) {
        this.emit(prefix, cut.end, '');
        this.carried = undefined;
        this.pos = cut.resume;
      } else {
        // Either cuts the block with repair, or gives up on the block so the next round cuts it as text.
        this.cutInsideBlock(prefix, budget);
      }
    }
    return this.parts;
  }

  private emit(prefix: string, end: number, suffix: string): void {
    this.parts.push(prefix + this.chars.slice(this.pos, end).join('') + suffix);
  }

  /** The preferred cut whose part fits in `budget` characters and does not fall inside a code block. */
  private bestCutOutsideBlocks(budget: number): Cut | undefined {
    const limit = this.pos + budget;
    let best: Cut | undefined;
    const consider = (cut: Cut): void => {
      if (cut.end <= this.pos || cut.end > limit || this.isInsideBlock(cut.end)) return;
      if (!best || cut.kind > best.kind || (cut.kind === best.kind && cut.end > best.end)) best = cut;
    };
    for (let i = this.pos + 1; i <= limit; i++) {
      const char = this.chars[i];
      if (isWhitespace(char) && !isWhitespace(this.chars[i - 1])) consider(this.whitespaceCut(i));
      else if (CJK_SENTENCE_ENDS.has(this.chars[i - 1]) && !isWhitespace(char)) {
        consider({ kind: CutKind.Sentence, end: i, resume: i });
      }
    }
    consider({ kind: CutKind.Hard, end: limit, resume: limit });
    return best;
  }

  /** The cut at the whitespace run starting at `start`, ranked by what the run contains. */
  private whitespaceCut(start: number): Cut {
    let end = start;
    let lineBreaks = 0;
    while (end < this.chars.length && isWhitespace(this.chars[end])) {
      if (this.chars[end] === '\n') lineBreaks++;
      end++;
    }
    let kind: CutKind = CutKind.Whitespace;
    if (lineBreaks >= 2) kind = CutKind.Paragraph;
    else if (lineBreaks === 1) kind = CutKind.LineBreak;
    else if (SENTENCE_ENDS.has(this.chars[start - 1])) kind = CutKind.Sentence;
    return { kind, end: start, resume: end };
  }

  private isInsideBlock(position: number): boolean {
    const block = this.blockAt[position];
    return block !== undefined && !block.unrepaired;
  }

  /**
   * No cut outside a code block fits, so the block reaching past the limit must be cut. Closes the
   * fence at the end of this part and reopens it in the next. When the fence lines do not fit, marks
   * the block unrepaired instead: from then on it is cut like plain text, down to hard cuts.
   */
  private cutInsideBlock(prefix: string, budget: number): void {
    const block = this.blockAt[this.pos + budget] as FencedBlock;
    const opensInThisPart = this.carried === block || this.pos <= block.markerStart;
    const cut = block.repairable && opensInThisPart ? this.repairedCut(block, budget) : undefined;
    if (!cut) {
      block.unrepaired = true;
      return;
    }
    this.emit(prefix, cut.end, `\n${block.closeMarker}`);
    this.carried = block;
    this.pos = cut.resume;
  }

  /** The last line break inside `block` that leaves room for the closing fence, else a hard cut. */
  private repairedCut(block: FencedBlock, budget: number): Cut | undefined {
    // At least one character of code on each side of the cut, so no part holds an empty block.
    const lowest = Math.max(this.pos + 1, block.openingLineBreak + 2);
    const highest = Math.min(this.pos + budget - block.closeMarker.length - 1, block.closingLineBreak - 1);
    for (let i = highest; i >= lowest; i--) {
      if (!isLineBreak(this.chars[i]) || isLineBreak(this.chars[i - 1])) continue;
      let resume = i;
      while (isLineBreak(this.chars[resume])) resume++;
      if (resume <= block.closingLineBreak) return { kind: CutKind.LineBreak, end: i, resume };
    }
    if (highest < lowest) return undefined;
    return { kind: CutKind.Hard, end: highest, resume: highest };
  }
}

function isWhitespace(char: string | undefined): boolean {
  return char !== undefined && WHITESPACE.test(char);
}

function isLineBreak(char: string | undefined): boolean {
  return char === '\n' || char === '\r';
}

/** Finds fenced code blocks the CommonMark way: a closing fence uses the same character, at least as many. */
function findFencedBlocks(chars: string[]): FencedBlock[] {
  const blocks: FencedBlock[] = [];
  let open: { start: number; lineBreak: number; markerStart: number; marker: string; info: string } | undefined;
  let lineStart = 0;
  while (lineStart <= chars.length) {
    let lineEnd = lineStart;
    while (lineEnd < chars.length && chars[lineEnd] !== '\n') lineEnd++;
    const line = chars.slice(lineStart, lineEnd).join('').replace(/\r$/, '');
    if (!open) {
      const opening = OPENING_FENCE.exec(line);
      const [, indent, marker, info] = opening ?? [];
      // A backtick fence's info string cannot contain backticks (that line is inline code instead).
      if (opening && !(marker.startsWith('`') && info.includes('`'))) {
        open = { start: lineStart, lineBreak: lineEnd, markerStart: lineStart + indent.length, marker, info };
      }
    } else {
      const closing = CLOSING_FENCE.exec(line);
      if (closing && closing[2][0] === open.marker[0] && closing[2].length >= open.marker.length) {
        blocks.push(toBlock(open, lineStart - 1, lineStart + closing[1].length + closing[2].length));
        open = undefined;
      }
    }
    lineStart = lineEnd + 1;
  }
  if (open) blocks.push(toBlock(open, chars.length, chars.length));
  return blocks;
}

function toBlock(
  open: { start: number; lineBreak: number; markerStart: number; marker: string; info: string },
  closingLineBreak: number,
  end: number,
): FencedBlock {
  return {
    start: open.start,
    openingLineBreak: open.lineBreak,
    markerStart: open.markerStart,
    closingLineBreak,
    end,
    reopenLine: `${open.marker}${open.info.trimEnd()}`,
    closeMarker: open.marker,
    repairable: false,
    unrepaired: false,
  };
}

function mapCutPositionsToBlocks(blocks: FencedBlock[], length: number): (FencedBlock | undefined)[] {
  const blockAt = new Array<FencedBlock | undefined>(length + 1).fill(undefined);
  for (const block of blocks) {
    for (let i = block.start + 1; i < block.end; i++) blockAt[i] = block;
  }
  return blockAt;
}
