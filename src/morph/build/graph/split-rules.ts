/**
 * Artifact splitting rules (docs/spec/morph.md 5.4) as a pure library: the default
 * rule tables, the rules of chunks, strata and systems, Python `re.match`
 * semantics for their patterns (a prefix match, first rule wins; translated by
 * src/shared/python-regex.ts, without JavaScript's `u` mode), and the
 * partition of a chunk's DESTDIR paths into its artifacts.
 */
import {
  type TranslatedPattern,
  translatePythonRegex,
  UnsupportedPythonRegex,
} from '../../../shared/python-regex.js';
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
    let translated: TranslatedPattern;
    try {
      translated = translatePythonRegex(pattern);
    } catch (err) {
      if (!(err instanceof UnsupportedPythonRegex)) throw err;
      throw new MorphError(
        'build',
        'invalid-split-rule',
        `Invalid split rule pattern ${pattern}: ${err.what}`,
      );
    }
    const { source, flags } = translated;
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
