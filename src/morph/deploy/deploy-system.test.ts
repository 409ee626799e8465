import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CleanupStack } from '../../shared/cleanup-stack.js';
import { type App, createApp } from '../app.js';
import { MorphError } from '../errors.js';
import type { ClusterSystemSpec, SystemMorphology } from '../model.js';
import { loadSettings } from '../settings/load-settings.js';
import type { DeploySession, ResolvedSystem } from './deploy-session.js';
import { deploySystem } from './deploy-system.js';

const isRoot = process.getuid?.() === 0;

interface Fixture {
  top: string;
  root: string;
  session: DeploySession;
  stderr: string[];
  stdout: string[];
  log: string[];
  /** How many times the system was checked out. */
  checkouts: () => number;
}

/** A session over a fake system (a directory copied by `checkout`), with real extensions and mounts. */
async function fixture(
  options: { union?: string; configure?: string[]; revision?: string } = {},
): Promise<Fixture> {
  const top = await mkdtemp(join(tmpdir(), 'deploy-system-'));
  const root = join(top, 'definitions');
  const system = join(top, 'system');
  await mkdir(join(system, 'baserock'), { recursive: true });
  await mkdir(join(system, 'etc'), { recursive: true });
  await writeFile(join(system, 'etc', 'os-release'), 'NAME=test\n');
  await mkdir(root);
  const argv = ['--no-default-configs', `--tempdir=${join(top, 'tmp')}`, `--cachedir=${join(top, 'cache')}`];
  if (options.union) argv.push(`--union-filesystem=${options.union}`);
  const { settings } = await loadSettings(argv, { env: {}, cwd: top, cpus: 1 });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const log: string[] = [];
  const app: App = createApp(
    settings,
    {
      stdout: (t) => stdout.push(t),
      stderr: (t) => stderr.push(t),
      log: { debug: (m) => log.push(m), raw: () => {} },
    },
    { cwd: root, signal: new AbortController().signal },
  );
  const morphology: SystemMorphology = {
    kind: 'system',
    name: 'test-system',
    description: '',
    arch: 'x86_64',
    strata: [],
    'configuration-extensions': options.configure ?? [],
  };
  let checkouts = 0;
  const resolved: ResolvedSystem = {
    artifactName: 'test-system-rootfs',
    cacheKey: 'f'.repeat(64),
    morphology,
    checkout: async (dir) => {
      checkouts++;
      await cp(system, dir, { recursive: true });
    },
    revision: async () => options.revision,
  };
  const tempDir = join(top, 'tmp', 'deployments', 'd');
  await mkdir(tempDir, { recursive: true });
  const session: DeploySession = {
    app,
    rootDir: root,
    resolveSystem: async () => resolved,
    overrides: [],
    deploymentNames: [],
    upgrade: false,
    tempDir,
    cleanup: new CleanupStack(),
    definitionsVersion: 'abc1234',
    status: app.status,
  };
  return { top, root, session, stderr, stdout, log, checkouts: () => checkouts };
}

function mountsUnder(dir: string): string[] {
  const mounts = spawnSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8' }).stdout;
  return mounts.split('\n').filter((m) => m.startsWith(dir));
}

const entry = (deploy: ClusterSystemSpec['deploy'], subsystems?: ClusterSystemSpec[]): ClusterSystemSpec => ({
  morph: 'systems/test-system.morph',
  deploy,
  'deploy-defaults': {},
  ...(subsystems ? { subsystems } : {}),
});

test('a nested sysroot lands inside the parent tarball; nothing is left mounted', {
  skip: !isRoot,
}, async () => {
  const f = await fixture();
  try {
    const sysroot = entry({ sysroot: { type: 'sysroot', location: '/var/lib/sysroots/test-system' } });
    await deploySystem(
      f.session,
      entry({ 'test-system': { type: 'tar', location: 'test.tar' } }, [sysroot]),
      undefined,
      [],
    );
    const members = spawnSync('tar', ['-tf', join(f.root, 'test.tar')], { encoding: 'utf8' }).stdout.split(
      '\n',
    );
    assert.ok(members.includes('./var/lib/sysroots/test-system/baserock/deployment.meta'));
    assert.ok(members.includes('./etc/os-release'));
    const meta = JSON.parse(
      spawnSync('tar', ['-xOf', join(f.root, 'test.tar'), './baserock/deployment.meta'], { encoding: 'utf8' })
        .stdout,
    );
    assert.equal(meta['deployment-type'], 'tar');
    assert.equal(meta['system-artifact-name'], 'test-system-rootfs');
    assert.equal(meta.configuration.UPGRADE, 'no');
    assert.deepEqual(meta['definitions-version'], { describe: 'abc1234' });
    assert.deepEqual(mountsUnder(f.top), []);
    assert.deepEqual(await readdir(f.session.tempDir), []);
  } finally {
    f.session.cleanup.unwind();
    await rm(f.top, { recursive: true, force: true });
  }
});

