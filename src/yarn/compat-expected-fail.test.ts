/**
 * Expected-failure yarns (style HS-8): every `yarns/expected-fail/*.yarn`
 * must make yarn-run exit with the code its header names and print the
 * promised text. The header is the file's first line:
 *
 *     <!-- expect: exit=1 args="--require-assumptions" stderr="Failed scenarios:" stdout="0 passed, 1 failed, 0 skipped" -->
 *
 * `stderr` must occur in stderr; `stdout`, when given, must be the last line of
 * stdout; `args` (space-separated) go before the file. yarn-run runs in
 * yarns/expected-fail/, so no package.json step module is loaded.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { findPackageRoot } from '../../test/support/compat-harness.js';

const root = findPackageRoot(import.meta.url);
const dir = join(root, 'yarns', 'expected-fail');
const engine = join(root, 'dist', 'src', 'yarn', 'cli', 'main.js');

/** What a file's header promises. */
interface Expectation {
  exit: number;
  args: string[];
  stderr?: string;
  stdout?: string;
}

/** Parses `<!-- expect: key=value key="quoted \" value" -->` from the first line. */
function readExpectation(text: string, file: string): Expectation {
  const header = /^<!-- expect: (.*) -->$/.exec(text.split('\n', 1)[0] ?? '');
  assert.ok(header, `${file}: the first line must be <!-- expect: exit=N ... -->`);
  const fields = new Map<string, string>();
  for (const m of header[1]!.matchAll(/(\w+)=(?:"((?:[^"\\]|\\.)*)"|(\S+))/g)) {
    fields.set(m[1]!, m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!);
  }
  const exit = Number(fields.get('exit'));
  assert.ok(Number.isInteger(exit) && exit > 0, `${file}: exit must be a non-zero exit code`);
  const args = fields.get('args');
  return {
    exit,
    args: args ? args.split(' ') : [],
    stderr: fields.get('stderr'),
    stdout: fields.get('stdout'),
  };
}

const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yarn'))
  .sort();

describe('yarns/expected-fail', { concurrency: 2 }, () => {
  it('has expected-failure yarns', () => {
    assert.ok(files.length >= 5, `only ${files.length} files in ${dir}`);
  });

  for (const file of files) {
    it(file, () => {
      const want = readExpectation(readFileSync(join(dir, file), 'utf8'), file);
      const env: NodeJS.ProcessEnv = { ...process.env };
      delete env.NODE_TEST_CONTEXT;
      const r = spawnSync(process.execPath, [engine, '-q', ...want.args, file], {
        cwd: dir,
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
      const context = `${file}: exit ${r.status}\n--- stdout:\n${r.stdout}\n--- stderr:\n${r.stderr}`;
      assert.equal(r.status, want.exit, context);
      if (want.stderr !== undefined) assert.ok(r.stderr.includes(want.stderr), context);
      if (want.stdout !== undefined) {
        const lines = r.stdout.trimEnd().split('\n');
        assert.equal(lines[lines.length - 1], want.stdout, context);
      }
      assert.ok(!/^BUG: /m.test(r.stderr), `${file}: internal error\n${context}`);
    });
  }
});
