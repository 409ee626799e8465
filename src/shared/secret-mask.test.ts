import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSecretName, MASK, maskArgument, SecretMask, withoutSecrets } from './secret-mask.js';

test('secret names: PASSWORD, SECRET, TOKEN, KEY in any case, anywhere in the name', () => {
  for (const name of [
    'ROOT_PASSWORD',
    'password',
    'db_password',
    'DB_Password',
    'AWS_SECRET_ACCESS_KEY',
    'GITHUB_TOKEN',
    'api_token',
    'SSH_KEY',
    'apikey',
  ]) {
    assert.equal(isSecretName(name), true, name);
  }
  for (const name of ['HOSTNAME', 'DISK_SIZE', 'UPGRADE', 'location', 'PASSWD']) {
    assert.equal(isSecretName(name), false, name);
  }
});

test('withoutSecrets drops secret keys only', () => {
  assert.deepEqual(withoutSecrets({ HOSTNAME: 'box', db_password: 'x', Api_Token: 'y', UPGRADE: 'no' }), {
    HOSTNAME: 'box',
    UPGRADE: 'no',
  });
});

test('maskArgument masks secret assignments on the command line', () => {
  assert.equal(maskArgument('sys.DB_PASSWORD=hunter2'), `sys.DB_PASSWORD=${MASK}`);
  assert.equal(maskArgument('--api-token=abc'), `--api-token=${MASK}`);
  assert.equal(maskArgument('sys.HOSTNAME=box'), 'sys.HOSTNAME=box');
  assert.equal(maskArgument('deploy'), 'deploy');
  assert.equal(maskArgument('=x'), '=x');
});

test('SecretMask replaces registered values wherever they appear, longest first', () => {
  const mask = new SecretMask();
  mask.addSecretsOf({
    DB_PASSWORD: 'hunter2',
    HOSTNAME: 'box',
    GITHUB_TOKEN: 'hunter2-long',
    EMPTY_KEY: undefined,
  });
  mask.addArguments(['sys.API_KEY=s3cr3t', 'sys.HOSTNAME=visible']);
  mask.add('ab');
  assert.equal(
    mask.mask('pw hunter2, tok hunter2-long, key s3cr3t, host box visible ab'),
    'pw ***, tok ***, key ***, host box visible ab',
  );
  assert.equal(new SecretMask().mask('unchanged'), 'unchanged');
});
