/**
 * A scan of YAML text for how deeply it nests, before it reaches the
 * parser: the parser recurses, and a document nested thousands of levels
 * deep overflows the stack inside it, after which V8 can fail fatally
 * (out of memory compiling the next regex). One pass, no recursion.
 */

/** Where the nesting first goes deeper than the limit. */
export interface TooDeep {
  line: number;
  depth: number;
}

/**
 * Finds the first line where block indentation levels, `- `/`? ` entries
 * and open flow brackets (`[`, `{`, outside quotes and comments) together
 * exceed `limit`; block scalars (`|`, `>`) are skipped. An over-estimate at
 * worst: the exact depth is checked after parsing.
 */
export function findTooDeep(text: string, limit: number): TooDeep | undefined {
  const indents: number[] = [];
  let flow = 0;
  let blockScalarIndent: number | undefined;
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const indent = /^ */.exec(line)?.[0].length ?? 0;
    const content = line.slice(indent);
    if (blockScalarIndent !== undefined) {
      if (content === '' || indent > blockScalarIndent) continue;
      blockScalarIndent = undefined;
    }
    if (content === '' || content.startsWith('#')) continue;
    if (flow === 0) {
      while (indents.length > 0 && (indents.at(-1) ?? 0) >= indent) indents.pop();
      indents.push(indent);
    }
    const entries = /^(?:[-?](?: +|$))*/.exec(content)?.[0].replace(/ /g, '').length ?? 0;
    let depth = flow;
    let maxDepth = flow;
    let quote: string | undefined;
    for (let i = 0; i < content.length; i++) {
      const ch = content[i];
      if (quote) {
        if (ch === '\\' && quote === '"') i++;
        else if (ch === quote) quote = undefined;
      } else if (ch === '"' || ch === "'") {
        quote = ch;
      } else if (ch === '#' && (i === 0 || content[i - 1] === ' ')) {
        break;
      } else if (ch === '[' || ch === '{') {
        depth++;
        maxDepth = Math.max(maxDepth, depth);
      } else if (ch === ']' || ch === '}') {
        depth = Math.max(0, depth - 1);
      }
    }
    flow = depth;
    const total = indents.length + entries + maxDepth;
    if (total > limit) return { line: index + 1, depth: total };
    if (flow === 0 && /[|>][-+0-9]*\s*(#.*)?$/.test(content)) blockScalarIndent = indent;
  }
  return undefined;
}
