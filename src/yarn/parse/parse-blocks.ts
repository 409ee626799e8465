/**
 * The reference's block grammar (cmdtest `block_parser.py`), line for line:
 * every non-empty line of every code block starts with a keyword; AND and
 * `...` continue the previous step; IMPLEMENTS takes the rest of its block
 * (or the next block) as its shell body; EXAMPLE drops the rest of its block
 * (or the next block). Locations are kept for every step and IMPLEMENTS.
 */

import type { StepKind } from '../api.js';
import { YarnError } from '../errors.js';
import type { CodeBlock, ParseNote, Scenario, ShellImplementation, SourceLocation, Step } from '../model.js';

/** A not-yet-consumed piece of a code block: `text`, whose first line is `block.lines[first]`. */
interface Pending {
  text: string;
  first: number;
  block: CodeBlock;
  /** True when this is a whole block not yet touched (the "next block" traps). */
  fresh: boolean;
}

interface MutableScenario {
  name: string;
  location: SourceLocation;
  steps: Step[];
}

/** Python's `str.split()` with no arguments. */
export function splitWords(line: string): string[] {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: Python's whitespace includes \x1c-\x1f
  return line.split(/[\s\x1c-\x1f]+/).filter((w) => w !== '');
}

/** Python's `str.splitlines()`. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  // biome-ignore lint/suspicious/noControlCharactersInRegex: Python's line boundaries include \x1c-\x1e
  const parts = text.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: as above
  if (/(\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029])$/.test(text)) parts.pop();
  return parts;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: Python's line boundaries include \x1c-\x1e
const EXOTIC_BREAKS = /[\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

/**
 * An IMPLEMENTS body: the lines of `text` up to the first line starting with
 * `IMPLEMENTS` (joined with newlines, as the reference's splitlines/join
 * leaves them), how many lines that is, and the rest (undefined when none).
 * Linear: a block holding many IMPLEMENTS is not re-split for each one.
 */
export function splitBody(text: string): { shell: string; shellLines: number; rest: string | undefined } {
  if (EXOTIC_BREAKS.test(text)) {
    const shell: string[] = [];
    const remaining: string[] = [];
    for (const line of splitLines(text)) {
      if (remaining.length > 0 || line.startsWith('IMPLEMENTS')) remaining.push(line);
      else shell.push(line);
    }
    return {
      shell: shell.join('\n'),
      shellLines: shell.length,
      rest: remaining.length > 0 ? remaining.join('\n') : undefined,
    };
  }
  const at = text.startsWith('IMPLEMENTS') ? 0 : text.indexOf('\nIMPLEMENTS') + 1;
  if (at <= 0 && !text.startsWith('IMPLEMENTS')) {
    const shell = text.endsWith('\n') ? text.slice(0, -1) : text;
    return { shell, shellLines: shell === '' && text === '' ? 0 : shell.split('\n').length, rest: undefined };
  }
  const head = text.slice(0, at);
  const shell = head.endsWith('\n') ? head.slice(0, -1) : head;
  const rest = text.slice(at);
  return {
    shell,
    shellLines: at === 0 ? 0 : shell.split('\n').length,
    rest: rest.endsWith('\n') ? rest.slice(0, -1) : rest,
  };
}

const STEP_KEYWORDS = new Set(['ASSUMING', 'GIVEN', 'WHEN', 'THEN', 'FINALLY']);
const KEYWORDS = new Set([...STEP_KEYWORDS, 'SCENARIO', 'AND', '...', 'IMPLEMENTS', 'EXAMPLE']);

/**
 * Parses the code blocks of all files (concatenated, as the reference does).
 * @throws YarnError SYNTAX with the location of the offending line.
 */
