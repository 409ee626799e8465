// Unit test of scripts/check-layers.mjs: each import the layering forbids
// (the ones issue 14 found, and circles) fails the check; allowed ones pass.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const script = join(dirname(fileURLToPath(import.meta.url)), 'check-layers.mjs');

/** Runs the check over a tree of `files` (path under src/ -> the paths it imports). */
function check(files) {
  const root = mkdtempSync(join(tmpdir(), 'check-layers-'));
  try {
    for (const [path, imports] of Object.entries(files)) {
      mkdirSync(dirname(join(root, 'src', path)), { recursive: true });
      const lines = imports.map((spec) => `import { x } from '${spec}';`);
      writeFileSync(join(root, 'src', path), `${lines.join('\n')}\nexport const x = 1;\n`);
    }
    const result = spawnSync(process.execPath, [script, root], { encoding: 'utf8' });
    return { status: result.status, stderr: result.stderr };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const forbidden = {
  'build -> deploy (gc in build)': {
    'morph/build/gc.ts': ['../deploy/shared-checkout.js'],
    'morph/deploy/shared-checkout.ts': [],
  },
  'build -> workspace (build branches in build)': {
    'morph/build/build-branch.ts': ['../workspace/system-branch.js'],
    'morph/workspace/system-branch.ts': [],
  },
  'deploy -> a built-in extension': {
    'morph/deploy/deploy-tree.ts': ['../extensions/builtin/deploy-layers.js'],
    'morph/extensions/builtin/deploy-layers.ts': [],
  },
  'build -> the extension API (CleanupStack there)': {
    'morph/build/staging.ts': ['../extensions/cleanup-stack.js'],
    'morph/extensions/cleanup-stack.ts': [],
  },
  'a built-in extension -> deploy': {
    'morph/extensions/builtin/tar.ts': ['../../deploy/deploy-tree.js'],
    'morph/deploy/deploy-tree.ts': [],
  },
  'shared -> morph': { 'shared/exec.ts': ['../morph/errors.js'], 'morph/errors.ts': [] },
  'a build stage -> a later stage': {
    'morph/build/graph/build-graph.ts': ['../execute/chunk-builder.js'],
    'morph/build/execute/chunk-builder.ts': [],
  },
  'a build stage -> a whole build command': {
    'morph/build/stage/staging-area.ts': ['../cross-bootstrap.js'],
    'morph/build/cross-bootstrap.ts': [],
  },
  'yarn report -> bind': { 'yarn/report/render.ts': ['../bind/registry.js'], 'yarn/bind/registry.ts': [] },
  'yarn run -> bind': { 'yarn/run/run.ts': ['../bind/bind.js'], 'yarn/bind/bind.ts': [] },
  'yarn -> morph': { 'yarn/run/run.ts': ['../../morph/errors.js'], 'morph/errors.ts': [] },
  'a circle inside a folder': { 'yarn/report/html.ts': ['./text.js'], 'yarn/report/text.ts': ['./html.js'] },
  'a folder missing from the table': { 'morph/newthing/a.ts': ['../errors.js'], 'morph/errors.ts': [] },
};

for (const [name, files] of Object.entries(forbidden)) {
  test(`the layer check fails on ${name}`, () => {
    const result = check(files);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /^ERROR: /m);
  });
}

test('the layer check passes allowed imports', () => {
  const result = check({
    'morph/cli/build.ts': [
      '../workspace/build-branch.js',
      '../deploy/deploy-tree.js',
      '../../shared/exec.js',
    ],
    'morph/workspace/build-app.ts': ['../build/graph/build-app.js'],
    'morph/build/graph/build-app.ts': ['../../cache/artifact-cache.js', '../../../shared/cleanup-stack.js'],
    'morph/build/execute/chunk-builder.ts': ['../stage/staging-area.js', '../graph/build-app.js'],
    'morph/build/stage/staging-area.ts': [],
    'morph/build/cross-bootstrap.ts': ['./execute/chunk-builder.js'],
    'morph/cache/artifact-cache.ts': ['../errors.js'],
    'morph/errors.ts': [],
    'morph/deploy/deploy-tree.ts': ['../extensions/deploy-layers.js', '../build/stage/staging-area.js'],
    'morph/extensions/deploy-layers.ts': [],
    'morph/extensions/builtin/rawdisk.ts': ['../deploy-layers.js', '../api.js'],
    'morph/extensions/api.ts': [],
    'shared/exec.ts': [],
    'shared/cleanup-stack.ts': [],
    'yarn/run/run.test.ts': ['../bind/bind.js'],
    'yarn/bind/bind.ts': [],
  });
  assert.equal(result.status, 0, result.stderr);
});
