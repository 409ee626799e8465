import { existsSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { reapiProtoDir } from '../../src/morph/build/remote/reapi-protos.js';

/** The .proto files the test double serves, and where their imports are found. */
export function doubleProtoFiles(): { files: string[]; includeDirs: string[] } {
  const dir = reapiProtoDir();
  return {
    files: ['build/bazel/remote/execution/v2/remote_execution.proto', 'google/bytestream/bytestream.proto'],
    includeDirs: [join(dir, 'remoteapis'), join(dir, 'googleapis')],
  };
}

/** The REAPI messages, loaded by protobufjs (the double's own encoder, sharing nothing with morph's). */
export function loadDoubleProtoRoot(): protobuf.Root {
  const { files, includeDirs } = doubleProtoFiles();
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const include of includeDirs) if (existsSync(join(include, target))) return join(include, target);
    return target;
  };
  root.loadSync(files, { keepCase: true });
  return root;
}
