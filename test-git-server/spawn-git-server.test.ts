import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { spawnGitServer } from './spawn-git-server.js';

const run = promisify(execFile);
const cli = new URL('./cli.js', import.meta.url).pathname;
const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'T',
  GIT_AUTHOR_EMAIL: 't@e',
  GIT_COMMITTER_NAME: 'T',
  GIT_COMMITTER_EMAIL: 't@e',
};

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

describe('spawnGitServer', () => {
  let dir: string;
  let root: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spawn-git-server-test-'));
    root = join(dir, 'gits');
    await run('git', ['init', '-q', '-b', 'master', join(root, 'repo')], { env: gitEnv });
    await run('git', ['commit', '-q', '--allow-empty', '-m', 'first'], {
      cwd: join(root, 'repo'),
      env: gitEnv,
    });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves from its own process group and stops the whole group', async () => {
    const server = await spawnGitServer({ cli, root, stderrFile: join(dir, 'stderr') });
    assert.ok(groupAlive(server.pid));
    const { stdout } = await run('git', ['ls-remote', `${server.url}/repo`]);
    assert.match(stdout, /refs\/heads\/master/);
    await server.stop();
    assert.ok(!groupAlive(server.pid), 'no process of the group is left');
    await server.stop();
  });

  it('reports a server that cannot start, with its diagnostics', async () => {
    await assert.rejects(
      spawnGitServer({ cli, root: join(dir, 'missing'), stderrFile: join(dir, 'stderr-missing') }),
      (err: Error & { code?: string }) =>
        err.code === 'GIT_SERVER_FAILED' && /no such directory/.test(err.message),
    );
  });

  it('exits when the process that started it dies', async () => {
    const script = `
      const { spawnGitServer } = await import(${JSON.stringify(new URL('./spawn-git-server.js', import.meta.url).href)});
      const server = await spawnGitServer({ cli: ${JSON.stringify(cli)}, root: ${JSON.stringify(root)} });
      process.stdout.write(server.pid + '\\n');
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve) =>
      parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString()))),
    );
    assert.ok(groupAlive(pid));
    parent.kill('SIGKILL');
    assert.ok(await waitUntil(() => !groupAlive(pid), 5000), 'the server exited with its parent');
  });
});
