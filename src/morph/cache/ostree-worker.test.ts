import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { runCommand } from '../../shared/exec.js';
import { MorphError } from '../errors.js';
import { OstreeWorker, OstreeWorkerError, parseWorkerReply, WORKER_SCRIPT } from './ostree-worker.js';

const worker = OstreeWorker.forRepo('/nonexistent', '/nonexistent.lock');

test('the worker ignores Ctrl-C (morph handles it) and answers bad requests without dying', {
  skip: worker ? false : 'no python3 with the OSTree bindings here',
}, async () => {
  const top = await mkdtemp(join(tmpdir(), 'ostree-worker-'));
  try {
    const repo = join(top, 'repo');
    await runCommand(['ostree', `--repo=${repo}`, 'init', '--mode=bare-user']);
    await mkdir(join(top, 'tree'));
    await writeFile(join(top, 'tree', 'f'), 'x');
    const child = spawn('/usr/bin/python3', [WORKER_SCRIPT, repo, join(top, 'lock')], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const ask = async (request: object): Promise<{ ok: boolean; result?: unknown; error?: string }> => {
      child.stdin.write(`${JSON.stringify(request)}\n`);
      return JSON.parse((await lines.next()).value as string);
    };
    assert.equal((await ask({ id: 1, op: 'nonsense' })).ok, false);
    child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const commit = { dir: join(top, 'tree'), ref: 'r', subject: 's' };
    const answer = await ask({ id: 2, op: 'commit', commits: [commit] });
    assert.equal(answer.ok, true, answer.error);
    assert.match(String((answer.result as string[])[0]), /^[0-9a-f]{64}$/);
    child.stdin.end();
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    assert.equal(stderr, '', 'no traceback');
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});

test('a worker that cannot open its repository fails the request with a morph error', {
  skip: worker ? false : 'no python3 with the OSTree bindings here',
}, async () => {
  const top = await mkdtemp(join(tmpdir(), 'ostree-worker-'));
  try {
    const broken = OstreeWorker.forRepo(join(top, 'no-repo'), join(top, 'lock'));
    assert.ok(broken);
    await assert.rejects(broken.layer(['a']), (err: unknown) => {
      assert.ok(err instanceof OstreeWorkerError && err instanceof MorphError, String(err));
      assert.equal(err.code, 'cache/worker-failed');
      return true;
    });
    broken.close();
  } finally {
    await rm(top, { recursive: true, force: true });
  }
});

test('a line from the worker that is not a reply is a morph error, not a crash', () => {
  assert.deepEqual(parseWorkerReply('{"id": 3, "ok": true, "result": ["abc"]}'), {
    id: 3,
    ok: true,
    result: ['abc'],
  });
  for (const garbled of [
    '',
    'Traceback (most recent call last):',
    '{"id": "3", "ok": true}',
    'null',
    '[1]',
  ]) {
    assert.throws(
      () => parseWorkerReply(garbled),
      (err) => err instanceof OstreeWorkerError && /not a reply/.test(err.message),
      garbled,
    );
  }
});
