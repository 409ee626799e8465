import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChunkMorphology } from '../../model.js';
import { buildScript, remoteFailure, SCRIPT_COMMAND } from './build-script.js';

const morphology = {
  kind: 'chunk',
  name: 'c',
  'configure-commands': ['./configure'],
  'build-commands': ['make', 'make check'],
} as unknown as ChunkMorphology;

describe('remoteFailure', () => {
  it('names the failing command and keeps what else the action wrote on stderr', () => {
    const { failure, log } = remoteFailure({
      stderr:
        'morph-remote-running 1 0\nmorph-remote-running 4 0\nbwrap: warning\nmorph-remote-failure 4 0 2\n',
      exitCode: 2,
      morphology,
    });
    assert.deepEqual(failure, { step: 'build', command: 'make', exitCode: 2 });
    assert.equal(log, 'bwrap: warning\n');
  });

  it('names the command that was running when the engine killed the action for its timeout', () => {
    const { failure, log } = remoteFailure({
      stderr: 'morph-remote-running 1 0\nmorph-remote-running 4 0\nmorph-remote-running 4 1\n',
      exitCode: 137,
      morphology,
      timedOutAfter: 5,
    });
    assert.deepEqual(failure, { step: 'build', command: 'make check', exitCode: 137, timedOutAfter: 5 });
    assert.match(log, /ran longer than 5 s \(--build-timeout\)/);
  });

  it('reports an action that stopped outside the commands as the script, with its stderr as output', () => {
    const { failure, log } = remoteFailure({
      stderr: 'sh: cannot open morph-build.sh\n',
      exitCode: 2,
      morphology,
    });
    assert.deepEqual(failure, { step: 'remote', command: SCRIPT_COMMAND, exitCode: 2 });
    assert.ok(log.startsWith(`# # ${SCRIPT_COMMAND}\nsh: cannot open morph-build.sh\n`));
  });
});

describe('buildScript', () => {
  it('announces each command on stderr before running it', () => {
    const script = buildScript('c', morphology, 4).toString();
    assert.match(script, /echo "morph-remote-running 1 0" >&2\n/);
    assert.match(script, /echo "morph-remote-running 4 1" >&2\n/);
  });
});
