import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeRepoUrl } from './escape-repo-url.js';
import { parseRepoAlias, RepoAliasResolver } from './repo-alias.js';

const suite = RepoAliasResolver.fromSettings({
  'repo-alias': ['test=git://127.0.0.1:4000/%s#ssh://git@127.0.0.1/%s'],
  'trove-host': '[]',
  'trove-id': [],
});

describe('RepoAliasResolver', () => {
  it('expands aliased names with %s patterns', () => {
    assert.equal(suite.pullUrl('test:morphs'), 'git://127.0.0.1:4000/morphs');
    assert.equal(suite.pushUrl('test:test-chunk'), 'ssh://git@127.0.0.1/test-chunk');
  });

  it('uses unknown prefixes and plain URLs verbatim', () => {
    assert.equal(suite.pullUrl('file:///d/morphs'), 'file:///d/morphs');
    assert.equal(suite.pullUrl('git://host/x'), 'git://host/x');
    assert.equal(suite.pullUrl('nosuch:x'), 'nosuch:x');
    assert.equal(suite.isAliased('test:x'), true);
    assert.equal(suite.isAliased('file:///x'), false);
  });

  it('appends to patterns without %s and keeps built-in aliases when none are configured', () => {
    const defaults = RepoAliasResolver.fromSettings({ 'repo-alias': [], 'trove-host': '', 'trove-id': [] });
    assert.equal(defaults.pullUrl('freedesktop:xorg/lib'), 'git://anongit.freedesktop.org/xorg/lib');
    assert.equal(defaults.pushUrl('github:a/b'), 'ssh://git@github.com/a/b');
    assert.equal(defaults.pullUrl('baserock:x'), 'baserock:x');
    assert.equal(suite.pullUrl('github:a/b'), 'github:a/b');
  });

  it('adds trove aliases unless an explicit alias has the prefix', () => {
    const trove = RepoAliasResolver.fromSettings({
      'repo-alias': ['upstream=git://mine/%s#ssh://mine/%s'],
      'trove-host': 'trove.example',
      'trove-id': ['foo', 'bar=path/to#git#ssh'],
    });
    assert.equal(
      trove.pullUrl('baserock:baserock/definitions'),
      'git://trove.example/baserock/baserock/definitions',
    );
    assert.equal(trove.pushUrl('baserock:x'), 'ssh://git@trove.example/baserock/x');
    assert.equal(trove.pullUrl('upstream:x'), 'git://mine/x');
    assert.equal(trove.pullUrl('foo:x'), 'ssh://git@trove.example/foo/x');
    assert.equal(trove.pullUrl('bar:x'), 'git://trove.example/path/to/x');
    assert.equal(trove.pushUrl('bar:x'), 'ssh://git@trove.example/path/to/x');
  });

  it('reverse-maps URLs to every matching alias, sorted', () => {
    const two = new RepoAliasResolver([
      parseRepoAlias('test=git://h/%s#ssh://h/%s'),
      parseRepoAlias('alt=git://h/#ssh://other/'),
    ]);
    assert.deepEqual(two.aliasesFor('git://h/morphs'), ['alt:morphs', 'test:morphs']);
    assert.deepEqual(two.aliasesFor('ssh://h/x'), ['test:x']);
    assert.deepEqual(two.aliasesFor('git://elsewhere/x'), []);
  });

  it('rejects malformed aliases', () => {
    for (const bad of ['Test=a#b', 'x=a#b', 'test=a', 'test=a#b#c', 'test:a#b']) {
      assert.throws(() => parseRepoAlias(bad), { code: 'config/invalid-repo-alias' }, bad);
    }
  });
});

describe('escapeRepoUrl', () => {
  it('keeps letters, digits, % and _ only', () => {
    assert.equal(escapeRepoUrl('git://127.0.0.1:4000/morphs'), 'git___127_0_0_1_4000_morphs');
    assert.equal(escapeRepoUrl('http://h/a%20b_c-d.git'), 'http___h_a%20b_c_d_git');
  });
});
