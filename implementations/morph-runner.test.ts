import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fakeContext, runStepText } from './fake-context.js';
import morphDeploy from './morph-deploy.js';
import morphOutcome from './morph-outcome.js';
import { runMorph, writeMorphConfig } from './morph-runner.js';

describe('running morph as the 2015 suites did', () => {
  let dir: string;
  let ctx: ReturnType<typeof fakeContext>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'morph-runner-test-'));
    const srcdir = join(dir, 'src');
    await mkdir(srcdir);
    // A stand-in morph: prints its cwd and argv, fails when asked to.
    await writeFile(
      join(srcdir, 'morph'),
      '#!/bin/sh\npwd\nfor a in "$@"; do echo "[$a]"; done\necho "to stderr" >&2\ncase "$*" in *fail*) echo "ERROR: failed on purpose" >&2; exit 3;; esac\n',
    );
    await chmod(join(srcdir, 'morph'), 0o755);
    const datadir = join(dir, 'datadir');
    await mkdir(join(datadir, 'workspace', 'master', 'test', 'morphs'), { recursive: true });
    ctx = fakeContext(datadir, { srcdir });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes the fixed options and keeps stdout, stderr and the exit code', async () => {
    await runMorph(ctx, 'attempt', 'deploy', ['c.morph', 'fail']);
    const out = await readFile(ctx.path('out-deploy'), 'utf8');
    assert.equal(
      out,
      [
        ctx.datadir,
        '[--verbose]',
        '[--cachedir-min-space=0]',
        '[--tempdir-min-space=0]',
        '[--no-default-config]',
        '[--config]',
        `[${ctx.path('morph.conf')}]`,
        `[--log=${ctx.path('log-deploy')}]`,
        '[deploy]',
        '[c.morph]',
        '[fail]',
        '',
      ].join('\n'),
    );
    assert.equal(await readFile(ctx.path('result-deploy'), 'utf8'), 'to stderr\nERROR: failed on purpose\n');
    assert.equal(await readFile(ctx.path('morph-exit'), 'utf8'), '3\n');
  });

  it('fails a plain run on a non-zero exit, showing the error output', async () => {
    await assert.rejects(runMorph(ctx, 'run', 'build', ['fail']), /exit code 3[\s\S]*failed on purpose/);
    await runMorph(ctx, 'run', 'build', ['ok']);
  });

  it('splits deploy options like sh and runs in the definitions checkout', async () => {
    await runStepText(
      ctx,
      morphDeploy,
      'WHEN the user attempts to deploy the cluster c.morph in branch master with options a.location="$DATADIR/x y" b.V=1',
    );
    const lines = (await readFile(ctx.path('out-deploy'), 'utf8')).split('\n');
    assert.equal(lines[0], ctx.path('workspace', 'master', 'test', 'morphs'));
    assert.deepEqual(lines.slice(-4), ['[c.morph]', `[a.location=${ctx.path('x y')}]`, '[b.V=1]', '']);
    await runStepText(ctx, morphOutcome, 'THEN morph succeeded');
    await assert.rejects(runStepText(ctx, morphOutcome, 'THEN morph failed'), /expected to fail/);
  });

  it('checks error messages and failure', async () => {
    await runStepText(
      ctx,
      morphDeploy,
      'WHEN the user attempts to upgrade fail from cluster c.morph in branch master',
    );
    await runStepText(ctx, morphOutcome, 'THEN morph failed');
    await runStepText(
      ctx,
      morphOutcome,
      'THEN the upgrade error message includes the string "failed on purpose"',
    );
    await assert.rejects(
      runStepText(ctx, morphOutcome, 'THEN the upgrade error message includes the string "not there"'),
      /does not include/,
    );
    await assert.rejects(runStepText(ctx, morphOutcome, 'THEN morph succeeded'), /exit code 3/);
  });

  it('writes morph.conf as the suites do', async () => {
    await writeMorphConfig(ctx, 1234);
    assert.equal(
      await readFile(ctx.path('morph.conf'), 'utf8'),
      `[config]\nrepo-alias = test=git://127.0.0.1:1234/%s#git://127.0.0.1:1234/%s\ncachedir = ${ctx.path('cache')}\ntempdir = ${ctx.path('tmp')}\ntrove-host= []\n`,
    );
  });
});
