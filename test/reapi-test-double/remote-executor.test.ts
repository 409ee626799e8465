import assert from 'node:assert/strict';
import {
  copyFileSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RemoteChunkRequest, RemoteExecutor } from '../../src/morph/build/remote/remote-executor.js';
import type { ChunkMorphology } from '../../src/morph/model.js';
import { ReapiTestDouble } from './reapi-test-double.js';

/** A chunk morphology with only build commands. */
function chunk(name: string, build: string[]): ChunkMorphology {
  return { kind: 'chunk', name, 'build-commands': build, 'max-jobs': null } as unknown as ChunkMorphology;
}

// Checkouts date every file SOURCE_DATE_EPOCH.
const EPOCH = new Date(683078400 * 1000);

describe('RemoteExecutor against the test double (static busybox as the staged tools)', () => {
  const top = mkdtempSync(join(tmpdir(), 'remote-executor-test-'));
  const double = new ReapiTestDouble({ workDir: join(top, 'engine') });
  let url = '';
  // The dependency tree: hard links to a "cache object", as dependency trees are.
  const deps = join(top, 'deps');

  before(async () => {
    mkdirSync(join(top, 'engine'));
    mkdirSync(join(top, 'objects'));
    mkdirSync(join(deps, 'bin'), { recursive: true });
    copyFileSync('/bin/busybox', join(top, 'objects', 'busybox'));
    linkSync(join(top, 'objects', 'busybox'), join(deps, 'bin', 'busybox'));
    for (const tool of ['sh', 'cp', 'cat', 'sleep', 'mkdir']) symlinkSync('busybox', join(deps, 'bin', tool));
    url = `grpc://127.0.0.1:${await double.start()}`;
  });
  after(() => {
    double.stop();
    rmSync(top, { recursive: true, force: true });
  });

  /** One chunk's request, with its sources checked out into a fresh staging area. */
  function stage(
    name: string,
    morphology: ChunkMorphology,
    source: string,
    options: { timeout?: number } = {},
  ) {
    const area = mkdtempSync(join(top, 'staging-'));
    const buildDir = join(area, `${name}.build`);
    const instDir = join(area, `${name}.inst`);
    mkdirSync(buildDir);
    mkdirSync(instDir);
    writeFileSync(join(buildDir, 'main.c'), source);
    utimesSync(join(buildDir, 'main.c'), EPOCH, EPOCH);
    const request: RemoteChunkRequest = {
      name,
      morphology,
      depsTree: deps,
      depsKey: 'busybox',
      buildDir,
      instDir,
      env: { PATH: '/bin', DESTDIR: `/${name}.inst` },
      maxJobs: 1,
      logPath: join(area, 'log'),
      timeoutSeconds: options.timeout,
      platform: { OSFamily: 'linux' },
      onStatus: () => {},
    };
    return { area, request };
  }

  it('builds many chunks three at a time, each from its own sources, and a second build executes nothing', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    const morphology = (name: string) => chunk(name, ['cp main.c "$DESTDIR/"']);
    // Staging areas come and go as in a build: a removed one's inodes are the next one's.
    const build = async (executor: RemoteExecutor): Promise<void> => {
      const queue = [...names];
      const worker = async (): Promise<void> => {
        for (let name = queue.shift(); name; name = queue.shift()) {
          // Same size for every chunk, as the sources of the bench's chunks are.
          const source = `int main(void) { return ${name}(); }\n`;
          const { area, request } = stage(name, morphology(name), source);
          try {
            assert.equal(await executor.run(request), undefined);
            assert.equal(
              readFileSync(join(request.instDir, 'main.c'), 'utf8'),
              source,
              `${name} got other sources`,
            );
          } finally {
            rmSync(area, { recursive: true, force: true });
          }
        }
      };
      await Promise.all([worker(), worker(), worker()]);
    };
    const first = new RemoteExecutor({ url, instanceName: '' }, 3);
    try {
      await build(first);
      assert.equal(first.stats().actionsExecuted, names.length);
    } finally {
      first.close();
    }
    const second = new RemoteExecutor({ url, instanceName: '' }, 3);
    try {
      await build(second);
      assert.deepEqual([second.stats().actionsExecuted, second.stats().actionsCached], [0, names.length]);
    } finally {
      second.close();
    }
  });

  it('gives the action the build timeout and reports the command the engine killed', async () => {
    const executor = new RemoteExecutor({ url, instanceName: '' }, 1);
    const { area, request } = stage(
      'hung',
      chunk('hung', ['echo started', 'sleep 600', 'echo never']),
      'x\n',
      {
        timeout: 2,
      },
    );
    try {
      const started = Date.now();
      const failure = await executor.run(request);
      assert.equal(failure?.timedOutAfter, 2);
      assert.equal(failure?.step, 'build');
      assert.equal(String(failure?.command), 'sleep 600');
      assert.ok(Date.now() - started < 30_000);
      const log = readFileSync(request.logPath, 'utf8');
      assert.match(log, /# # sleep 600\n/);
      assert.match(log, /--build-timeout/);
      assert.doesNotMatch(log, /never\n/);
    } finally {
      executor.close();
      rmSync(area, { recursive: true, force: true });
    }
  });

  it('keeps what a failing command printed, on stdout and stderr, in the build log', async () => {
    const executor = new RemoteExecutor({ url, instanceName: '' }, 1);
    const { area, request } = stage(
      'broken',
      chunk('broken', ['echo to stdout; echo to stderr >&2; cat missing']),
      'y\n',
    );
    try {
      const failure = await executor.run(request);
      assert.equal(failure?.step, 'build');
      assert.notEqual(failure?.exitCode, 0);
      const log = readFileSync(request.logPath, 'utf8');
      assert.match(log, /to stdout\n/);
      assert.match(log, /to stderr\n/);
      assert.match(log, /missing/);
    } finally {
      executor.close();
      rmSync(area, { recursive: true, force: true });
    }
  });
});
