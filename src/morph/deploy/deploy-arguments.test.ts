import assert from 'node:assert/strict';
import { test } from 'node:test';
import { thrownReason } from '../../../test/support/thrown-reason.js';
import type { ClusterMorphology } from '../model.js';
import { splitDeployArguments } from './deploy-arguments.js';

const cluster: ClusterMorphology = {
  kind: 'cluster',
  name: 'test-cluster',
  description: '',
  systems: [
    {
      morph: 'systems/a.morph',
      deploy: { 'test-system': { type: 'tar', location: 'a.tar' } },
      'deploy-defaults': {},
      subsystems: [
        { morph: 'systems/a.morph', deploy: { 'test-system.sysroot': {} }, 'deploy-defaults': {} },
      ],
    },
    { morph: 'systems/b.morph', deploy: { 'second-system': {} }, 'deploy-defaults': {} },
  ],
};

test('leading deployment names filter, the rest are overrides', () => {
  assert.deepEqual(splitDeployArguments(cluster, []), { filter: [], overrides: [] });
  assert.deepEqual(splitDeployArguments(cluster, ['test-system', 'second-system.X=1']), {
    filter: ['test-system'],
    overrides: ['second-system.X=1'],
  });
  assert.deepEqual(
    splitDeployArguments(cluster, ['test-system.DISK_SIZE=20M', 'test-system.location=/a=b']),
    {
      filter: [],
      overrides: ['test-system.DISK_SIZE=20M', 'test-system.location=/a=b'],
    },
  );
  // Overrides may target subsystem deployments too.
  assert.deepEqual(splitDeployArguments(cluster, ['test-system.sysroot.X=1']).overrides, [
    'test-system.sysroot.X=1',
  ]);
});

test('subsystems, unknown names and overrides naming no deployment are refused', () => {
  assert.equal(
    thrownReason(() => splitDeployArguments(cluster, ['test-system.sysroot'])),
    'cannot-deploy-subsystem',
  );
  assert.equal(
    thrownReason(() => splitDeployArguments(cluster, ['not-a-system'])),
    'unknown-deployment',
  );
  assert.equal(
    thrownReason(() => splitDeployArguments(cluster, ['test-system', 'bogus'])),
    'unknown-deployment',
  );
  assert.equal(
    thrownReason(() => splitDeployArguments(cluster, ['other.KEY=1'])),
    'unknown-deployment',
  );
  assert.equal(
    thrownReason(() => splitDeployArguments(cluster, ['test-system.=1'])),
    'unknown-deployment',
  );
});
