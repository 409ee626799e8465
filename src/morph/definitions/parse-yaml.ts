import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { type ErrorLocation, MorphError, type MorphReason } from '../errors.js';
import { findTooDeep } from './nesting-depth.js';
import { type Position, setProvenance } from './provenance.js';
import { pyyamlTags } from './pyyaml-schema.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The largest definition file morph reads (real ones are a few KB). */
export const MAX_DEFINITION_BYTES = 16 * 1024 * 1024;
/** The deepest nesting of mappings and sequences in a definition (real ones: under 10). */
export const MAX_NESTING_DEPTH = 64;
/** The most alias expansions in one definition (the "billion laughs" guard). */
export const MAX_ALIAS_COUNT = 1000;

function definitionError(
  reason: MorphReason<'definitions'>,
  location: ErrorLocation,
  message: string,
  cause?: unknown,
): MorphError {
  return new MorphError('definitions', reason, message, { location, cause });
}

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
  if (data.length > MAX_DEFINITION_BYTES) {
    throw definitionError(
      'too-large',
      { file },
      `the file is too large for a morphology (${data.length} bytes; at most ${MAX_DEFINITION_BYTES})`,
    );
  }
  if (typeof data !== 'string' && data.includes(0)) {
    throw definitionError('binary-file', { file }, 'this is a binary file, not a morphology (YAML text)');
  }
  let text: string;
  try {
    text = typeof data === 'string' ? data : utf8.decode(data);
  } catch (cause) {
    throw new MorphError(
      'definitions',
      'syntax-error',
      `Syntax error in morphology ${file}: not valid UTF-8`,
      // The message names the file: no location in front of it.
      { cause },
    );
  }
  // Refused before parsing: the parser recurses, and overflowing its stack can leave V8 unable to go on.
  const deep = findTooDeep(text, MAX_NESTING_DEPTH);
  if (deep !== undefined) {
    throw definitionError(
      'too-deep',
      { file, line: deep.line },
      `nesting is too deep (at most ${MAX_NESTING_DEPTH} levels)`,
    );
  }
  try {
    return parseText(text, file);
  } catch (err) {
    // The parser and toJS recurse: a deeper document than any limit check could see first, or a self-referencing alias.
    if (err instanceof RangeError) {
      throw definitionError(
        'too-deep',
        { file },
        `nesting or aliases go too deep (at most ${MAX_NESTING_DEPTH} levels)`,
        err,
      );
    }
    if (err instanceof MorphError) throw err;
    const message = (err as Error).message ?? String(err);
    if (message.includes('Excessive alias count')) {
      throw definitionError(
        'too-many-aliases',
        { file },
        `aliases expand too much (at most ${MAX_ALIAS_COUNT} expansions)`,
        err,
      );
    }
    throw definitionError(
      'syntax-error',
      { file },
      `Syntax error in morphology: ${message.split('\n')[0]}`,
      err,
    );
  }
}

function parseText(text: string, file: string): unknown {
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
  if (first?.message.includes('Maximum call stack size exceeded')) {
    const pos = lineCounter.linePos(first.pos[0]);
    throw definitionError(
      'too-deep',
      { file, line: pos.line },
      `nesting is too deep (at most ${MAX_NESTING_DEPTH} levels)`,
      first,
    );
  }
  if (first !== undefined) {
    const pos = lineCounter.linePos(first.pos[0]);
    const detail = first.message.split('\n')[0];
    throw new MorphError('definitions', 'syntax-error', `Syntax error in morphology ${file}: ${detail}`, {
      location: { file, line: pos.line, column: pos.col },
      cause: first,
    });
  }
  const value = normalise(doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }));
  checkDepth(value, file);
  if (doc.contents !== null) record(doc.contents as Node, value, file, lineCounter);
  return value;
}

/**
 * Refuses nesting deeper than MAX_NESTING_DEPTH, iteratively (no recursion to overflow).
 * @throws MorphError `definitions/too-deep`.
 */
function checkDepth(value: unknown, file: string): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object' || Buffer.isBuffer(item)) continue;
    if (depth > MAX_NESTING_DEPTH) {
      throw definitionError(
        'too-deep',
        { file },
        `nesting is too deep (at most ${MAX_NESTING_DEPTH} levels)`,
      );
    }
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
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
