/**
 * Where each node of a loaded morphology came from, kept beside the plain
 * objects (a WeakMap, so saving and cache ids never see it): the file, the
 * node's own position and the position of each of its keys or items.
 */
import type { ErrorLocation } from '../errors.js';

/** A 1-based line and column. */
export interface Position {
  line: number;
  col: number;
}

/** Provenance of one mapping or sequence node. */
export interface NodeProvenance {
  file: string;
  position: Position | undefined;
  /** Position of each key (mappings) or item (sequences). */
  children: Map<string | number, Position>;
}

const provenance = new WeakMap<object, NodeProvenance>();

/** Records where `node` was read from (used by the YAML loader). */
export function setProvenance(node: object, record: NodeProvenance): void {
  provenance.set(node, record);
}

/** The recorded provenance of `node`, if it was loaded from a file. */
export function getProvenance(node: object): NodeProvenance | undefined {
  return provenance.get(node);
}

/**
 * The file, line and column of `node` (or of its key / item `child`), or just
 * the file when the position is unknown; undefined for nodes not read from a file.
 */
export function locationOf(node: object, child?: string | number): ErrorLocation | undefined {
  const record = provenance.get(node);
  if (record === undefined) return undefined;
  const position = (child === undefined ? undefined : record.children.get(child)) ?? record.position;
  return position === undefined
    ? { file: record.file }
    : { file: record.file, line: position.line, column: position.col };
}

/** The file a loaded morphology (or any of its nodes) was read from. */
export function fileOf(node: object): string | undefined {
  return provenance.get(node)?.file;
}
