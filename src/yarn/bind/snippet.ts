/**
 * Ready-to-paste implementations for an undefined step, in shell and
 * TypeScript form, and "did you mean" hints (nearest binding by edit
 * distance; bindings that only fail yarn's end check; other keywords).
 */
import type { Step } from '../model.js';
import type { StepRegistry } from './step-registry.js';

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A regex for `text` with quoted strings and numbers turned into captures. */
export function inferPattern(text: string): { pattern: string; params: string[] } {
  const params: string[] = [];
  let pattern = '';
  const token = /"[^"]*"|'[^']*'|\b\d+(?:\.\d+)?\b/g;
  let last = 0;
  for (let m = token.exec(text); m; m = token.exec(text)) {
    pattern += escapeRegex(text.slice(last, m.index));
    const t = m[0];
    if (t.startsWith('"')) {
      pattern += '"([^"]*)"';
      params.push('text');
    } else if (t.startsWith("'")) {
      pattern += "'([^']*)'";
      params.push('text');
    } else {
      pattern += '(\\d+(?:\\.\\d+)?)';
      params.push('number');
    }
    last = m.index + t.length;
  }
  pattern += escapeRegex(text.slice(last));
  return { pattern, params };
}

/** The shell and TS snippets for an undefined step, as lines. */
export function snippetLines(step: Step): string[] {
  const { pattern, params } = inferPattern(step.text);
  const names = params.map((p, i) => `${p}${i + 1}`);
  const args = ['ctx', ...names].join(', ');
  return [
    'Implement it in shell:',
    '',
    `    IMPLEMENTS ${step.kind} ${pattern}`,
    `    echo "TODO: ${step.kind} ${step.text.replace(/["$`\\]/g, '\\$&')}" >&2; exit 1`,
    '',
    'or in TypeScript:',
    '',
    `    step('${step.kind}', /^${pattern.replace(/\//g, '\\/')}$/, 'TODO: describe', async (${args}) => {`,
    `      throw new StepFailure('not implemented');`,
    '    }),',
  ];
}

function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** Hints for an undefined step: near misses in the registry. */
export function didYouMean(step: Step, registry: StepRegistry): string[] {
  const hints: string[] = [];
  for (const c of registry.all) {
    let regex: RegExp;
    try {
      regex = c.regex();
    } catch {
      continue;
    }
    regex.lastIndex = 0;
    const m = regex.exec(step.text);
    if (c.keyword === step.kind && m) {
      hints.push(
        `${c.description} (${c.location}) matches "${m[0]}" but not up to the end of the step (yarn does not use fullmatch)`,
      );
    } else if (c.keyword !== step.kind && m && m[0].length === step.text.length) {
      hints.push(
        `${c.description} (${c.location}) matches this text but is for ${c.keyword}, not ${step.kind}`,
      );
    }
  }
  if (hints.length > 0) return hints.map((h) => `did you mean: ${h}`);
  const text = step.text.toLowerCase();
  let best: { d: number; desc: string } | undefined;
  for (const c of registry.candidates(step.kind)) {
    const plain = c.description
      .replace(/^IMPLEMENTS \S+ /, '')
      .replace(/^\S+ \/(.*)\/\w* \(TypeScript\)$/, '$1')
      .replace(/[\\^$()[\]?*+|]/g, '')
      .toLowerCase();
    const d = editDistance(text, plain);
    if (!best || d < best.d) best = { d, desc: `${c.description} (${c.location})` };
  }
  if (best && best.d <= Math.max(3, text.length / 3)) return [`did you mean: ${best.desc}`];
  return [];
}