test("deployment.meta: only the deployment's own variables, no secrets in any case; configure extensions run on the tree", {
  skip: !isRoot,
}, async () => {
  const f = await fixture({ union: 'copy', configure: ['set-hostname'] });
  const inherited = 'MORPH_TEST_INHERITED_TOKEN';
  process.env[inherited] = 'from-morphs-environment';
  try {
    const params = {
      type: 'sysroot',
      location: 'out',
      HOSTNAME: 'box',
      ROOT_PASSWORD: 'secret',
      db_password: 'secret2',
      Api_Token: 'secret3',
      AWS_SECRET_ACCESS_KEY: 'secret4',
    };
    await deploySystem(f.session, entry({ sys: params }), undefined, []);
    const meta = JSON.parse(await readFile(join(f.root, 'out', 'baserock', 'deployment.meta'), 'utf8'));
    assert.deepEqual(meta.configuration, { HOSTNAME: 'box', UPGRADE: 'no' });
    assert.equal(await readFile(join(f.root, 'out', 'etc', 'hostname'), 'utf8'), 'box\n');
  } finally {
    delete process.env[inherited];
    await rm(f.top, { recursive: true, force: true });
  }
});

test('a failing write extension is named with its exit code and stderr; the tree is removed', {
  skip: !isRoot,
}, async () => {
  const f = await fixture();
  try {
    const ext = join(f.root, 'broken.write');
    await writeFile(
      ext,
      '#!/bin/sh\necho progress\necho "to the log" >&"$MORPH_LOG_FD"\necho "it broke" >&2\nexit 3\n',
    );
    await chmod(ext, 0o644); // not executable in the checkout: morph runs a private copy
    await assert.rejects(
      deploySystem(f.session, entry({ sys: { type: 'broken', location: 'x' } }), undefined, []),
      (err: unknown) =>
        err instanceof MorphError &&
        err.reason === 'failed' &&
        /broken\.write failed with code 3: it broke/.test(err.message),
    );
    assert.deepEqual(f.stderr, ['it broke\n']);
    assert.ok(f.log.includes('broken.write: to the log'), f.log.join('\n'));
    assert.ok(f.stdout.some((line) => line.endsWith('[systems/test-system.morph][sys] progress\n')));
    assert.deepEqual(mountsUnder(f.top), []);
    assert.deepEqual(await readdir(f.session.tempDir), []);
    assert.equal(existsSync(join(f.root, 'x')), false);
  } finally {
    await rm(f.top, { recursive: true, force: true });
  }
});

test("an extension's own ERROR: line is morph's one error, not wrapped; its group is gone after it", {
  skip: !isRoot,
}, async () => {
  const f = await fixture();
  try {
    const ext = join(f.root, 'picky.write');
    await writeFile(
      ext,
      '#!/bin/sh\n(sleep 30.123; touch "$2.late") &\necho "some detail" >&2\necho "ERROR: DISK_SIZE is not a valid size: -5G" >&2\nexit 1\n',
    );
    await assert.rejects(
      deploySystem(f.session, entry({ sys: { type: 'picky', location: 'x' } }), undefined, []),
      (err: unknown) =>
        err instanceof MorphError &&
        err.reason === 'failed' &&
        err.message === 'DISK_SIZE is not a valid size: -5G',
    );
    assert.deepEqual(f.stderr, ['some detail\n']);
    const left = spawnSync('pgrep', ['-f', 'sleep 30.123'], { encoding: 'utf8' }).stdout.trim();
    assert.equal(left, '', `still running: ${left}`);
  } finally {
    await rm(f.top, { recursive: true, force: true });
  }
});

test('a subsystem location may not escape the parent tree; unknown types are reported', {
  skip: !isRoot,
}, async () => {
  const f = await fixture();
  try {
    const escaping = entry({ sub: { type: 'sysroot', location: '../../escaped' } });
    await assert.rejects(
      deploySystem(f.session, entry({ top: { type: 'tar', location: 't.tar' } }, [escaping]), undefined, []),
      { code: 'deploy/location-escapes-tree' },
    );
    await assert.rejects(
      deploySystem(f.session, entry({ top: { type: 'nosuch', location: 'x' } }), undefined, []),
      {
        code: 'extension/not-found',
      },
    );
    assert.deepEqual(mountsUnder(f.top), []);
    assert.deepEqual(await readdir(f.session.tempDir), []);
  } finally {
    await rm(f.top, { recursive: true, force: true });
  }
});

