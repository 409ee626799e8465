import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startGitServer } from './start-git-server.js';

const run = promisify(execFile);
const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

async function git(args: string[], cwd?: string): Promise<string> {
  const { stdout } = await run('git', args, { cwd, env: gitEnv });
  return stdout.trim();
}

/** Pids of live processes whose command line mentions `needle`. */
async function processesMentioning(needle: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8');
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      if (cmdline.includes(needle) && !/\) Z /.test(stat)) found.push(Number(name));
    } catch {
      // Exited meanwhile.
    }
  }
  return found;
}

describe('startGitServer', () => {
  let dir: string;
  let root: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'git-server-test-'));
    root = join(dir, 'gits');
    await git(['init', '-q', '-b', 'master', join(root, 'repo')]);
    await git(['commit', '-q', '--allow-empty', '-m', 'first'], join(root, 'repo'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves clones and pushes, logs each pushed ref, and leaves no process behind', async () => {
    const log = join(dir, 'pushes.log');
    const started = Date.now();
    const server = await startGitServer({ root, logFile: log });
    assert.ok(Date.now() - started < 1000, 'starts in well under a second');
    assert.match(server.url, /^git:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(server.port > 0);
    try {
      const clone = join(dir, 'clone');
      await git(['clone', '-q', `${server.url}/repo`, clone]);
      assert.equal(await git(['log', '--format=%s'], clone), 'first');
      assert.equal(await readFile(log, 'utf8'), '', 'a fetch records nothing');

      await git(['commit', '-q', '--allow-empty', '-m', 'second'], clone);
      const head = await git(['rev-parse', 'HEAD'], clone);
      await git(['push', '-q', 'origin', 'HEAD:refs/heads/pushed'], clone);
      assert.equal(await git(['rev-parse', 'refs/heads/pushed'], join(root, 'repo')), head);
      assert.equal(await readFile(log, 'utf8'), `${'0'.repeat(40)} ${head} refs/heads/pushed repo\n`);

      await git(['push', '-q', 'origin', ':refs/heads/pushed'], clone);
      const lines = (await readFile(log, 'utf8')).trim().split('\n');
      assert.equal(lines[1], `${head} ${'0'.repeat(40)} refs/heads/pushed repo`);
    } finally {
      await server.stop();
    }
    assert.deepEqual(await processesMentioning(`--base-path=${root}`), []);
    await assert.rejects(git(['ls-remote', `${server.url}/repo`]), 'the port is closed');
    await server.stop(); // a second stop is harmless
  });

  it('ends connections that are still open when stopped', async () => {
    const server = await startGitServer({ root });
    // A client that opens a connection and never finishes its request.
    const { createConnection } = await import('node:net');
    const socket = createConnection({ host: '127.0.0.1', port: server.port });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    await server.stop();
    await closed;
    assert.deepEqual(await processesMentioning(`--base-path=${root}`), []);
  });

  it('refuses a missing root', async () => {
    await assert.rejects(startGitServer({ root: join(dir, 'missing') }), { code: 'GIT_SERVER_FAILED' });
  });
});

describe('test-git-server CLI', () => {
  it('prints its port, serves, and exits with its git processes when stdin closes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'git-server-cli-test-'));
    try {
      const root = join(dir, 'gits');
      await git(['init', '-q', '-b', 'master', join(root, 'repo')]);
      await git(['commit', '-q', '--allow-empty', '-m', 'first'], join(root, 'repo'));
      const cli = new URL('./cli.js', import.meta.url).pathname;
      const child = spawn(process.execPath, [cli, '--root', root, '--exit-on-stdin-eof'], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const port = await new Promise<string>((resolve, reject) => {
        child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
        child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
      });
      assert.match(port, /^\d+$/);
      assert.match(await git(['ls-remote', `git://127.0.0.1:${port}/repo`]), /refs\/heads\/master/);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.stdin.end();
      assert.equal(await exited, 0);
      assert.deepEqual(await processesMentioning(`--base-path=${root}`), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
