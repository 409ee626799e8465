/**
 * The migration linter behind `yarn-run lint`: every instance of a
 * reference quirk that silently changes what a file means (spec 1.9).
 */

import { type Candidate, StepRegistry } from '../bind/step-registry.js';
import { YarnError } from '../errors.js';
import type { ShellImplementation, TsImplementation, YarnDocument } from '../model.js';
import { extractCodeBlocks } from '../parse/markdown-blocks.js';

/** One problem: where, a stable code, and what to do about it. */
export interface LintFinding {
  readonly location: string;
  readonly code: string;
  readonly message: string;
}

const YARN_LINE = /^\s*(SCENARIO|ASSUMING|GIVEN|WHEN|THEN|FINALLY|IMPLEMENTS)\s/;

/** Literal top-level alternatives of a pattern (undefined when it has groups or classes around `|`). */
function topLevelAlternatives(pattern: string): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      cur += ch + (pattern[i + 1] ?? '');
      i++;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
    } else if (ch === '[') inClass = true;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === '|' && depth === 0) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  parts.push(cur);
  return parts.length > 1 ? parts : undefined;
}

function fullmatchRegex(c: Candidate): RegExp | undefined {
  try {
    const r = c.regex();
    return new RegExp(`^(?:${r.source})$`, r.flags.replace('y', ''));
  } catch {
    return undefined;
  }
}

function shellLoc(i: ShellImplementation): string {
  return `${i.location.file}:${i.location.line}`;
}

/** Lints a parsed document (and its sources, for traps the parser never sees). */
export function lintDocument(
  doc: YarnDocument,
  sources: readonly { file: string; text: string }[],
  ts: readonly TsImplementation[] = [],
): LintFinding[] {
  const findings: LintFinding[] = [];
  for (const note of doc.notes) {
    findings.push({
      location: `${note.location.file}:${note.location.line}`,
      code: note.code,
      message: note.message,
    });
  }
  for (const impl of doc.implementations) {
    const alts = topLevelAlternatives(impl.pattern);
    if (alts) {
      for (let a = 0; a < alts.length; a++) {
        for (let b = a + 1; b < alts.length; b++) {
          if (alts[b]!.toLowerCase().startsWith(alts[a]!.toLowerCase()) && alts[a] !== alts[b]) {
            findings.push({
              location: shellLoc(impl),
              code: 'ALTERNATION_PREFIX',
              message: `in "${impl.pattern}" the alternative "${alts[a]}" is a prefix of the later "${alts[b]}": yarn takes the first alternative and its end check then fails, so "${alts[b]}" never matches (put the longer one first)`,
            });
          }
        }
      }
    }
    if (/(\*|\+|\?|\})\?\)*\$?$/.test(impl.pattern) && !/\\[*+?}]\?\)*\$?$/.test(impl.pattern)) {
      findings.push({
        location: shellLoc(impl),
        code: 'TRAILING_LAZY',
        message: `"${impl.pattern}" ends with a lazy quantifier: yarn's re.match stops early and its end check fails, so it only matches when the lazy part is as short as possible`,
      });
    }
  }

  const registry = new StepRegistry(doc.implementations, ts);
  const used = new Set<unknown>();
  for (const scenario of doc.scenarios) {
    for (const step of scenario.steps) {
      const where = `${step.location.file}:${step.location.line}`;
      let matches: ReturnType<StepRegistry['find']>;
      try {
        matches = registry.find(step.kind, step.text);
      } catch (err) {
        if (err instanceof YarnError) {
          findings.push({ location: err.location ?? where, code: err.code, message: err.message });
          continue;
        }
        throw err;
      }
      for (const m of matches) used.add(m.candidate.implementation);
      if (matches.length > 1) {
        findings.push({
          location: where,
          code: 'STEP_AMBIGUOUS',
          message: `step "${step.kind} ${step.text}" matches ${matches.map((m) => `${m.candidate.description} (${m.candidate.location})`).join(' and ')}`,
        });
      }
      const full = registry
        .candidates(step.kind)
        .filter((c) => !matches.some((m) => m.candidate === c) && fullmatchRegex(c)?.test(step.text));
      for (const c of full) {
        findings.push({
          location: where,
          code: 'END_CHECK',
          message: `step "${step.kind} ${step.text}" fully matches ${c.description} (${c.location}), but yarn's match-then-end-check rule rejects it`,
        });
      }
      if (matches.length === 0 && full.length === 0) {
        findings.push({
          location: where,
          code: 'STEP_UNDEFINED',
          message: `step "${step.kind} ${step.text}" has no matching implementation`,
        });
      }
    }
  }
  for (const impl of doc.implementations) {
    if (!used.has(impl)) {
      findings.push({
        location: shellLoc(impl),
        code: 'UNUSED_IMPLEMENTS',
        message: `IMPLEMENTS ${impl.keyword} ${impl.pattern} is used by no step`,
      });
    }
  }

  for (const { file, text } of sources) {
    const codeLines = new Set<number>();
    for (const block of extractCodeBlocks(text, file)) for (const n of block.lines) codeLines.add(n);
    const lines = text.split(/\r\n|\n|\r/);
    let fence: { marker: string; start: number; yarn: boolean } | undefined;
    lines.forEach((line, i) => {
      const n = i + 1;
      const f = /^ {0,3}(`{3,}|~{3,})/.exec(line);
      if (fence) {
        if (f && f[1]!.startsWith(fence.marker)) {
          if (fence.yarn) {
            findings.push({
              location: `${file}:${fence.start}`,
              code: 'FENCED_SCENARIO',
              message:
                'this fenced block contains yarn steps, but the reference ignores fenced blocks: indent it by 4 spaces instead',
            });
          }
          fence = undefined;
        } else if (YARN_LINE.test(line)) fence.yarn = true;
        return;
      }
      if (f) {
        fence = { marker: f[1]!, start: n, yarn: false };
        return;
      }
      if (/^(\s{4,}|\t)/.test(line) && YARN_LINE.test(line) && !codeLines.has(n)) {
        findings.push({
          location: `${file}:${n}`,
          code: 'NOT_A_CODE_BLOCK',
          message:
            'this indented yarn line is not a top-level code block (it continues a paragraph or belongs to a list, quote or HTML block), so the reference ignores it: put a blank line or a paragraph before it',
        });
      }
    });
  }
  return findings.sort((a, b) => a.location.localeCompare(b.location, undefined, { numeric: true }));
}