test('deployments of one revision share one read-only checkout; their writes stay in their own trees', {
  skip: !isRoot,
}, async () => {
  const revision = 'a'.repeat(64);
  const f = await fixture({ revision, configure: ['set-hostname'] });
  try {
    const shared = join(f.top, 'cache', 'deploy-checkouts', revision, 'tree');
    await deploySystem(
      f.session,
      entry({
        one: { type: 'tar', location: 'one.tar', HOSTNAME: 'one' },
        two: { type: 'sysroot', location: 'two', HOSTNAME: 'two' },
      }),
      undefined,
      [],
    );
    assert.equal(f.checkouts(), 1, 'the second deployment reuses the first one’s checkout');
    assert.ok(existsSync(join(shared, 'etc', 'os-release')));
    assert.equal(existsSync(join(shared, 'etc', 'hostname')), false, 'nothing is written into the checkout');
    assert.equal(existsSync(join(shared, 'baserock', 'deployment.meta')), false);
    assert.equal(await readFile(join(f.root, 'two', 'etc', 'hostname'), 'utf8'), 'two\n');
    const hostname = spawnSync('tar', ['-xOf', join(f.root, 'one.tar'), './etc/hostname'], {
      encoding: 'utf8',
    });
    assert.equal(hostname.stdout, 'one\n');
    assert.deepEqual(mountsUnder(f.top), []);
    assert.deepEqual(await readdir(f.session.tempDir), []);

    // Without a known revision every deployment checks out its own lower layer, removed after it.
    const g = await fixture();
    try {
      await deploySystem(g.session, entry({ one: { type: 'tar', location: 'one.tar' } }), undefined, []);
      await deploySystem(g.session, entry({ one: { type: 'tar', location: 'two.tar' } }), undefined, []);
      assert.equal(g.checkouts(), 2);
      assert.equal(existsSync(join(g.top, 'cache', 'deploy-checkouts')), false);
      assert.deepEqual(await readdir(g.session.tempDir), []);
    } finally {
      await rm(g.top, { recursive: true, force: true });
    }
  } finally {
    f.session.cleanup.unwind();
    await rm(f.top, { recursive: true, force: true });
  }
});

test('only the write extension is told the deploy tree layers; they are never configuration', {
  skip: !isRoot,
}, async () => {
  const revision = 'b'.repeat(64);
  const f = await fixture({ revision, configure: ['dump'] });
  const dump = (name: string) => `#!/bin/sh\nenv | grep '^MORPH_DEPLOY_' | sort > "${join(f.top, name)}"\n`;
  try {
    await writeFile(join(f.root, 'dump.configure'), dump('configure.env'));
    await writeFile(
      join(f.root, 'dump.write'),
      `${dump('write.env')}cp "$1/baserock/deployment.meta" "$2"\n`,
    );
    // Set by the user, in the cluster and in morph's environment: dropped, not passed on.
    process.env.MORPH_DEPLOY_CACHE = '/from/the/environment';
    await deploySystem(
      f.session,
      entry({ one: { type: 'dump', location: 'meta.json', MORPH_DEPLOY_LOWER: '/from/the/cluster' } }),
      undefined,
      [],
    );
    const home = join(f.top, 'cache', 'deploy-checkouts', revision);
    const written = (await readFile(join(f.top, 'write.env'), 'utf8')).trim().split('\n');
    assert.deepEqual(
      written.map((line) => line.split('=')[0]),
      ['MORPH_DEPLOY_CACHE', 'MORPH_DEPLOY_LOWER', 'MORPH_DEPLOY_UPPER'],
    );
    assert.ok(written.includes(`MORPH_DEPLOY_CACHE=${home}`), written.join('\n'));
    assert.ok(written.includes(`MORPH_DEPLOY_LOWER=${join(home, 'tree')}`), written.join('\n'));
    assert.match(written[2]!, new RegExp(`^MORPH_DEPLOY_UPPER=${f.session.tempDir}/deploy-\\w+/upper$`));
    assert.equal(await readFile(join(f.top, 'configure.env'), 'utf8'), '');
    const meta = await readFile(join(f.root, 'meta.json'), 'utf8');
    assert.doesNotMatch(meta, /MORPH_DEPLOY/);

    // A tree that is a copy has no layers to tell.
    const g = await fixture({ revision, union: 'copy' });
    try {
      await writeFile(join(g.root, 'dump.write'), dump('write.env').replace(f.top, g.top));
      await deploySystem(g.session, entry({ one: { type: 'dump', location: 'x' } }), undefined, []);
      assert.equal(await readFile(join(g.top, 'write.env'), 'utf8'), '');
    } finally {
      await rm(g.top, { recursive: true, force: true });
    }
  } finally {
    delete process.env.MORPH_DEPLOY_CACHE;
    f.session.cleanup.unwind();
    await rm(f.top, { recursive: true, force: true });
  }
});
