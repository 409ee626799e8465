import type { ChunkMorphology, ProductSpec, StratumMorphology } from '../model.js';

/** One split rule: an artifact name and the prefix-matching patterns that select it. */
export interface SplitRule {
  artifact: string;
  patterns: string[];
}

const CHUNK_DEFAULTS: ReadonlyArray<readonly [string, readonly string[]]> = [
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

const STRATUM_DEFAULTS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['-devel', ['.*-devel', '.*-debug', '.*-doc']],
  ['-runtime', ['.*-bins', '.*-libs', '.*-locale', '.*-misc', '.*']],
];

function withDefaults(
  name: string,
  products: readonly ProductSpec[],
  defaults: ReadonlyArray<readonly [string, readonly string[]]>,
): SplitRule[] {
  const rules = products.map((p) => ({ artifact: p.artifact, patterns: [...p.include] }));
  const used = new Set(rules.map((rule) => rule.artifact));
  for (const [suffix, patterns] of defaults) {
    const artifact = `${name}${suffix}`;
    if (!used.has(artifact)) rules.push({ artifact, patterns: [...patterns] });
  }
  return rules;
}

/** A chunk's file rules: its `products`, then the default rules not overridden (morph.md 5.4). */
export function chunkSplitRules(morphology: ChunkMorphology): SplitRule[] {
  return withDefaults(morphology.name, morphology.products, CHUNK_DEFAULTS);
}

/** A stratum's pattern rules over chunk artifact names: `products`, then defaults not overridden. */
export function stratumSplitRules(morphology: StratumMorphology): SplitRule[] {
  return withDefaults(morphology.name, morphology.products, STRATUM_DEFAULTS);
}

/** Distinct artifact names of `rules`, in rule order (every one is always produced). */
export function artifactNames(rules: readonly SplitRule[]): string[] {
  return [...new Set(rules.map((rule) => rule.artifact))];
}

const compiled = new Map<string, RegExp>();

/** Python `re.match`: the pattern must match at the start of `text` (a prefix match). */
export function pythonMatch(pattern: string, text: string): boolean {
  let regex = compiled.get(pattern);
  if (!regex) {
    const js = pattern.replace(/\(\?P<(\w+)>/g, '(?<$1>').replace(/\(\?P=(\w+)\)/g, '\\k<$1>');
    regex = new RegExp(`^(?:${js})`, 'su');
    compiled.set(pattern, regex);
  }
  return regex.test(text);
}

/** The artifact of the first rule with a pattern matching `text`, or undefined. */
export function matchRule(rules: readonly SplitRule[], text: string): string | undefined {
  return rules.find((rule) => rule.patterns.some((pattern) => pythonMatch(pattern, text)))?.artifact;
}
