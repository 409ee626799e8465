import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImageRecord } from './image-metadata.js';
import { autotoolsVersion, formatManifest, manifestRows } from './system-manifest.js';

const record = (kind: string, name: string, extra: Partial<ImageRecord> = {}): ImageRecord =>
  ({
    file: `/m/${name}.meta`,
    kind,
    'artifact-name': name,
    'cache-key': `${name.length}abcdef0123456789`,
    repo: `git://h/${name}`,
    original_ref: 'master',
    sha1: '0123456789abcdef0123456789abcdef01234567',
    ...extra,
  }) as ImageRecord;

test('rows: systems, strata, chunks, each by name; build refs cut; versions appended', () => {
  const records = [
    record('chunk', 'zlib-bins'),
    record('chunk', 'hello_world-bins'),
    record('stratum', 'core-runtime', { original_ref: 'baserock/builds/0123456789abcdef/xyz' }),
    record('system', 'test-system-rootfs', { original_ref: 'refs/heads/baserock/builds/fedcba9876543210' }),
    { file: '/m/deployment.meta', 'system-artifact-name': 'x' } as unknown as ImageRecord,
  ];
  const rows = manifestRows(records, new Map([['/m/hello_world-bins.meta', '1.2']]));
  assert.deepEqual(
    rows.map((r) => r.artifact),
    [
      '18abcde.system.test-system-rootfs',
      '12abcde.stratum.core-runtime',
      '16abcde.chunk.hello_world-bins-1.2',
      '9abcdef.chunk.zlib-bins',
    ],
  );
  assert.equal(rows[0]!.ref, 'refs/heads/baserock/builds/fedcba9');
  assert.equal(rows[1]!.ref, 'baserock/builds/0123456');
  assert.equal(rows[2]!.commit, '0123456');
});

test('the table is tab-separated with columns padded to the widest value', () => {
  const text = formatManifest([
    { artifact: 'a.chunk.x', repository: 'git://h/x', ref: 'master', commit: '0123456' },
  ]);
  assert.equal(text, 'ARTIFACT \tREPOSITORY\tREF   \tCOMMIT \n' + 'a.chunk.x\tgit://h/x \tmaster\t0123456\n');
});

test('autotools versions come from AC_INIT', () => {
  assert.equal(autotoolsVersion('AC_INIT([GNU Hello], [2.10], [bug-hello@gnu.org])'), '2.10');
  assert.equal(autotoolsVersion('AC_INIT(hello, 1.0)\n'), '1.0');
  assert.equal(autotoolsVersion('AC_INIT([x], m4_esyscmd([build-aux/git-version-gen]))'), undefined);
  assert.equal(autotoolsVersion('no autotools here'), undefined);
});
