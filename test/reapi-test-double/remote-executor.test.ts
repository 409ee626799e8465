import assert from 'node:assert/strict';
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import {
  describeRemoteStats,
  type RemoteChunkRequest,
  RemoteExecutor,
} from '../../src/morph/build/remote/remote-executor.js';
import { ArtifactCache } from '../../src/morph/cache/artifact-cache.js';
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
  // The dependency tree: an artifact (busybox and its links) checked out with hard links, as morph stages it.
  const tools = join(top, 'tools');
  const ref = 'artifacts/0123/chunk/busybox-bins';
  let cache: ArtifactCache;
  let deps = '';

  /** A cache under `name` holding the busybox artifact, and its dependency tree. */
  async function cacheWithTools(name: string): Promise<{ cache: ArtifactCache; deps: string }> {
    const opened = await ArtifactCache.open(join(top, name));
    await opened.commitTree(tools, ref, { subject: 'busybox-bins' });
    const tree = join(top, `${name}-deps`);
    await opened.checkout(ref, tree, { hardlink: true });
    return { cache: opened, deps: tree };
  }

  before(async () => {
    mkdirSync(join(top, 'engine'));
    mkdirSync(join(tools, 'bin'), { recursive: true });
    copyFileSync('/bin/busybox', join(tools, 'bin', 'busybox'));
    for (const tool of ['sh', 'cp', 'cat', 'sleep', 'mkdir'])
      symlinkSync('busybox', join(tools, 'bin', tool));
    ({ cache, deps } = await cacheWithTools('cache'));
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
    options: { timeout?: number; cache?: ArtifactCache; deps?: string } = {},
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
      depsTree: options.deps ?? deps,
      depRefs: [ref],
      cache: options.cache ?? cache,
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

  /** Builds one chunk with an executor of its own, so that the engine's action cache holds it. */
  async function buildOnce(name: string, morphology: ChunkMorphology, source: string): Promise<void> {
    const executor = new RemoteExecutor({ url, instanceName: '' }, 1);
    const { area, request } = stage(name, morphology, source);
    try {
      assert.equal(await executor.run(request), undefined);
    } finally {
      executor.close();
      rmSync(area, { recursive: true, force: true });
    }
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

  it('counts the protocol (making the action, the action cache, uploads, fetches) as protocol time, not the execution', async () => {
    const executor = new RemoteExecutor({ url, instanceName: '' }, 1);
    const { area, request } = stage('sleeper', chunk('sleeper', ['sleep 2', 'cp main.c "$DESTDIR/"']), 'z\n');
    try {
      const started = performance.now();
      assert.equal(await executor.run(request), undefined);
      const wall = performance.now() - started;
      const { protocolMs, phaseMs } = executor.stats();
      for (const phase of ['prepare', 'lookup', 'upload', 'fetch'] as const) {
        assert.ok(phaseMs[phase] > 0, `no time in ${phase}`);
        assert.ok(phaseMs[phase] <= protocolMs, `${phase} over the whole`);
      }
      // The commands ran 2 s or more of the wall time: that is execution, not protocol.
      assert.ok(protocolMs <= wall - 2000, `protocol ${protocolMs} ms of a ${wall} ms run`);
      // The summary line gives it as bench/build/run.sh reads it.
      assert.match(
        describeRemoteStats(executor.stats()),
        /; protocol [0-9.]+ s \(input roots [0-9.]+ s, action cache [0-9.]+ s, upload [0-9.]+ s, fetch [0-9.]+ s\)$/,
      );
    } finally {
      executor.close();
      rmSync(area, { recursive: true, force: true });
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

  it('takes the build log of an action-cache hit from the GetActionResult reply (inline_stdout), not from the CAS', async () => {
    const printed = `${'x'.repeat(5000)}\n`;
    const morphology = chunk('talker', [`echo ${printed.trim()}`, 'cp main.c "$DESTDIR/"']);
    const run = async () => {
      const executor = new RemoteExecutor({ url, instanceName: '' }, 1);
      const { area, request } = stage('talker', morphology, 'talker\n');
      try {
        assert.equal(await executor.run(request), undefined);
        assert.match(readFileSync(request.logPath, 'utf8'), new RegExp(printed));
        return executor.stats();
      } finally {
        executor.close();
        rmSync(area, { recursive: true, force: true });
      }
    };
    const executed = await run();
    assert.ok(executed.bytesFetched >= printed.length, `fetched ${executed.bytesFetched} bytes`);
    const hit = await run();
    assert.equal(hit.actionsCached, 1);
    assert.ok(hit.bytesFetched < printed.length, `fetched ${hit.bytesFetched} bytes`);
  });

  it('serves an action-cache hit while every slot of the engine is held by an execution', async () => {
    const morphology = chunk('quick', ['cp main.c "$DESTDIR/"']);
    await buildOnce('quick', morphology, 'quick\n');
    const executor = new RemoteExecutor({ url, instanceName: '' }, 1);
    const slow = stage('slow', chunk('slow', ['sleep 3', 'cp main.c "$DESTDIR/"']), 'slow\n');
    const hit = stage('quick', morphology, 'quick\n');
    try {
      let slowDone = false;
      const slowRun = executor.run(slow.request).then((failure) => {
        slowDone = true;
        return failure;
      });
      // The slow one holds the only slot (uploading, then executing) before the hit is asked for.
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(await executor.run(hit.request), undefined);
      assert.equal(slowDone, false, 'the hit waited for the execution');
      assert.equal(readFileSync(join(hit.request.instDir, 'main.c'), 'utf8'), 'quick\n');
      assert.equal(await slowRun, undefined);
      assert.deepEqual([executor.stats().actionsExecuted, executor.stats().actionsCached], [1, 1]);
    } finally {
      executor.close();
      rmSync(slow.area, { recursive: true, force: true });
      rmSync(hit.area, { recursive: true, force: true });
    }
  });

  it('goes to Execute at once after two look-ups in a row missed, and asks the action cache first again once Execute answers from it', async () => {
    const morphology = (name: string) => chunk(name, ['cp main.c "$DESTDIR/"']);
    await buildOnce('known', morphology('known'), 'known\n');
    const executor = new RemoteExecutor({ url, instanceName: '' }, 1);
    const lines: string[] = [];
    const run = async (name: string): Promise<void> => {
      const { area, request } = stage(name, morphology(name), `${name}\n`);
      try {
        assert.equal(
          await executor.run({ ...request, onStatus: (line) => lines.push(`${name}: ${line}`) }),
          undefined,
        );
        assert.equal(readFileSync(join(request.instDir, 'main.c'), 'utf8'), `${name}\n`);
      } finally {
        rmSync(area, { recursive: true, force: true });
      }
    };
    const before = { lookups: double.lookups, executions: double.executions, calls: double.executeCalls };
    try {
      for (const name of ['cold1', 'cold2', 'cold3', 'cold4']) await run(name);
      // cold3 and cold4 were not looked up: Execute found them missing and ran them.
      assert.deepEqual([double.lookups - before.lookups, double.executions - before.executions], [2, 4]);
      await run('known');
      // Execute answered it from the action cache: nothing ran, and it counts as a hit.
      assert.deepEqual(
        [
          double.lookups - before.lookups,
          double.executions - before.executions,
          double.executeCalls - before.calls,
        ],
        [2, 4, 5],
      );
      assert.deepEqual([executor.stats().actionsExecuted, executor.stats().actionsCached], [4, 1]);
      assert.ok(lines.includes('known: Remote action cache hit: nothing to build'), lines.join('\n'));
      assert.ok(!lines.includes('known: Remote execution: completed'), lines.join('\n'));
      assert.ok(lines.includes('cold4: Remote execution: completed'), lines.join('\n'));
      // A hit: the next chunk is looked up first again.
      await run('known');
      assert.equal(double.lookups - before.lookups, 3);
      assert.equal(double.executeCalls - before.calls, 5);
    } finally {
      executor.close();
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

  it('memoises file digests per artifact commit: a run with a fresh cache and that memo reads no artifact file, and an output already in the cache is not fetched', async () => {
    const size = statSync('/bin/busybox').size;
    const morphology = chunk('copier', ['cp /bin/busybox "$DESTDIR/"']);
    const source = 'copier\n';
    const run = async (tools: { cache: ArtifactCache; deps: string }) => {
      const executor = new RemoteExecutor({ url, instanceName: '' }, 1);
      const { area, request } = stage('copier', morphology, source, tools);
      try {
        assert.equal(await executor.run(request), undefined);
        assert.deepEqual(readFileSync(join(request.instDir, 'busybox')), readFileSync('/bin/busybox'));
        return executor.stats();
      } finally {
        executor.close();
        rmSync(area, { recursive: true, force: true });
      }
    };
    const first = await cacheWithTools('cache-memo-first');
    const one = await run(first);
    assert.equal(one.actionsExecuted, 1);
    // The memo was empty: the artifact's busybox was read once (its commit listed and hashed).
    assert.equal(one.bytesHashed, size + Buffer.byteLength(source));
    // The output is a file of the cache (busybox): taken from there, not fetched.
    assert.equal(one.bytesLocal, size);
    assert.ok(one.bytesFetched < 1000, `fetched ${one.bytesFetched} bytes`);

    // A fresh cache with the same artifact commit (artifacts are reproducible) and the first one's memo.
    const second = await cacheWithTools('cache-memo-second');
    assert.equal(await second.cache.resolveRef(ref), await first.cache.resolveRef(ref));
    cpSync(join(first.cache.dir, 'reapi-digests'), join(second.cache.dir, 'reapi-digests'), {
      recursive: true,
    });
    const two = await run(second);
    assert.deepEqual([two.actionsExecuted, two.actionsCached], [0, 1]);
    // Only the sources were read; busybox's digest came from the memo.
    assert.equal(two.bytesHashed, Buffer.byteLength(source));
    assert.equal(two.bytesLocal, size);

    // A corrupt entry is not trusted: busybox is read again, and the build is right.
    const [entry] = readdirSync(join(second.cache.dir, 'reapi-digests'));
    writeFileSync(join(second.cache.dir, 'reapi-digests', entry as string), 'garbage');
    const three = await run(second);
    assert.equal(three.bytesHashed, size + Buffer.byteLength(source));

    // An object gone from the cache since (gc) is fetched instead; the build is right.
    const objects = join(second.cache.repoPath, 'objects');
    const busybox = readdirSync(objects, { recursive: true, encoding: 'utf8' })
      .map((name) => join(objects, name))
      .find((path) => path.endsWith('.file') && statSync(path).size === size);
    rmSync(busybox as string);
    const four = await run(second);
    assert.equal(four.bytesLocal, 0);
    assert.ok(four.bytesFetched >= size, `fetched ${four.bytesFetched} bytes`);
  });
});
