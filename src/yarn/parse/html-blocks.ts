/**
 * A line-level approximation of python-markdown's HtmlBlockPreprocessor:
 * raw block-level HTML that starts a line (at most 3 spaces in) is taken out
 * of the Markdown up to its matching end tag (to the end of the document if
 * it never closes), so indented text inside it is never a code block. HTML
 * comments starting a line are taken out the same way. The removed region
 * becomes one placeholder paragraph surrounded by blank lines.
 */

const BLOCK_LEVEL = new Set(
  (
    'address article aside blockquote details div dl fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 ' +
    'header hgroup hr main menu nav ol p pre section table ul canvas colgroup dd body dt group iframe li legend ' +
    'math map noscript output object option progress script style summary tbody td textarea tfoot th thead tr video'
  ).split(' '),
);

const START_RE = /^ {0,3}<([a-zA-Z][^\s/>`]*)/;
const TAG_RE = /<(\/?)([a-zA-Z][^\s/>`]*)[^>]*?(\/?)>/g;
const PLACEHOLDER = '\u0002html\u0003';

/** Removes raw HTML blocks; `lineNumbers[i]` (source line of `lines[i]`) is kept in step. */
export function stripHtmlBlocks(
  lines: string[],
  lineNumbers: number[],
): { lines: string[]; lineNumbers: number[] } {
  if (!lines.some((l) => l.includes('<'))) return { lines, lineNumbers };
  const out: string[] = [];
  const nums: number[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const end = rawBlockEnd(lines, i);
    if (end === undefined) {
      out.push(line);
      nums.push(lineNumbers[i]!);
      i++;
      continue;
    }
    const n = lineNumbers[i]!;
    out.push('', PLACEHOLDER, '');
    nums.push(n, n, n);
    i = end + 1;
  }
  return { lines: out, lineNumbers: nums };
}

/** If a raw HTML block starts at line `i`, the index of its last line. */
function rawBlockEnd(lines: string[], i: number): number | undefined {
  const line = lines[i]!;
  const trimmed = line.replace(/^ {0,3}/, '');
  if (trimmed.startsWith('<!--')) {
    for (let j = i; j < lines.length; j++) {
      const from = j === i ? line.indexOf('<!--') + 4 : 0;
      if (lines[j]!.indexOf('-->', from) >= 0) return j;
    }
    return undefined; // never closed: python-markdown keeps it as text
  }
  const m = START_RE.exec(line);
  if (!m) return undefined;
  const tag = m[1]!.toLowerCase();
  if (!BLOCK_LEVEL.has(tag)) return undefined;
  if (tag === 'hr') return i;
  const stack: string[] = [];
  for (let j = i; j < lines.length; j++) {
    TAG_RE.lastIndex = 0;
    for (let t = TAG_RE.exec(lines[j]!); t; t = TAG_RE.exec(lines[j]!)) {
      const name = t[2]!.toLowerCase();
      if (t[1]) {
        const at = stack.lastIndexOf(name);
        if (at >= 0) stack.length = at;
        if (stack.length === 0) return j;
      } else if (!t[3] && name !== 'hr') {
        stack.push(name);
      }
    }
    if (stack.length === 0) return j;
  }
  return lines.length - 1;
}
