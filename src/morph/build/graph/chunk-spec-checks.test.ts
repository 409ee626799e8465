import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadMorphology } from '../../definitions/load-morphology.js';
import { MorphError } from '../../errors.js';
import type { StratumMorphology } from '../../model.js';
import { RepoAliasResolver } from '../../sources/repo-alias.js';
import { checkChunkSpecs } from './chunk-spec-checks.js';

const aliases = RepoAliasResolver.fromSettings({
  'repo-alias': ['local=file:///r/%s#file:///r/%s'],
  'trove-host': '[]',
  'trove-id': [],
});

function specsOf(chunks: string): { stratumFile: string; spec: StratumMorphology['chunks'][number] }[] {
  const text = `name: s\nkind: stratum\nchunks:\n${chunks}`;
  const stratum = loadMorphology(text, 'strata/s.morph') as StratumMorphology;
  return stratum.chunks.map((spec) => ({ stratumFile: 'strata/s.morph', spec }));
}

function reasonOf(chunks: string): string | undefined {
  try {
    checkChunkSpecs(specsOf(chunks), aliases);
    return undefined;
  } catch (err) {
    assert.ok(err instanceof MorphError);
    assert.equal(err.location?.file, 'strata/s.morph');
    assert.ok(err.location.line && err.location.column, 'the line and column of the spec');
    return err.reason;
  }
}

describe('checkChunkSpecs', () => {
  it('accepts distinct sources and known aliases, URLs and scp-like names', () => {
    const ok = [
      '- {name: a, repo: "local:x", ref: master, build-mode: bootstrap, build-depends: []}',
      '- {name: b, repo: "local:x", ref: master, morph: b.morph, build-depends: [a]}',
      '- {name: c, repo: "local:x", ref: other, morph: b.morph, build-depends: []}',
      '- {name: d, repo: "file:///r/x", ref: master, morph: d.morph, build-depends: []}',
      '- {name: e, repo: "git@host:x", ref: master, build-depends: []}',
      '',
    ].join('\n');
    assert.equal(reasonOf(ok), undefined);
  });

  it('rejects two specs naming one repo, ref and morphology file', () => {
    const twice = [
      '- {name: stage1, repo: "local:x", ref: master, morph: x.morph, build-mode: bootstrap, build-depends: []}',
      '- {name: x, repo: "file:///r/x", ref: master, morph: x.morph, build-depends: [stage1]}',
      '',
    ].join('\n');
    assert.equal(reasonOf(twice), 'duplicate-source');
  });

  it('rejects an unknown alias, naming the known ones', () => {
    const unknown =
      '- {name: a, repo: "ncx:busybox", ref: master, build-mode: bootstrap, build-depends: []}\n';
    assert.equal(reasonOf(unknown), 'unknown-repo-alias');
    assert.throws(() => checkChunkSpecs(specsOf(unknown), aliases), /known: baserock, local, upstream\)/);
  });
});
