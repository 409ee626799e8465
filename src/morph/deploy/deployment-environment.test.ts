import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MorphError } from '../errors.js';
import type { DeploymentParameters } from '../model.js';
import { deploymentEnvironment, stringifyParameter } from './deployment-environment.js';

const base: {
  name: string;
  defaults: DeploymentParameters;
  parameters: DeploymentParameters;
  processEnv: Record<string, string>;
  overrides: string[];
  upgrade: boolean;
} = {
  name: 'sys',
  defaults: { type: 'tar', A: 'default', B: 'default' },
  parameters: { location: 'x.tar', B: 'param', FLAG: true, NOTHING: null, N: 20 },
  processEnv: { PATH: '/bin', HOME: '/root' },
  overrides: [],
  upgrade: false,
};

test('defaults < parameters < process environment < overrides; type and location taken out', () => {
  const result = deploymentEnvironment({
    ...base,
    processEnv: { ...base.processEnv, B: 'env' },
    overrides: ['sys.C=over=ride', 'other.D=1', 'sys.location=y.tar'],
  });
  assert.equal(result.type, 'tar');
  assert.equal(result.location, 'y.tar');
  assert.deepEqual(result.env, {
    A: 'default',
    B: 'env',
    C: 'over=ride',
    FLAG: 'True',
    NOTHING: 'None',
    N: '20',
    PATH: '/bin',
    HOME: '/root',
    UPGRADE: 'no',
  });
  assert.equal(deploymentEnvironment({ ...base, upgrade: true }).env.UPGRADE, 'yes');
});

test('an override belongs to the longest deployment name it starts with', () => {
  const overrides = ['sys.A=top', 'sys.sub.A=nested', 'sys.subway=1'];
  const names = ['sys', 'sys.sub'];
  const top = deploymentEnvironment({ ...base, overrides, deploymentNames: names });
  assert.equal(top.env.A, 'top');
  assert.equal(top.env['sub.A'], undefined);
  const nested = deploymentEnvironment({ ...base, name: 'sys.sub', overrides, deploymentNames: names });
  assert.equal(nested.env.A, 'nested');
});

test('overriding a variable of the environment, or missing type/location, is an error', () => {
  const reasonOf = (options: Partial<typeof base>) => {
    try {
      deploymentEnvironment({ ...base, ...options });
    } catch (err) {
      assert.ok(err instanceof MorphError);
      return err.reason;
    }
    return 'none';
  };
  assert.equal(reasonOf({ overrides: ['sys.PATH=/x'] }), 'already-set');
  assert.equal(reasonOf({ defaults: { A: '1' } }), 'missing-type');
  assert.equal(reasonOf({ parameters: { location: null } }), 'missing-location');
});

test('parameters are stringified as the original did', () => {
  assert.deepEqual([true, false, null, 'x', 3].map(stringifyParameter), ['True', 'False', 'None', 'x', '3']);
});

test("own variables: the cluster's and the command line's (with the values used) and UPGRADE, never the inherited environment", () => {
  const result = deploymentEnvironment({
    ...base,
    processEnv: { ...base.processEnv, B: 'env', GITHUB_TOKEN: 'inherited' },
    overrides: ['sys.C=cli', 'sys.location=y.tar'],
  });
  assert.deepEqual(result.own, {
    A: 'default',
    B: 'env',
    C: 'cli',
    FLAG: 'True',
    NOTHING: 'None',
    N: '20',
    UPGRADE: 'no',
  });
  assert.equal(result.env.GITHUB_TOKEN, 'inherited');
});