export function parseBlocks(input: readonly CodeBlock[]): {
  scenarios: Scenario[];
  implementations: ShellImplementation[];
  notes: ParseNote[];
} {
  const scenarios: MutableScenario[] = [];
  const implementations: ShellImplementation[] = [];
  const notes: ParseNote[] = [];
  const blocks: Pending[] = input.map((block) => ({ text: block.text, first: 0, block, fresh: true }));

  const locOf = (p: Pending, offset = 0): SourceLocation => ({
    file: p.block.file,
    line: p.block.lines[p.first + offset] ?? p.block.lines[p.block.lines.length - 1] ?? 1,
  });

  const addStep = (kind: string, text: string, loc: SourceLocation): void => {
    const scenario = scenarios[scenarios.length - 1];
    if (!scenario) throw syntax(`Syntax errror: ${kind} before SCENARIO`, loc);
    scenario.steps.push({ kind: kind as StepKind, text, location: loc });
  };

  while (blocks.length > 0) {
    const current = blocks[0]!;
    const nl = current.text.indexOf('\n');
    const line1 = nl < 0 ? current.text : current.text.slice(0, nl);
    const rest = nl < 0 ? '' : current.text.slice(nl + 1);
    const loc = locOf(current);
    if (rest) {
      blocks[0] = { text: rest, first: current.first + 1, block: current.block, fresh: false };
    } else {
      blocks.shift();
    }
    const words = splitWords(line1);
    if (words.length === 0) continue;
    const keyword = words[0]!;
    const text = words.slice(1).join(' ');
    if (!KEYWORDS.has(keyword)) throw syntax(`Syntax error: unknown step: ${line1}`, loc);

    if (keyword === 'SCENARIO') {
      scenarios.push({ name: text, location: loc, steps: [] });
    } else if (STEP_KEYWORDS.has(keyword)) {
      addStep(keyword, text, loc);
    } else if (keyword === 'AND') {
      const scenario = scenarios[scenarios.length - 1];
      if (!scenario) throw syntax('Syntax errror: AND before SCENARIO', loc);
      const previous = scenario.steps[scenario.steps.length - 1];
      if (!previous) throw syntax('Syntax errror: AND before what it would continue', loc);
      addStep(previous.kind, text, loc);
    } else if (keyword === '...') {
      const scenario = scenarios[scenarios.length - 1];
      // The reference crashes with an IndexError here.
      if (!scenario) throw syntax('Syntax error: ... before SCENARIO', loc);
      const previous = scenario.steps.pop();
      if (!previous) throw syntax('Syntax error: ... before what it would continue', loc);
      scenario.steps.push({ ...previous, text: `${previous.text} ${text}` });
    } else if (keyword === 'IMPLEMENTS') {
      if (words.length < 3) throw syntax('Syntax error: IMPLEMENTS must have what and regexp', loc);
      const what = words[1]!;
      const pattern = words.slice(2).join(' ');
      let body = '';
      let fromNext = false;
      const next = blocks[0];
      if (next) {
        fromNext = next.fresh;
        const { shell, shellLines, rest } = splitBody(next.text);
        body = shell;
        if (rest !== undefined) {
          blocks[0] = {
            text: rest,
            first: next.first + shellLines,
            block: next.block,
            fresh: false,
          };
        } else {
          blocks.shift();
        }
        if (fromNext) {
          notes.push({
            code: 'IMPLEMENTS_TAKES_NEXT_BLOCK',
            message: `IMPLEMENTS ${what} ${pattern} is the last line of its block, so the next code block (${next.block.file}:${next.block.lines[0] ?? '?'}) becomes its shell body`,
            location: loc,
          });
        }
      }
      if (!STEP_KEYWORDS.has(what)) {
        notes.push({
          code: 'UNCHECKED_KEYWORD',
          message: `IMPLEMENTS keyword "${what}" is not one of ${[...STEP_KEYWORDS].join(', ')}: it can never match a step`,
          location: loc,
        });
      }
      implementations.push({
        type: 'shell',
        keyword: what,
        pattern,
        body,
        location: loc,
        bodyFromNextBlock: fromNext,
      });
    } else if (keyword === 'EXAMPLE') {
      const next = blocks[0];
      if (next) {
        if (next.fresh) {
          notes.push({
            code: 'EXAMPLE_EATS_BLOCK',
            message: `EXAMPLE is alone in its block, so it silently drops the next code block (${next.block.file}:${next.block.lines[0] ?? '?'})`,
            location: loc,
          });
        }
        blocks.shift();
      }
    }
  }
  return { scenarios, implementations, notes };
}

function syntax(message: string, loc: SourceLocation): YarnError {
  return new YarnError('SYNTAX', message, { location: `${loc.file}:${loc.line}` });
}
