/**
 * Binding checks that do not need the engine: every step of
 * yarns/deployment.yarn binds to exactly one implementation, and no step of
 * any yarns/*.yarn binds to more than one. Matching follows yarn: keyword
 * partitioned (AND repeats the previous keyword), case-insensitive, anchored
 * at the start, and the match must end at the end of the text.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { StepImpl } from '../src/yarn/api.js';
import steps from './index.js';

const yarnsDir = new URL('../../yarns/', import.meta.url).pathname;
const KEYWORDS = new Set(['ASSUMING', 'GIVEN', 'WHEN', 'THEN', 'FINALLY']);

interface YarnStep {
  kind: string;
  text: string;
}

/** The steps of a yarn file (scenario steps only; IMPLEMENTS sections skipped). */
function yarnSteps(text: string): YarnStep[] {
  const found: YarnStep[] = [];
  let previous: YarnStep | undefined;
  let inImplements = false;
  for (const raw of text.split('\n')) {
    const match = /^(?: {4}|\t)(\S+)\s*(.*)$/.exec(raw);
    if (!match) continue;
    const [, word, rest] = match as unknown as [string, string, string];
    const line = rest.replace(/\s+/g, ' ').trim();
    if (word === 'IMPLEMENTS') inImplements = true;
    if (word === 'SCENARIO') inImplements = false;
    if (inImplements) continue;
    if (KEYWORDS.has(word)) {
      previous = { kind: word, text: line };
      found.push(previous);
    } else if (word === 'AND' && previous) {
      previous = { kind: previous.kind, text: line };
      found.push(previous);
    } else if (word === '...' && previous) {
      previous.text = `${previous.text} ${line}`;
    }
  }
  return found;
}

function bindings(yarnStep: YarnStep): StepImpl[] {
  return steps.filter((impl) => {
    if (!impl.kinds.includes(yarnStep.kind as StepImpl['kinds'][number])) return false;
    const regex = new RegExp(`^(?:${impl.pattern.source})`, 'i');
    const match = regex.exec(yarnStep.text);
    return match !== null && match[0].length === yarnStep.text.length;
  });
}

function describeStep(s: YarnStep, impls: StepImpl[]): string {
  return `${s.kind} ${s.text} -> ${impls.length} bindings ${impls.map((i) => i.location).join(', ')}`;
}

describe('implementations/index.ts', () => {
  it('binds every step of deployment.yarn to exactly one implementation', () => {
    const all = yarnSteps(readFileSync(join(yarnsDir, 'deployment.yarn'), 'utf8'));
    assert.ok(all.length > 100, 'the yarn parser found the steps');
    const wrong = all.map((s) => [s, bindings(s)] as const).filter(([, impls]) => impls.length !== 1);
    assert.deepEqual(
      wrong.map(([s, impls]) => describeStep(s, impls)),
      [],
    );
  });

  it('binds no step of any yarn to more than one implementation', () => {
    for (const file of readdirSync(yarnsDir).filter((name) => name.endsWith('.yarn'))) {
      const ambiguous = yarnSteps(readFileSync(join(yarnsDir, file), 'utf8'))
        .map((s) => [s, bindings(s)] as const)
        .filter(([, impls]) => impls.length > 1);
      assert.deepEqual(
        ambiguous.map(([s, impls]) => describeStep(s, impls)),
        [],
        file,
      );
    }
  });

  it('keeps AND in the keyword before it', () => {
    const parsed = yarnSteps('    SCENARIO s\n    GIVEN a\n    AND b\n    ... c\n    FINALLY d\n    AND e\n');
    assert.deepEqual(parsed, [
      { kind: 'GIVEN', text: 'a' },
      { kind: 'GIVEN', text: 'b c' },
      { kind: 'FINALLY', text: 'd' },
      { kind: 'FINALLY', text: 'e' },
    ]);
  });
});
