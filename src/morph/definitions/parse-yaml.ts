import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { MorphError } from '../errors.js';
import { type Position, setProvenance } from './provenance.js';
import { pyyamlTags } from './pyyaml-schema.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses one YAML document with PyYAML safe_load semantics (YAML 1.1
 * booleans and ints, duplicate keys allowed with the last one winning,
 * `!!binary` as `Buffer`), and records the provenance of every mapping and
 * sequence (see `locationOf`).
 *
 * @throws MorphError `definitions/syntax-error` when the text is not UTF-8
 *   or not one well-formed YAML document.
 */
export function parseYaml(data: string | Buffer, file: string): unknown {
  let text: string;
  try {
    text = typeof data === 'string' ? data : utf8.decode(data);
  } catch (cause) {
    throw new MorphError(
      'definitions',
      'syntax-error',
      `Syntax error in morphology ${file}: not valid UTF-8`,
      {
        location: file,
        cause,
      },
    );
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    version: '1.1',
    schema: 'yaml-1.1',
    customTags: pyyamlTags,
    uniqueKeys: false,
    merge: true,
    lineCounter,
    prettyErrors: false,
  });
  const first = doc.errors[0];
  if (first !== undefined) {
    const pos = lineCounter.linePos(first.pos[0]);
    const location = `${file}:${pos.line}:${pos.col}`;
    const detail = first.message.split('\n')[0];
    throw new MorphError(
      'definitions',
      'syntax-error',
      `${location}: Syntax error in morphology ${file}: ${detail}`,
      {
        location,
        cause: first,
      },
    );
  }
  const value = normalise(doc.toJS({ maxAliasCount: 1000 }));
  if (doc.contents !== null) record(doc.contents as Node, value, file, lineCounter);
  return value;
}

/** Binary values come back as Uint8Array views; make every one a Buffer. */
function normalise(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = normalise(item);
    return out;
  }
  return value;
}

function positionOf(node: unknown, lineCounter: LineCounter): Position | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  if (range === undefined) return undefined;
  const pos = lineCounter.linePos(range[0]);
  return { line: pos.line, col: pos.col };
}

function isContainer(value: unknown): value is object {
  return value !== null && typeof value === 'object' && !Buffer.isBuffer(value);
}

/** Walks the YAML node tree beside its JS value, recording positions. */
function record(node: Node, value: unknown, file: string, lineCounter: LineCounter): void {
  if (!isContainer(value)) return;
  const children = new Map<string | number, Position>();
  setProvenance(value, { file, position: positionOf(node, lineCounter), children });
  if (isMap(node) && !Array.isArray(value)) {
    // With duplicate keys the last pair wins, as in the JS value.
    const last = new Map<string, (typeof node.items)[number]>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      last.set(key, pair);
    }
    for (const [key, pair] of last) {
      const at = positionOf(pair.key, lineCounter);
      if (at !== undefined) children.set(key, at);
      const child = (value as Record<string, unknown>)[key];
      if (pair.value !== null && isContainer(child)) record(pair.value as Node, child, file, lineCounter);
    }
  } else if (isSeq(node) && Array.isArray(value)) {
    node.items.forEach((item, index) => {
      const at = positionOf(item, lineCounter);
      if (at !== undefined) children.set(index, at);
      if (isContainer(value[index])) record(item as Node, value[index], file, lineCounter);
    });
  }
}
