/**
 * Artifact splitting rules (docs/spec/morph.md 5.4) as a pure library: the default
 * rule tables, the rules of chunks, strata and systems, Python `re.match`
 * semantics for their patterns (a prefix match, first rule wins), and the
 * partition of a chunk's DESTDIR paths into its artifacts.
 */
import { MorphError } from '../../errors.js';
import type { ProductSpec, StratumMorphology, StratumSpec } from '../../model.js';

/** A match rule: the artifact chosen when any pattern prefix-matches. */
export interface SplitRule {
  artifact: string;
  /** Python regexes. */
  patterns: string[];
}

/** A stratum assignment rule from a chunk spec's `artifacts` mapping. */
export interface AssignRule {
  artifact: string;
  /** The chunk spec name (the chunk source side). */
  source: string;
  /** The chunk artifact it assigns. */
  sourceArtifact: string;
}

/** A rule of a stratum: assignments first, then match rules over chunk artifact names. */
export type StratumRule = AssignRule | SplitRule;

/** The default chunk file rules, by artifact name suffix. Note the mandatory `usr/` before `libexec/`. */
export const CHUNK_DEFAULT_RULES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['-bins', ['(usr/)?s?bin/.*']],
  ['-libs', ['(usr/)?lib(32|64)?/lib[^/]*\\.so(\\.\\d+)*', '(usr/)libexec/.*']],
  [
    '-devel',
    [
      '(usr/)?include/.*',
      '(usr/)?lib(32|64)?/lib.*\\.a',
      '(usr/)?lib(32|64)?/lib.*\\.la',
      '(usr/)?(lib(32|64)?|share)/pkgconfig/.*\\.pc',
    ],
  ],
  ['-doc', ['(usr/)?share/doc/.*', '(usr/)?share/man/.*', '(usr/)?share/info/.*']],
  ['-locale', ['(usr/)?share/locale/.*', '(usr/)?share/i18n/.*', '(usr/)?share/zoneinfo/.*']],
  ['-misc', ['.*']],
];

/** The default stratum rules over chunk artifact names, by artifact name suffix. */
export const STRATUM_DEFAULT_RULES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['-devel', ['.*-devel', '.*-debug', '.*-doc']],
  ['-runtime', ['.*-bins', '.*-libs', '.*-locale', '.*-misc', '.*']],
];

function withDefaults(
  name: string,
  products: readonly ProductSpec[],
  defaults: ReadonlyArray<readonly [string, readonly string[]]>,
): SplitRule[] {
  const rules = products.map((product) => ({ artifact: product.artifact, patterns: [...product.include] }));
  const used = new Set(rules.map((rule) => rule.artifact));
  for (const [suffix, patterns] of defaults) {
    const artifact = `${name}${suffix}`;
    if (!used.has(artifact)) rules.push({ artifact, patterns: [...patterns] });
  }
  return rules;
}

/** A chunk's file rules: its `products` in order, then each default rule whose artifact is not already used. */
export function chunkSplitRules(name: string, products: readonly ProductSpec[]): SplitRule[] {
  return withDefaults(name, products, CHUNK_DEFAULT_RULES);
}

/**
 * A stratum's rules: assignments from every chunk spec's `artifacts`
 * mapping (per spec, sorted by chunk artifact name), then its `products`,
 * then the default rules not overridden by `products`.
 */
export function stratumSplitRules(stratum: StratumMorphology): StratumRule[] {
  const assignments: AssignRule[] = [];
  for (const spec of stratum.chunks) {
    const artifacts = spec.artifacts ?? {};
    for (const sourceArtifact of Object.keys(artifacts).sort()) {
      assignments.push({ artifact: String(artifacts[sourceArtifact]), source: spec.name, sourceArtifact });
    }
  }
  return [...assignments, ...withDefaults(stratum.name, stratum.products, STRATUM_DEFAULT_RULES)];
}

/**
 * The stratum artifacts a system strata spec selects: all of them without
 * `artifacts`, else exactly the listed ones (in the listed order).
 *
 * @throws MorphError `build/unknown-stratum-artifact` when a listed artifact is not produced.
 */
export function selectStratumArtifacts(spec: StratumSpec, produced: readonly string[]): string[] {
  if (spec.artifacts === undefined) return [...produced];
  for (const wanted of spec.artifacts) {
    if (!produced.includes(wanted)) {
      throw new MorphError(
        'build',
        'unknown-stratum-artifact',
        `Stratum ${spec.name ?? spec.morph} does not produce an artifact called ${wanted}`,
      );
    }
  }
  return [...spec.artifacts];
}

/** Distinct artifact names of `rules` in rule order: every one is always produced. */
export function artifactNames(rules: readonly { artifact: string }[]): string[] {
  return [...new Set(rules.map((rule) => rule.artifact))];
}

/** A Python regex translated to JavaScript. */
export interface TranslatedRegex {
  source: string;
  flags: string;
}

/**
 * Translates a Python `re` pattern to JavaScript: `(?P<n>` named groups and
 * `(?P=n)` back references, `\A`/`\Z`, `(?#...)` comments and global inline
 * flags (`i`, `m`, `s`; `x` strips whitespace and comments). A literal `]`
 * right after `[` or `[^` is escaped. The `u` flag is never used, since
 * Python allows escapes (`\-`, `\"`) that unicode mode rejects.
 *
 * @throws MorphError `build/invalid-split-rule` for syntax JavaScript cannot express.
 */
