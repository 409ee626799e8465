import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { thrownReason } from '../../../test/support/thrown-reason.js';
import { MorphError } from '../errors.js';
import { parseYaml } from './parse-yaml.js';
import { fileOf, getProvenance, locationOf } from './provenance.js';

function parse(text: string): Record<string, unknown> {
  return parseYaml(text, 'test.morph') as Record<string, unknown>;
}

describe('parseYaml (PyYAML safe_load semantics)', () => {
  it('resolves YAML 1.1 booleans as PyYAML does', () => {
    const doc = parse('a: yes\nb: No\nc: on\nd: OFF\ne: True\nf: false\ng: y\nh: n\ni: Y\n');
    assert.deepEqual(doc, {
      a: true,
      b: false,
      c: true,
      d: false,
      e: true,
      f: false,
      g: 'y',
      h: 'n',
      i: 'Y',
    });
  });

  it('resolves ints in every PyYAML form and leaves look-alikes as strings', () => {
    const doc = parse('a: 42\nb: -7\nc: 0777\nd: 0x1F\ne: 0b101\nf: 1:20\ng: 1_000\nh: 09\ni: "42"\nj: 0\n');
    assert.deepEqual(doc, { a: 42, b: -7, c: 511, d: 31, e: 5, f: 80, g: 1000, h: '09', i: '42', j: 0 });
  });

  it('resolves floats only with a dot, as PyYAML does', () => {
    const doc = parse('a: 1.5\nb: 1e5\nc: 1.0e+3\nd: .5\ne: 123e4567\nf: .inf\ng: 1:30.5\n');
    assert.equal(doc.a, 1.5);
    assert.equal(doc.b, '1e5');
    assert.equal(doc.c, 1000);
    assert.equal(doc.d, 0.5);
    assert.equal(doc.e, '123e4567');
    assert.equal(doc.f, Number.POSITIVE_INFINITY);
    assert.equal(doc.g, 90.5);
  });

  it('keeps timestamps as strings and knows nulls', () => {
    const doc = parse('a: 2001-12-14\nb: ~\nc: null\nd:\n');
    assert.deepEqual(doc, { a: '2001-12-14', b: null, c: null, d: null });
  });

  it('allows duplicate keys, the last one winning', () => {
    const doc = parse('strata:\n- morph: a\nname: x\nstrata:\n- morph: b\n- morph: c\n');
    assert.deepEqual(doc, { strata: [{ morph: 'b' }, { morph: 'c' }], name: 'x' });
  });

  it('loads !!binary as a Buffer of the exact bytes', () => {
    const doc = parse('a: !!binary |\n  /+5lY2hvIGhp\nb: [!!binary "AAE="]\n');
    assert.ok(Buffer.isBuffer(doc.a));
    assert.deepEqual([...(doc.a as Buffer)], [0xff, 0xee, ...Buffer.from('echo hi')]);
    assert.ok(Buffer.isBuffer((doc.b as unknown[])[0]));
    assert.deepEqual([...((doc.b as Buffer[])[0] as Buffer)], [0, 1]);
  });

  it('accepts Buffers and supports anchors, aliases and merge keys', () => {
    const doc = parseYaml(Buffer.from('base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\nref: *b\n'), 'f') as Record<
      string,
      unknown
    >;
    assert.deepEqual(doc.other, { x: 1, y: 2 });
    assert.deepEqual(doc.ref, { x: 1 });
  });

  it('reports syntax errors with a location', () => {
    assert.equal(
      thrownReason(() => parse('a: [1, 2\nb: 3\n')),
      'syntax-error',
    );
    try {
      parse('a: 1\n  b: 2\n');
      assert.fail('expected an error');
    } catch (err) {
      assert.ok(err instanceof MorphError);
      assert.deepEqual(err.location, { file: 'test.morph', line: 1, column: 4 });
      assert.match(err.message, /^Syntax error in morphology test\.morph: /);
    }
  });

  it('rejects several documents and invalid UTF-8', () => {
    assert.equal(
      thrownReason(() => parse('a: 1\n---\nb: 2\n')),
      'syntax-error',
    );
    assert.equal(
      thrownReason(() => parseYaml(Buffer.from([0x61, 0x3a, 0x20, 0xff, 0x0a]), 'bad.morph')),
      'syntax-error',
    );
  });

  it('records the position of every mapping key and sequence item', () => {
    const doc = parse('name: x\nchunks:\n  - name: a\n    ref: r\n  - name: b\nname: y\n');
    const at = (line: number, column: number) => ({ file: 'test.morph', line, column });
    assert.deepEqual(locationOf(doc, 'chunks'), at(2, 1));
    assert.deepEqual(locationOf(doc, 'name'), at(6, 1));
    const chunks = doc.chunks as object[];
    assert.deepEqual(locationOf(chunks, 1), at(5, 5));
    assert.deepEqual(locationOf(chunks[0] as object, 'ref'), at(4, 5));
    assert.deepEqual(locationOf(doc, 'missing'), at(1, 1));
    assert.equal(fileOf(chunks[1] as object), 'test.morph');
    assert.equal(locationOf({}), undefined);
    assert.equal(getProvenance({}), undefined);
  });

  it('returns scalars and empty documents as they are', () => {
    assert.equal(parseYaml('', 'e'), null);
    assert.equal(parseYaml('just a string\n', 'e'), 'just a string');
    assert.deepEqual(parseYaml('- 1\n- 2\n', 'e'), [1, 2]);
  });
});
