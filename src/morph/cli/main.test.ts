import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MorphError } from '../errors.js';
import { formatError } from './main.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'main.js');

function sandbox() {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'morph-cli-')));
  const conf = join(root, 'morph.conf');
  writeFileSync(conf, `[config]\ncachedir = ${root}/cache\ntempdir = ${root}/tmp\ntrove-host= []\n`);
  const morph = (args: string[], cwd = root, env: Record<string, string> = {}) =>
    spawnSync(
      process.execPath,
      [MAIN, '--verbose', '--no-default-config', '--config', conf, `--log=${root}/log`, ...args],
      { cwd, env: { ...process.env, HOME: root, ...env }, encoding: 'utf8' },
    );
  return { root, conf, morph };
}

describe('morph command line', () => {
  it('prints only the architecture, even when verbose', () => {
    const { morph, root } = sandbox();
    const result = morph(['print-architecture']);
    assert.equal(result.status, 0);
    assert.match(result.stdout, /^[a-z0-9_]+\n$/);
    assert.equal(result.stderr, '');
    for (const dir of ['chunks', 'staging', 'failed', 'deployments']) {
      assert.ok(existsSync(join(root, 'tmp', dir)), dir);
    }
    assert.ok(existsSync(join(root, 'cache')));
    assert.match(readFileSync(join(root, 'log'), 'utf8'), /print-architecture/);
  });

  it('reports errors as one ERROR line on stderr with exit code 1', () => {
    const { morph } = sandbox();
    for (const args of [['--bogus'], ['no-such-command'], ['print-architecture', 'extra'], []]) {
      const result = morph(args);
      assert.equal(result.status, 1, args.join(' '));
      assert.match(result.stderr, /^ERROR: /, args.join(' '));
    }
  });

  it('prints a config file error as ERROR: file:line: message, the location once', () => {
    const { morph, root } = sandbox();
    const bad = join(root, 'bad.conf');
    writeFileSync(bad, '[config]\n# a comment\njunk\n');
    const result = morph(['--config', bad, 'print-architecture']);
    assert.equal(result.status, 1);
    assert.equal(result.stderr, `ERROR: ${bad}:3: cannot parse config line: junk\n`);
  });

  it('dumps the processed config and exits when asked', () => {
    const { morph, root } = sandbox();
    const result = morph(['print-architecture'], root, { MORPH_DUMP_PROCESSED_CONFIG: '1' });
    assert.equal(result.status, 0);
    assert.match(result.stdout, /^\[config\]\n/);
    assert.match(result.stdout, new RegExp(`^cachedir = ${root}/cache$`, 'm'));
    assert.match(result.stdout, /^trove-host = \[\]$/m);
    assert.equal(existsSync(join(root, 'tmp')), false);
  });

  it('shows help for all commands and for one', () => {
    const { morph } = sandbox();
    const all = morph(['help']);
    assert.equal(all.status, 0);
    assert.match(all.stdout, /^ {2}checkout +Check out/m);
    assert.match(all.stdout, /--no-default-configs/);
    const one = morph(['help', 'branch']);
    assert.match(one.stdout, /^Usage: morph \[options\] branch REPO NEW \[OLD\]$/m);
  });

  it('initialises a workspace and answers the query commands without status lines', () => {
    const { morph, root } = sandbox();
    assert.equal(morph(['init', 'ws']).status, 0);
    assert.deepEqual(readdirSync(join(root, 'ws')), ['.morph']);
    const ws = join(root, 'ws');
    assert.equal(morph(['workspace'], ws).stdout, `${ws}\n`);
    const again = morph(['init', ws]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /can only initialize an empty directory/);
    const nested = morph(['init', join(ws, 'sub')]);
    assert.match(nested.stderr, new RegExp(`empty directory as a workspace: ${ws}\\n`));
    const outside = morph(['workspace'], root);
    assert.equal(outside.status, 1);
    assert.match(outside.stderr, /^ERROR: .*workspace/);

    const sb = join(ws, 'master');
    mkdirSync(join(sb, '.morph-system-branch'), { recursive: true });
    execFileSync('git', [
      'config',
      '-f',
      join(sb, '.morph-system-branch', 'config'),
      'branch.name',
      'master',
    ]);
    execFileSync('git', [
      'config',
      '-f',
      join(sb, '.morph-system-branch', 'config'),
      'branch.root',
      'test:morphs',
    ]);
    assert.equal(morph(['show-system-branch'], ws).stdout, 'master\n');
    assert.equal(morph(['show-branch-root'], sb).stdout, `${sb}/test/morphs\n`);
    const status = morph(['status'], sb);
    assert.equal(status.stdout, 'On branch master, root test:morphs\n\nNo repos have outstanding changes.\n');
  });

  it('exits 255 after Ctrl-C, once the running command has stopped', async () => {
    const { root, conf } = sandbox();
    const ws = join(root, 'ws');
    const checkout = join(ws, 'b', 'r');
    mkdirSync(join(ws, '.morph'), { recursive: true });
    mkdirSync(join(ws, 'b', '.morph-system-branch'), { recursive: true });
    execFileSync('git', [
      'config',
      '-f',
      join(ws, 'b', '.morph-system-branch', 'config'),
      'branch.name',
      'b',
    ]);
    execFileSync('git', [
      'config',
      '-f',
      join(ws, 'b', '.morph-system-branch', 'config'),
      'branch.root',
      'r',
    ]);
    mkdirSync(checkout, { recursive: true });
    execFileSync('git', ['init', '-q'], { cwd: checkout });
    execFileSync('git', ['config', 'morph.repository', 'r'], { cwd: checkout });
    const child = spawn(
      process.execPath,
      [MAIN, '--no-default-configs', '--config', conf, 'foreach', '--', 'sleep', '30'],
      {
        cwd: ws,
        env: { ...process.env, HOME: root },
      },
    );
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (stdout.includes('r\n')) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    child.kill('SIGINT');
    const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 255);
    assert.ok(Date.now() - started < 10_000);
  });
});

describe('formatError', () => {
  it('puts the location data in front of the message, and the hint on its own line', () => {
    const at = (location?: { file: string; line?: number; column?: number }) =>
      formatError(
        new MorphError('config', 'bad-value', 'max-jobs: not a number', { location, hint: 'give 4' }),
      );
    assert.equal(at({ file: 'm.conf', line: 2 }), 'ERROR: m.conf:2: max-jobs: not a number\nhint: give 4\n');
    assert.equal(
      at({ file: 'x.morph', line: 3, column: 1 }),
      'ERROR: x.morph:3:1: max-jobs: not a number\nhint: give 4\n',
    );
    assert.equal(at({ file: 'x.morph' }), 'ERROR: x.morph: max-jobs: not a number\nhint: give 4\n');
    assert.equal(at(), 'ERROR: max-jobs: not a number\nhint: give 4\n');
  });

  it('prints a message that names its file as it is', () => {
    const err = new MorphError('definitions', 'write-failed', 'Cannot write morphology s.morph: EROFS');
    assert.equal(formatError(err), 'ERROR: Cannot write morphology s.morph: EROFS\n');
  });
});
