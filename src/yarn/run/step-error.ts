/**
 * How a TypeScript step's failure reads: like a failure in a TS test
 * runner, not like a shell command. The message (and, for assertion
 * errors, the expected and actual values), then the stack trimmed to the
 * user's own frames, with `.ts` positions (step bundles carry inline source
 * maps and source maps are enabled before they are imported).
 */
import { relative } from 'node:path';
import { inspect } from 'node:util';

/** What an assertion library attaches to its errors (chai, node:assert, expect). */
interface AssertionLike {
  name?: string;
  message?: string;
  code?: string;
  showDiff?: boolean;
  generatedMessage?: boolean;
  expected?: unknown;
  actual?: unknown;
}

/** Frames that are not the user's: Node internals, dependencies, yarn-run itself. */
function isUserFrame(frame: string, engineDir: string): boolean {
  if (/\((node:|internal\/)|at (node:|internal\/)|<anonymous>\)?$/.test(frame)) return false;
  if (/\/node_modules\//.test(frame) && !/\/node_modules\/\.cache\//.test(frame)) return false;
  if (frame.includes(engineDir)) return false;
  // An unmapped frame of a step bundle carries no user position.
  if (/\/\.cache\/yarn-run\/bundle-[0-9a-f]+\.mjs:/.test(frame)) return false;
  // Frames without a position (`at async Promise.all (index 0)`) say nothing about the step.
  return /^\s*at /.test(frame) && /:\d+:\d+\)?$/.test(frame);
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : inspect(value, { depth: 4, breakLength: 100 });
}

function indentRest(text: string): string {
  return text.replace(/\n/g, '\n  ');
}

/**
 * The text of a TS step's failure: `Name: message`, `expected`/`actual` for
 * an assertion error that did not already print them, and the user's stack
 * frames (file paths relative to `srcdir`).
 */
export function formatStepError(err: unknown, srcdir: string, engineDir: string): string {
  if (!(err instanceof Error)) return `thrown: ${show(err)}`;
  const a = err as Error & AssertionLike;
  const message = (a.message ?? '').trimEnd();
  const head = a.name && a.name !== 'Error' ? `${a.name}: ${message}` : message;
  const lines = [head];
  const isAssertion = a.name === 'AssertionError' || a.code === 'ERR_ASSERTION';
  // node:assert's own messages already hold the diff; chai's and custom messages do not.
  const diffInMessage = a.code === 'ERR_ASSERTION' && (a.generatedMessage === true || /\n/.test(a.message));
  if (isAssertion && !diffInMessage && a.showDiff !== false && ('expected' in a || 'actual' in a)) {
    lines.push(`  expected: ${indentRest(show(a.expected))}`);
    lines.push(`  actual: ${indentRest(show(a.actual))}`);
  }
  const frames = (err.stack ?? '')
    .split('\n')
    .filter((l) => /^\s+at /.test(l))
    .filter((l) => isUserFrame(l, engineDir))
    .map((l) =>
      l.trim().replace(/(?:file:\/\/)?(\/[^():]+)(?=:\d+:\d+)/, (path) => {
        const abs = path.replace(/^file:\/\//, '');
        const rel = relative(srcdir, abs);
        return rel.startsWith('..') ? abs : rel;
      }),
    );
  for (const f of frames) lines.push(`    ${f}`);
  return lines.join('\n');
}
