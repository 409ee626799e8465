/**
 * Translates a Python `re` pattern (as written after IMPLEMENTS) into a
 * JavaScript RegExp source with the same meaning for yarn's use (matching
 * one line of step text).
 *
 * Handled: `(?P<n>…)` → `(?<n>…)`, `(?P=n)` → `\k<n>`, `\A` → `^`, `\Z` → `$`,
 * `(?#…)` comments dropped, leading/inline global flags `(?aiLmsux)` turned
 * into RegExp flags (`x` strips whitespace and comments), scoped `(?i:…)`
 * groups (redundant, matching is case-insensitive anyway), `{,n}` → `{0,n}`.
 *
 * Python 3 `str` patterns are Unicode-aware (`\w` matches `ö`, `re.I` folds
 * `Ä`), so the pattern is first translated for JavaScript's `u` mode: `\w`
 * → `[\p{L}\p{N}_]`, `\d` → `\p{Nd}`, identity escapes such as `\"` (legal in
 * Python, a SyntaxError under `u`) become plain characters, lone `{`/`}`/`]`
 * are escaped. When even that does not compile, the plain (non-`u`)
 * translation is used, with ASCII `\w`/`\d`.
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
export function translatePythonRegex(pattern: string, location?: string, unicode = false): TranslatedPattern {
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
      else if (unicode) {
        const u = unicodeEscape(pattern, i, inClass);
        out += u.text;
        i += u.length;
        continue;
      } else out += ch + next;
      i += 2;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      out +=
        unicode &&
        (ch === '[' || ch === '{' || ch === '}' || ch === '(' || ch === ')' || ch === '/' || ch === '|')
          ? `\\${ch}`
          : ch;
      i++;
      continue;
    }
    const quant = /^\{(\d*)(,?)(\d*)\}/.exec(pattern.slice(i));
    if (ch === '{') {
      if (quant && (quant[1] !== '' || (quant[2] === ',' && quant[3] !== ''))) {
        out += `{${quant[1] || '0'}${quant[2]}${quant[3]}}`;
        i += quant[0].length;
      } else {
        out += '\\{';
        i++;
      }
      continue;
    }
    if (unicode && (ch === '}' || ch === ']')) {
      out += `\\${ch}`;
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

const SYNTAX = new Set('^$\\.*+?()[]{}|/'.split(''));

/** One escape sequence starting at `pattern[i]` (a backslash) in `u`-mode syntax. */
function unicodeEscape(pattern: string, i: number, inClass: boolean): { text: string; length: number } {
  const next = pattern[i + 1]!;
  switch (next) {
    case 'w':
      return { text: inClass ? '\\p{L}\\p{N}_' : '[\\p{L}\\p{N}_]', length: 2 };
    case 'W':
      if (inClass) throw new SyntaxError('\\W in a class');
      return { text: '[^\\p{L}\\p{N}_]', length: 2 };
    case 'd':
      return { text: '\\p{Nd}', length: 2 };
    case 'D':
      return { text: '\\P{Nd}', length: 2 };
    case 'U': {
      const hex = /^[0-9a-fA-F]{8}/.exec(pattern.slice(i + 2));
      if (!hex) throw new SyntaxError('bad \\U escape');
      return { text: `\\u{${hex[0].replace(/^0+(?=.)/, '')}}`, length: 10 };
    }
    case '0': {
      const oct = /^[0-7]{0,2}/.exec(pattern.slice(i + 2))![0];
      const code = Number.parseInt(`0${oct}`, 8);
      return { text: `\\x${code.toString(16).padStart(2, '0')}`, length: 2 + oct.length };
    }
    default:
      break;
  }
  if (/[A-Za-z0-9]/.test(next) || SYNTAX.has(next) || (inClass && next === '-')) {
    return { text: `\\${next}`, length: 2 };
  }
  // An identity escape of a non-syntax character (`\"`, `\ `, `\'`): the character itself.
  return { text: next, length: 2 };
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
  try {
    const u = translatePythonRegex(pattern, location, true);
    return new RegExp(u.source, `iyu${u.flags}`);
  } catch (err) {
    if (err instanceof YarnError) throw err;
  }
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
