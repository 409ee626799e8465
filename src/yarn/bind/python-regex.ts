/**
 * Translates a Python `re` pattern (as written after IMPLEMENTS) into a
 * JavaScript RegExp source with the same meaning for yarn's use (matching
 * one line of step text).
 *
 * Handled: `(?P<n>…)` → `(?<n>…)`, `(?P=n)` → `\k<n>`, `\A` → `^`, `\Z` → `$`,
 * `(?#…)` comments dropped, leading/inline global flags `(?aiLmsux)` turned
 * into RegExp flags (`x` strips whitespace and comments), scoped `(?i:…)`
 * groups (redundant, matching is case-insensitive anyway). The `u` flag is
 * never added: `\"` and friends are legal in Python and a SyntaxError in
 * JavaScript's unicode mode.
 */
import { YarnError } from '../errors.js';

export interface TranslatedPattern {
  source: string;
  /** Extra flags beyond yarn's `i` (`s`, `m`). */
  flags: string;
}

/**
 * @throws YarnError BAD_PATTERN for Python syntax JavaScript cannot express
 *   (conditional groups, `(?-i:…)`, `\N{…}`).
 */
export function translatePythonRegex(pattern: string, location?: string): TranslatedPattern {
  const fail = (what: string): never => {
    throw new YarnError('BAD_PATTERN', `Bad IMPLEMENTS regex "${pattern}": ${what}`, { location });
  };
  let flags = '';
  let verbose = false;
  // Global inline flags may appear anywhere in Python < 3.11; collect them first.
  const globalFlags = /\(\?([aiLmsux]+)\)/g;
  for (let m = globalFlags.exec(pattern); m; m = globalFlags.exec(pattern)) {
    if (isEscapedAt(pattern, m.index)) continue;
    for (const f of m[1]!) {
      if (f === 's' && !flags.includes('s')) flags += 's';
      if (f === 'm' && !flags.includes('m')) flags += 'm';
      if (f === 'x') verbose = true;
    }
  }
  let out = '';
  let inClass = false;
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) fail('trailing backslash');
      if (!inClass && next === 'A') out += '^';
      else if (!inClass && next === 'Z') out += '$(?![\\s\\S])';
      else if (next === 'N') fail('\\N{...} escapes are not supported');
      else out += ch + next;
      i += 2;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      out += ch;
      i++;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      out += ch;
      i++;
      // A ']' right after '[' or '[^' is literal in Python.
      if (pattern[i] === '^') {
        out += '^';
        i++;
      }
      if (pattern[i] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (verbose && /\s/.test(ch)) {
      i++;
      continue;
    }
    if (verbose && ch === '#') {
      while (i < pattern.length && pattern[i] !== '\n') i++;
      continue;
    }
    if (ch === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      let m = /^P<([A-Za-z_]\w*)>/.exec(rest);
      if (m) {
        out += `(?<${m[1]}>`;
        i += 2 + m[0].length;
        continue;
      }
      m = /^P=([A-Za-z_]\w*)\)/.exec(rest);
      if (m) {
        out += `\\k<${m[1]}>`;
        i += 2 + m[0].length;
        continue;
      }
      m = /^#[^)]*\)/.exec(rest);
      if (m) {
        i += 2 + m[0].length;
        continue;
      }
      m = /^[aiLmsux]+\)/.exec(rest);
      if (m) {
        i += 2 + m[0].length;
        continue;
      }
      m = /^([aiLmsux]*)(-[imsx]+)?:/.exec(rest);
      if (m) {
        if (m[2]?.includes('i')) fail('case-sensitive groups (?-i:...) are not supported');
        if (m[1]?.includes('x') || m[2]) fail('scoped flag groups other than (?i:...) are not supported');
        out += '(?:';
        i += 2 + m[0].length;
        continue;
      }
      if (rest.startsWith('(')) fail('conditional groups (?(...)...) are not supported');
      if (rest.startsWith('>')) fail('atomic groups (?>...) are not supported');
    }
    out += ch;
    i++;
  }
  return { source: out, flags };
}

function isEscapedAt(text: string, index: number): boolean {
  let n = 0;
  for (let j = index - 1; j >= 0 && text[j] === '\\'; j--) n++;
  return n % 2 === 1;
}

/**
 * Compiles a translated pattern for yarn's match rule: case-insensitive,
 * sticky (anchored at the start); callers check the match ends at the end.
 * @throws YarnError BAD_PATTERN when JavaScript rejects it.
 */
export function compileYarnRegex(pattern: string, location?: string): RegExp {
  const t = translatePythonRegex(pattern, location);
  try {
    return new RegExp(t.source, `iy${t.flags}`);
  } catch (err) {
    throw new YarnError('BAD_PATTERN', `Bad IMPLEMENTS regex "${pattern}": ${(err as Error).message}`, {
      location,
      cause: err,
    });
  }
}

/**
 * yarn's match rule: `re.match(regex, text, re.I)` then `m.end() == len(text)`.
 * Returns the captures ('' for unmatched groups) or undefined.
 */
export function matchYarn(regex: RegExp, text: string): string[] | undefined {
  regex.lastIndex = 0;
  const m = regex.exec(text);
  if (!m || m[0].length !== text.length) return undefined;
  return m.slice(1).map((c) => c ?? '');
}
