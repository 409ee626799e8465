/**
 * The one translator of Python `re` patterns into JavaScript RegExp
 * sources, for yarn-run's IMPLEMENTS regexes (docs/spec/yarn.md 1.3) and
 * morph's split rules (docs/spec/morph.md 5.4). Callers add their own
 * anchoring and flags and turn `UnsupportedPythonRegex` into their error.
 *
 * Handled: `(?P<n>…)` → `(?<n>…)`, `(?P=n)` → `\k<n>`, `\A` → `^`, `\Z` → `$`,
 * `(?#…)` comments dropped, leading/inline global flags `(?aiLmsux)` turned
 * into RegExp flags (`x` strips whitespace and comments), scoped `(?i:…)`
 * groups become plain groups, `{,n}` → `{0,n}`, a `]` right after `[` or
 * `[^` is literal.
 *
 * Python 3 `str` patterns are Unicode-aware (`\w` matches `ö`), so with
 * `unicode` the pattern is translated for JavaScript's `u` mode: `\w` →
 * `[\p{L}\p{N}_]`, `\d` → `\p{Nd}`, identity escapes such as `\"` (legal in
 * Python, a SyntaxError under `u`) become plain characters, lone `{`/`}`/`]`
 * are escaped. Without it (ASCII `\w`/`\d`) the source suits a RegExp
 * without the `u` flag.
 */

/** A Python pattern as a JavaScript RegExp source and the flags it sets inline. */
export interface TranslatedPattern {
  source: string;
  /** Flags set by the pattern itself: any of `i`, `m`, `s`. */
  flags: string;
}

/** Python syntax JavaScript cannot express (conditional or atomic groups, `(?-i:…)`, `\N{…}`). */
export class UnsupportedPythonRegex extends Error {
  override readonly name = 'UnsupportedPythonRegex';
  /**
   * @param pattern the Python pattern.
   * @param what what is not supported, or what is wrong with it.
   */
  constructor(
    readonly pattern: string,
    readonly what: string,
  ) {
    super(`${what} in ${pattern}`);
  }
}

/**
 * Translates `pattern` (see the module comment).
 * @throws UnsupportedPythonRegex for syntax JavaScript cannot express.
 * @throws SyntaxError (with `unicode`) for an escape `u` mode cannot take; translate without it.
 */
export function translatePythonRegex(
  pattern: string,
  options: { unicode?: boolean } = {},
): TranslatedPattern {
  const unicode = options.unicode ?? false;
  const fail = (what: string): never => {
    throw new UnsupportedPythonRegex(pattern, what);
  };
  let flags = '';
  let verbose = false;
  // Global inline flags may appear anywhere in Python < 3.11; collect them first.
  const globalFlags = /\(\?([aiLmsux]+)\)/g;
  for (let m = globalFlags.exec(pattern); m; m = globalFlags.exec(pattern)) {
    if (isEscapedAt(pattern, m.index)) continue;
    for (const f of m[1] ?? '') {
      if ('ims'.includes(f) && !flags.includes(f)) flags += f;
      if (f === 'x') verbose = true;
    }
  }
  let out = '';
  let inClass = false;
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i] as string;
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
  const next = pattern[i + 1] as string;
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
      const oct = /^[0-7]{0,2}/.exec(pattern.slice(i + 2))?.[0] ?? '';
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
