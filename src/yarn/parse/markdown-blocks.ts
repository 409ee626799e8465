/**
 * Finds the code blocks the reference engine sees: a line-for-line port of
 * python-markdown 3.4's block parser (no extensions), restricted to what
 * decides which `<pre><code>` elements end up as direct children of the
 * document root, and what their text is.
 *
 * Why a port and not markdown-it: the reference is python-markdown, whose
 * rules differ from CommonMark in exactly the places yarn files trip over
 * (an indented block right after a list belongs to the list; a paragraph's
 * indented next line is a lazy continuation; tabs are expanded to 4 columns;
 * blank-line-separated blocks merge). A hand-written scanner also keeps the
 * shell-only startup path free of a Markdown library (spec §3, startup ≤ 1.2×).
 * Nested content (list items, block quotes) is never parsed: only top-level
 * blocks can be scenario text.
 *
 * Every block keeps the source line of each of its lines.
 */
import type { CodeBlock } from '../model.js';
import { stripHtmlBlocks } from './html-blocks.js';

/** A chunk of the document being parsed: its text and the document line its first line is on. */
interface Chunk {
  text: string;
  start: number;
}

interface Element {
  tag: string;
  code?: { text: string; lines: number[] };
}

const TAB = 4;
const INDENT = ' '.repeat(TAB);
const HASH_RE = /(?:^|\n)(#{1,6})((?:\\.|[^\\])*?)#*(?:\n|$)/;
const SETEXT_RE = /^.*?\n[=-]+[ ]*(\n|$)/my;
const HR_RE = /^[ ]{0,3}(?=((-+[ ]{0,2}){3,}|(_+[ ]{0,2}){3,}|(\*+[ ]{0,2}){3,}))\1[ ]*$/m;
const OL_RE = /^[ ]{0,3}\d+\.[ ]+/;
const UL_RE = /^[ ]{0,3}[*+-][ ]+/;
const QUOTE_RE = /(^|\n)[ ]{0,3}>[ ]?(.*)/;
const REF_RE = /^[ ]{0,3}\[([^[\]]*)\]:[ ]*\n?[ ]*(\S+)[ ]*(?:\n[ ]*)?((["'])(.*)\4[ ]*|\((.*)\)[ ]*)?$/m;

/** Python's `str.expandtabs(4)` for one line. */
function expandTabs(line: string): string {
  if (!line.includes('\t')) return line;
  let out = '';
  for (const ch of line) {
    if (ch === '\t') out += ' '.repeat(TAB - (out.length % TAB));
    else out += ch;
  }
  return out;
}

/** Python's `str.strip()` emptiness test. */
function isBlank(text: string): boolean {
  return text.trim() === '';
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Returns the top-level indented code blocks of one Markdown file, as
 * python-markdown (and so cmdtest yarn) finds them.
 */
export function extractCodeBlocks(source: string, file: string): CodeBlock[] {
  if (isBlank(source)) return [];
  // NormalizeWhitespace preprocessor, on the whole string (cheap when there is nothing to do).
  let text = source;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: python-markdown strips its STX/ETX placeholders
  if (/[\u0002\u0003]/.test(text)) text = text.replace(/[\u0002\u0003]/g, '');
  if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
  text += '\n\n';
  if (text.includes('\t')) text = text.split('\n').map(expandTabs).join('\n');
  // `(?<=\n) +\n` -> '\n': space-only lines (not the first) become empty.
  text = text.replace(/\n +(?=\n)/g, '\n');
  let doc = text;
  let lineNumbers: number[] | undefined;
  if (/(^|\n) {0,3}</.test(text)) {
    const stripped = stripHtmlBlocks(
      text.split('\n'),
      text.split('\n').map((_, i) => i + 1),
    );
    doc = stripped.lines.join('\n');
    lineNumbers = stripped.lineNumbers;
  }

  const root: Element[] = [];
  const chunks: Chunk[] = [];
  let start = 0;
  for (const part of doc.split('\n\n')) {
    chunks.push({ text: part, start });
    start += countNewlines(part) + 2;
  }
  parseBlocks(root, chunks.reverse());

  const blocks: CodeBlock[] = [];
  for (const el of root) {
    if (el.tag !== 'pre' || !el.code) continue;
    const mapped: number[] = [];
    let last = 0;
    for (const idx of el.code.lines) {
      const n = idx < 0 ? last + 1 : lineNumbers ? (lineNumbers[idx] ?? last + 1) : idx + 1;
      mapped.push(n);
      last = n;
    }
    // PrettifyTreeprocessor: `code.text.rstrip() + '\n'` (no trailing blank lines, ever).
    const text = `${el.code.text.trimEnd()}\n`;
    blocks.push({ file, text, lines: mapped.slice(0, text.split('\n').length - 1) });
  }
  return blocks;
}

function lastChild(root: Element[]): Element | undefined {
  return root[root.length - 1];
}

function lastPre(root: Element[]): Element | undefined {
  const last = lastChild(root);
  return last?.tag === 'pre' && last.code ? last : undefined;
}

/** `BlockProcessor.detab`: the leading indented lines, and the rest. */
function detab(text: string): { code: string; rest: string; count: number } {
  const lines = text.split('\n');
  const out: string[] = [];
  for (const line of lines) {
    if (line.startsWith(INDENT)) out.push(line.slice(TAB));
    else if (isBlank(line)) out.push('');
    else break;
  }
  return { code: out.join('\n'), rest: lines.slice(out.length).join('\n'), count: out.length };
}

function appendCode(el: Element, text: string, firstLine: number, separator: boolean): void {
  const code = el.code!;
  const body = text.trimEnd();
  const bodyLines = body.split('\n');
  if (separator) {
    code.text += `\n${body}\n`;
    code.lines.push(-1);
  } else {
    code.text += `${body}\n`;
  }
  bodyLines.forEach((_, i) => {
    code.lines.push(firstLine + i);
  });
}

/** python-markdown's parseBlocks at the root; `blocks` is a stack (next block last) so taking and re-inserting the front block is O(1). */
function parseBlocks(root: Element[], blocks: Chunk[]): void {
  while (blocks.length > 0) {
    const chunk = blocks[blocks.length - 1]!;
    const block = chunk.text;
    if (block === '' || block.startsWith('\n')) {
      // EmptyBlockProcessor
      blocks.pop();
      let filler = '\n\n';
      if (block !== '') {
        filler = '\n';
        const rest = block.slice(1);
        if (rest) blocks.push({ text: rest, start: chunk.start + 1 });
      }
      const pre = lastPre(root);
      if (pre) {
        pre.code!.text += filler;
        for (let i = 0; i < filler.length; i++) pre.code!.lines.push(-1);
      }
      continue;
    }
    const last = lastChild(root);
    if (block.startsWith(INDENT) && (last?.tag === 'ul' || last?.tag === 'ol')) {
      // ListIndentProcessor: the block belongs to the list (nested, never scenario text).
      blocks.pop();
      continue;
    }
    if (block.startsWith(INDENT)) {
      // CodeBlockProcessor
      blocks.pop();
      const { code, rest, count } = detab(block);
      const pre = lastPre(root);
      if (pre) appendCode(pre, code, chunk.start, true);
      else {
        const el: Element = { tag: 'pre', code: { text: '', lines: [] } };
        root.push(el);
        appendCode(el, code, chunk.start, false);
      }
      if (rest) blocks.push({ text: rest, start: chunk.start + count });
      continue;
    }
    const hash = HASH_RE.exec(block);
    if (hash) {
      blocks.pop();
      const before = block.slice(0, hash.index);
      const endIdx = hash.index + hash[0].length;
      const after = block.slice(endIdx);
      if (before) parseBlocks(root, [{ text: before, start: chunk.start }]);
      root.push({ tag: 'h' });
      if (after) blocks.push({ text: after, start: chunk.start + countNewlines(block.slice(0, endIdx)) });
      continue;
    }
    SETEXT_RE.lastIndex = 0;
    if (SETEXT_RE.test(block)) {
      blocks.pop();
      const lines = block.split('\n');
      root.push({ tag: 'h' });
      if (lines.length > 2) blocks.push({ text: lines.slice(2).join('\n'), start: chunk.start + 2 });
      continue;
    }
    const hr = HR_RE.exec(block);
    if (hr) {
      blocks.pop();
      const prelines = block.slice(0, hr.index).replace(/\n+$/, '');
      if (prelines) parseBlocks(root, [{ text: prelines, start: chunk.start }]);
      root.push({ tag: 'hr' });
      const tail = block.slice(hr.index + hr[0].length);
      const postlines = tail.replace(/^\n+/, '');
      if (postlines) {
        const skipped =
          countNewlines(block.slice(0, hr.index + hr[0].length)) + (tail.length - postlines.length);
        blocks.push({ text: postlines, start: chunk.start + skipped });
      }
      continue;
    }
    if (OL_RE.test(block) || UL_RE.test(block)) {
      // O/UListProcessor: items are nested content; only the list element matters here.
      blocks.pop();
      if (last?.tag !== 'ul' && last?.tag !== 'ol') root.push({ tag: OL_RE.test(block) ? 'ol' : 'ul' });
      continue;
    }
    const quote = QUOTE_RE.exec(block);
    if (quote) {
      blocks.pop();
      parseBlocks(root, [{ text: block.slice(0, quote.index), start: chunk.start }]);
      if (lastChild(root)?.tag !== 'blockquote') root.push({ tag: 'blockquote' });
      continue;
    }
    const ref = REF_RE.exec(block);
    if (ref) {
      blocks.pop();
      const endIdx = ref.index + ref[0].length;
      const after = block.slice(endIdx);
      const before = block.slice(0, ref.index);
      if (!isBlank(after)) {
        const stripped = after.replace(/^\n+/, '');
        blocks.push({
          text: stripped,
          start: chunk.start + countNewlines(block.slice(0, endIdx)) + (after.length - stripped.length),
        });
      }
      if (!isBlank(before)) blocks.push({ text: before.replace(/\n+$/, ''), start: chunk.start });
      continue;
    }
    // ParagraphProcessor
    blocks.pop();
    if (!isBlank(block)) root.push({ tag: 'p' });
  }
}