export function translatePythonRegex(pattern: string): TranslatedRegex {
  const fail = (what: string): never => {
    throw new MorphError('build', 'invalid-split-rule', `Invalid split rule pattern ${pattern}: ${what}`);
  };
  let flags = '';
  let verbose = false;
  for (const match of pattern.matchAll(/(?<!\\)\(\?([aiLmsux]+)\)/g)) {
    for (const flag of match[1] ?? '') {
      if ('ims'.includes(flag) && !flags.includes(flag)) flags += flag;
      if (flag === 'x') verbose = true;
    }
  }
  let out = '';
  let inClass = false;
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i] as string;
    const rest = pattern.slice(i);
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) fail('trailing backslash');
      if (!inClass && next === 'A') out += '^';
      else if (!inClass && next === 'Z') out += '$(?![\\s\\S])';
      else out += `\\${next}`;
      i += 2;
    } else if (inClass) {
      if (ch === ']') inClass = false;
      out += ch;
      i += 1;
    } else if (ch === '[') {
      const open = /^\[\^?/.exec(rest)?.[0] ?? '[';
      out += open;
      i += open.length;
      if (pattern[i] === ']') {
        out += '\\]';
        i += 1;
      }
      inClass = true;
    } else if (verbose && /\s/.test(ch)) {
      i += 1;
    } else if (verbose && ch === '#') {
      while (i < pattern.length && pattern[i] !== '\n') i += 1;
    } else if (rest.startsWith('(?')) {
      const named = /^\(\?P<([A-Za-z_]\w*)>/.exec(rest);
      const backref = /^\(\?P=([A-Za-z_]\w*)\)/.exec(rest);
      const skipped = /^\(\?(?:#[^)]*|[aiLmsux]+)\)/.exec(rest);
      if (named) out += `(?<${named[1]}>`;
      else if (backref) out += `\\k<${backref[1]}>`;
      else if (skipped) out += '';
      else if (rest.startsWith('(?(')) fail('conditional groups are not supported');
      else out += '(?';
      i += (named ?? backref ?? skipped)?.[0].length ?? 2;
    } else {
      out += ch;
      i += 1;
    }
  }
  return { source: out, flags };
}

const compiled = new Map<string, RegExp>();

/**
 * Compiles a Python pattern for `re.match` semantics: anchored at the start
 * only, so a match of any prefix counts.
 *
 * @throws MorphError `build/invalid-split-rule` when the pattern is invalid.
 */
export function compileSplitPattern(pattern: string): RegExp {
  let regex = compiled.get(pattern);
  if (regex === undefined) {
    const { source, flags } = translatePythonRegex(pattern);
    try {
      regex = new RegExp(`^(?:${source})`, flags);
    } catch (cause) {
      throw new MorphError(
        'build',
        'invalid-split-rule',
        `Invalid split rule pattern ${pattern}: ${String(cause)}`,
        {
          cause,
        },
      );
    }
    compiled.set(pattern, regex);
  }
  return regex;
}

/** Python `re.match(pattern, text)` as a boolean. */
export function pythonMatch(pattern: string, text: string): boolean {
  return compileSplitPattern(pattern).test(text);
}

/** The artifacts of every match rule that matches `text`, in rule order (the first one wins). */
export function matchingArtifacts(rules: readonly SplitRule[], text: string): string[] {
  return rules
    .filter((rule) => rule.patterns.some((pattern) => pythonMatch(pattern, text)))
    .map((r) => r.artifact);
}

/** The artifact of the first rule matching `text`, or undefined. */
export function matchRule(rules: readonly SplitRule[], text: string): string | undefined {
  return rules.find((rule) => rule.patterns.some((pattern) => pythonMatch(pattern, text)))?.artifact;
}

/**
 * The stratum artifact a chunk artifact goes to: the first assignment for
 * (`source`, `chunkArtifact`), else the first match rule matching
 * `chunkArtifact`; undefined when no rule takes it.
 */
export function stratumArtifactOf(
  rules: readonly StratumRule[],
  source: string,
  chunkArtifact: string,
): string | undefined {
  for (const rule of rules) {
    if ('patterns' in rule) {
      if (rule.patterns.some((pattern) => pythonMatch(pattern, chunkArtifact))) return rule.artifact;
    } else if (rule.source === source && rule.sourceArtifact === chunkArtifact) {
      return rule.artifact;
    }
  }
  return undefined;
}

/** How a chunk's DESTDIR paths split into its artifacts. */
export interface PathPartition {
  /** Every artifact of the rules, in rule order, with the paths it gets. */
  matches: Map<string, string[]>;
  /** Paths matched by more than one artifact's rules (the first one got them) → all those artifacts. */
  overlaps: Map<string, string[]>;
  /** Paths no rule matches. */
  unmatched: string[];
}

/**
 * Partitions paths (relative to DESTDIR, no leading `/`) into the artifacts
 * of a chunk's rules: each path goes to the first matching rule.
 */
export function partitionPaths(rules: readonly SplitRule[], paths: Iterable<string>): PathPartition {
  const matches = new Map(artifactNames(rules).map((artifact) => [artifact, [] as string[]]));
  const overlaps = new Map<string, string[]>();
  const unmatched: string[] = [];
  for (const path of paths) {
    const artifacts = [...new Set(matchingArtifacts(rules, path))];
    const first = artifacts[0];
    if (first === undefined) {
      unmatched.push(path);
      continue;
    }
    matches.get(first)?.push(path);
    if (artifacts.length > 1) overlaps.set(path, artifacts);
  }
  return { matches, overlaps, unmatched };
}
