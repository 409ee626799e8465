/**
 * One registry for shell IMPLEMENTS and TypeScript steps, partitioned by
 * keyword (yarn: `IMPLEMENTS GIVEN` never serves a WHEN). Regexes compile
 * lazily, in the reference's order, so a bad pattern is reported exactly when
 * the reference would crash on it; step-text lookups are cached.
 */

import { YarnError } from '../errors.js';
import {
  type Implementation,
  implementationLocation,
  type ShellImplementation,
  type TsImplementation,
} from '../model.js';
import { compileYarnRegex, matchYarn } from './yarn-regex.js';

/** One implementation as seen by the binder. */
export interface Candidate {
  readonly implementation: Implementation;
  /** Lower-case literal every matching text starts with ('' = unknown). */
  readonly prefix: string;
  /** The keyword this entry serves. */
  readonly keyword: string;
  /** Lazily compiled matcher. */
  regex(): RegExp;
  /** `IMPLEMENTS GIVEN regex` or `GIVEN /regex/ (TypeScript)`. */
  readonly description: string;
  /** `file:line`. */
  readonly location: string;
}

export interface CandidateMatch {
  readonly candidate: Candidate;
  readonly captures: string[];
}

/**
 * A lower-case ASCII literal every match must start with (a cheap pre-filter
 * before running the regex), or '' when none can be derived safely: stops at
 * the first metacharacter or non-ASCII character, drops a character a
 * quantifier applies to, and gives up on any alternation.
 */
export function literalPrefix(source: string): string {
  // Alternation, or verbose mode (whitespace is not literal) anywhere: no prefix.
  if (source.includes('|') || /\(\?[aiLmsu]*x/.test(source)) return '';
  let i = source.startsWith('^') ? 1 : 0;
  let prefix = '';
  for (; i < source.length; i++) {
    const ch = source[i]!;
    if ('*?{'.includes(ch)) return prefix.slice(0, -1);
    if (ch === '+') return prefix;
    if (!/[A-Za-z0-9 _,:;=@%'"!<>/-]/.test(ch)) break;
    prefix += ch.toLowerCase();
  }
  const next = source[i];
  if (next !== undefined && '*?{'.includes(next)) return prefix.slice(0, -1);
  return prefix;
}

function tsRegex(impl: TsImplementation): RegExp {
  const own = impl.impl.pattern.flags.replace(/[^smu]/g, '');
  try {
    return new RegExp(impl.impl.pattern.source, `iy${own}`);
  } catch (err) {
    throw new YarnError('BAD_PATTERN', `Bad step pattern ${impl.impl.pattern}: ${(err as Error).message}`, {
      location: impl.location,
      cause: err,
    });
  }
}

function makeCandidate(implementation: Implementation, keyword: string): Candidate {
  let compiled: RegExp | undefined;
  if (implementation.type === 'shell') {
    const location = implementationLocation(implementation);
    return {
      implementation,
      keyword,
      prefix: literalPrefix(implementation.pattern),
      location,
      description: `IMPLEMENTS ${implementation.keyword} ${implementation.pattern}`,
      regex: () => {
        compiled ??= compileYarnRegex(implementation.pattern, location);
        return compiled;
      },
    };
  }
  return {
    implementation,
    keyword,
    prefix: literalPrefix(implementation.impl.pattern.source),
    location: implementation.location,
    description: `${keyword} ${implementation.impl.pattern} (TypeScript)`,
    regex: () => {
      compiled ??= tsRegex(implementation);
      return compiled;
    },
  };
}

/** The keyword-partitioned registry of all implementations. */
export class StepRegistry {
  private readonly byKeyword = new Map<string, Candidate[]>();
  private readonly cache = new Map<string, CandidateMatch[]>();
  readonly all: Candidate[] = [];

  constructor(shell: readonly ShellImplementation[], ts: readonly TsImplementation[] = []) {
    for (const impl of shell) this.add(makeCandidate(impl, impl.keyword));
    for (const impl of ts) for (const kind of impl.impl.kinds) this.add(makeCandidate(impl, kind));
  }

  private add(candidate: Candidate): void {
    let list = this.byKeyword.get(candidate.keyword);
    if (!list) {
      list = [];
      this.byKeyword.set(candidate.keyword, list);
    }
    list.push(candidate);
    this.all.push(candidate);
  }

  /** Candidates serving `keyword`, in declaration order (shell first, then TS). */
  candidates(keyword: string): readonly Candidate[] {
    return this.byKeyword.get(keyword) ?? [];
  }

  /**
   * Every implementation of `keyword` matching `text` under yarn's rule.
   * @throws YarnError BAD_PATTERN when a candidate's regex does not compile.
   */
  find(keyword: string, text: string): CandidateMatch[] {
    const key = `${keyword}\u0000${text}`;
    const hit = this.cache.get(key);
    if (hit) return hit.map((m) => ({ candidate: m.candidate, captures: [...m.captures] }));
    const found: CandidateMatch[] = [];
    const lower = text.toLowerCase();
    for (const candidate of this.candidates(keyword)) {
      if (candidate.prefix !== '' && !lower.startsWith(candidate.prefix)) continue;
      const captures = matchYarn(candidate.regex(), text);
      if (captures) found.push({ candidate, captures });
    }
    this.cache.set(key, found);
    return found;
  }
}
