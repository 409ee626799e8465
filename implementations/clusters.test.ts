import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { parse } from 'yaml';
import clusters from './clusters.js';
import { fakeContext, runStepText } from './fake-context.js';

describe('cluster editing steps', () => {
  let datadir: string;
  let ctx: ReturnType<typeof fakeContext>;
  const step = (line: string) => runStepText(ctx, clusters, line);
  const read = async (file: string) =>
    readFile(join(datadir, 'workspace', 'master', 'test', 'morphs', file), 'utf8');

  beforeEach(async () => {
    datadir = await mkdtemp(join(tmpdir(), 'clusters-test-'));
    await mkdir(join(datadir, 'workspace', 'master', 'test', 'morphs'), { recursive: true });
    ctx = fakeContext(datadir);
  });
  after(async () => {
    await rm(datadir, { recursive: true, force: true });
  });

  it('builds a cluster with a nested subsystem as edit-morph did', async () => {
    await step('GIVEN a cluster called test-cluster.morph in system branch master');
    await step('GIVEN a system in cluster test-cluster.morph in branch master called test-system');
    await step(
      'GIVEN system test-system in cluster test-cluster.morph in branch master builds systems/test-system.morph',
    );
    await step(
      'GIVEN system test-system in cluster test-cluster.morph in branch master has deployment type: tar',
    );
    await step('GIVEN a subsystem in cluster test-cluster.morph in branch master called test-system.sysroot');
    await step(
      'GIVEN subsystem test-system.sysroot in cluster test-cluster.morph in branch master builds systems/test-system.morph',
    );
    await step(
      'GIVEN subsystem test-system.sysroot in cluster test-cluster.morph in branch master has deployment type: sysroot',
    );
    await step(
      'GIVEN subsystem test-system.sysroot in cluster test-cluster.morph in branch master has deployment location: var/lib/sysroots/test-system',
    );
    await step(
      'GIVEN system test-system in cluster test-cluster.morph in branch master has deployment variable: A=yes',
    );
    await step(
      'GIVEN system test-system in cluster test-cluster.morph in branch master has deployment variable: B=x=1',
    );
    const text = await read('test-cluster.morph');
    assert.deepEqual(parse(text, { version: '1.1' }), {
      name: 'test-cluster',
      kind: 'cluster',
      systems: [
        {
          morph: 'systems/test-system.morph',
          deploy: { 'test-system': { type: 'tar', A: 'yes', B: 'x=1' } },
          subsystems: [
            {
              morph: 'systems/test-system.morph',
              deploy: { sysroot: { type: 'sysroot', location: 'var/lib/sysroots/test-system' } },
            },
          ],
        },
      ],
    });
    assert.match(text, /^systems:\n {2}- morph: systems\/test-system.morph\n {4}deploy:/m, 'morph first');
  });

  it('adds a second top-level system and replaces an existing cluster file', async () => {
    await step('GIVEN a cluster called C.morph in system branch master');
    await step('GIVEN a system in cluster C.morph in branch master called S');
    await step('GIVEN a system in cluster C.morph in branch master called T');
    await step('GIVEN system T in cluster C.morph in branch master has deployment location: t.tar');
    let cluster = parse(await read('C.morph'));
    assert.equal(cluster.name, 'C');
    assert.deepEqual(cluster.systems, [{ deploy: { S: {} } }, { deploy: { T: { location: 't.tar' } } }]);
    await step('GIVEN a cluster called C.morph in system branch master');
    cluster = parse(await read('C.morph'));
    assert.deepEqual(cluster.systems, []);
  });

  it('fails on unknown systems, misplaced names and duplicates', async () => {
    await step('GIVEN a cluster called C.morph in system branch master');
    await step('GIVEN a system in cluster C.morph in branch master called S');
    await assert.rejects(step('GIVEN a system in cluster C.morph in branch master called S'), /already has/);
    await assert.rejects(
      step('GIVEN a subsystem in cluster C.morph in branch master called X.I'),
      /no \(sub\)system/,
    );
    await assert.rejects(
      step('GIVEN a subsystem in cluster C.morph in branch master called I'),
      /PARENT.NAME/,
    );
    await assert.rejects(
      step('GIVEN a system in cluster C.morph in branch master called S.I'),
      /names a subsystem/,
    );
    await assert.rejects(step('GIVEN a system in cluster D.morph in branch master called S'), /no cluster/);
  });
});
