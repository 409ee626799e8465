import type { Digest } from './digest.js';
import { ProtoWriter } from './proto-writer.js';

/**
 * Canonical encodings of the REAPI v2 messages whose digests name things
 * (`Directory`, `Command`, `Action`): fields in field-number order, proto3
 * defaults omitted, directory entries sorted by name, so that morph and an
 * engine computing the same message get the same bytes (REAPI v2
 * "Directory" and "Action" canonical form).
 */

/** A file of a `Directory`; `mode` becomes `unix_mode` when it is not what `executable` implies. */
export interface FileEntry {
  readonly name: string;
  readonly digest: Digest;
  readonly executable: boolean;
  /** Permission bits (07777). */
  readonly mode?: number;
}

/** A subdirectory of a `Directory`. */
export interface DirectoryEntry {
  readonly name: string;
  readonly digest: Digest;
}

/** A symbolic link of a `Directory`. */
export interface SymlinkEntry {
  readonly name: string;
  readonly target: string;
}

/** What a `Directory` message holds; `mode` of the directory itself (0755 is left out). */
export interface DirectoryContent {
  readonly files: readonly FileEntry[];
  readonly directories: readonly DirectoryEntry[];
  readonly symlinks: readonly SymlinkEntry[];
  readonly mode?: number;
}

/** The permission bits a file gets when its `FileNode` carries no `unix_mode`. */
export function defaultFileMode(executable: boolean): number {
  return executable ? 0o755 : 0o644;
}

/** The permission bits a directory gets when its `Directory` carries no `unix_mode`. */
export const DEFAULT_DIRECTORY_MODE = 0o755;

/** `Digest` (hash = 1, size_bytes = 2). */
export function encodeDigest(digest: Digest): Buffer {
  return new ProtoWriter().string(1, digest.hash).varint(2, digest.sizeBytes).finish();
}

/** `NodeProperties` with only `unix_mode` (= 3, a `UInt32Value`), or undefined for the default mode. */
function encodeMode(mode: number | undefined, defaultMode: number): Buffer | undefined {
  if (mode === undefined || mode === defaultMode) return undefined;
  const value = new ProtoWriter().varint(1, mode).finish();
  return new ProtoWriter().message(3, value).finish();
}

/** `Directory` (files = 1, directories = 2, symlinks = 3, node_properties = 5), entries sorted by name. */
export function encodeDirectory(content: DirectoryContent): Buffer {
  const out = new ProtoWriter();
  for (const file of byName(content.files)) {
    const node = new ProtoWriter()
      .string(1, file.name)
      .message(2, encodeDigest(file.digest))
      .varint(4, file.executable)
      .message(6, encodeMode(file.mode, defaultFileMode(file.executable)));
    out.message(1, node.finish());
  }
  for (const dir of byName(content.directories)) {
    out.message(2, new ProtoWriter().string(1, dir.name).message(2, encodeDigest(dir.digest)).finish());
  }
  for (const link of byName(content.symlinks)) {
    out.message(3, new ProtoWriter().string(1, link.name).string(2, link.target).finish());
  }
  out.message(5, encodeMode(content.mode, DEFAULT_DIRECTORY_MODE));
  return out.finish();
}

/** What a `Command` holds (the deprecated and current output fields are both filled, for older engines). */
export interface CommandSpec {
  readonly arguments: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  readonly outputDirectories: readonly string[];
  readonly platform: Readonly<Record<string, string>>;
  readonly workingDirectory?: string;
  readonly outputNodeProperties: readonly string[];
}

/**
 * `Command` (arguments = 1, environment_variables = 2 sorted by name,
 * output_directories = 4, platform = 5, working_directory = 6,
 * output_paths = 7, output_node_properties = 8).
 */
export function encodeCommand(command: CommandSpec): Buffer {
  const out = new ProtoWriter();
  for (const arg of command.arguments) out.element(1, arg);
  for (const [name, value] of sortedPairs(command.environment)) {
    out.message(2, new ProtoWriter().string(1, name).string(2, value).finish());
  }
  const outputs = [...command.outputDirectories].sort();
  for (const path of outputs) out.element(4, path);
  out.message(5, encodePlatform(command.platform));
  out.string(6, command.workingDirectory);
  for (const path of outputs) out.element(7, path);
  for (const name of [...command.outputNodeProperties].sort()) out.element(8, name);
  return out.finish();
}

/** `Platform` (properties = 1, sorted by name), or undefined when it has none. */
export function encodePlatform(properties: Readonly<Record<string, string>>): Buffer | undefined {
  const pairs = sortedPairs(properties);
  if (pairs.length === 0) return undefined;
  const out = new ProtoWriter();
  for (const [name, value] of pairs)
    out.message(1, new ProtoWriter().string(1, name).string(2, value).finish());
  return out.finish();
}

/** What an `Action` holds. */
export interface ActionSpec {
  readonly commandDigest: Digest;
  readonly inputRootDigest: Digest;
  /** Seconds; 0 for the engine's default. */
  readonly timeoutSeconds?: number;
  readonly platform: Readonly<Record<string, string>>;
}

/** `Action` (command_digest = 1, input_root_digest = 2, timeout = 6, platform = 10). */
export function encodeAction(action: ActionSpec): Buffer {
  const timeout = action.timeoutSeconds
    ? new ProtoWriter().varint(1, action.timeoutSeconds).finish()
    : undefined;
  return new ProtoWriter()
    .message(1, encodeDigest(action.commandDigest))
    .message(2, encodeDigest(action.inputRootDigest))
    .message(6, timeout)
    .message(10, encodePlatform(action.platform))
    .finish();
}

/** Entries in the order REAPI requires: by name, compared as UTF-8 bytes. */
function byName<T extends { readonly name: string }>(entries: readonly T[]): T[] {
  return [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
}

function sortedPairs(record: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}
