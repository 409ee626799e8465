/**
 * yarn's regular expressions: an IMPLEMENTS pattern (Python `re` syntax,
 * translated by src/shared/python-regex.ts) compiled and matched the way
 * cmdtest yarn does (docs/spec/yarn.md 1.3).
 */
import { translatePythonRegex, UnsupportedPythonRegex } from '../../shared/python-regex.js';
import { YarnError } from '../errors.js';

/**
 * Compiles an IMPLEMENTS pattern for yarn's match rule: case-insensitive,
 * sticky (anchored at the start); callers check the match ends at the end.
 * Unicode-aware like Python 3 when JavaScript's `u` mode can take the
 * pattern, else with ASCII classes.
 * @throws YarnError BAD_PATTERN for Python syntax JavaScript cannot express
 *   (conditional groups, `(?-i:…)`, `\N{…}`) or a pattern JavaScript rejects.
 */
export function compileYarnRegex(pattern: string, location?: string): RegExp {
  const translate = (unicode: boolean) => {
    try {
      return translatePythonRegex(pattern, { unicode });
    } catch (err) {
      if (!(err instanceof UnsupportedPythonRegex)) throw err;
      throw new YarnError('BAD_PATTERN', `Bad IMPLEMENTS regex "${pattern}": ${err.what}`, { location });
    }
  };
  // yarn always matches case-insensitively: an inline (?i) adds nothing.
  const extra = (flags: string): string => flags.replace('i', '');
  try {
    const u = translate(true);
    return new RegExp(u.source, `iyu${extra(u.flags)}`);
  } catch (err) {
    if (err instanceof YarnError) throw err;
  }
  const t = translate(false);
  try {
    return new RegExp(t.source, `iy${extra(t.flags)}`);
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
