import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadSync, type MethodDefinition, type PackageDefinition } from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { MorphError } from '../../errors.js';

/**
 * Where the REAPI `.proto` files are: Debian's `bazel-bootstrap-source`
 * ships the remote-apis and googleapis trees under this directory
 * (`MORPH_REAPI_PROTO_DIR` names another one with the same layout).
 */
export function reapiProtoDir(): string {
  return process.env.MORPH_REAPI_PROTO_DIR ?? '/usr/src/bazel-bootstrap/third_party';
}

/** The files loaded, relative to the include directories. */
const PROTO_FILES = [
  'build/bazel/remote/execution/v2/remote_execution.proto',
  'google/bytestream/bytestream.proto',
];

/** The loaded REAPI protocol: gRPC method definitions and protobuf types (for `Any` payloads). */
export interface ReapiProtos {
  /** The method `name` of the service `service` (`build.bazel.remote.execution.v2.Execution`, ...). */
  method<T = object>(service: string, name: string): MethodDefinition<object, T>;
  /** The protobuf type named `name`, to decode the bytes of an `Any`. */
  type(name: string): protobuf.Type;
}

let loaded: ReapiProtos | undefined;

/**
 * The REAPI protocol definitions, loaded once per process.
 * @throws MorphError `build/reapi-protos-missing` when the `.proto` files are not installed.
 */
export function loadReapiProtos(): ReapiProtos {
  if (loaded) return loaded;
  const dir = reapiProtoDir();
  const includeDirs = [join(dir, 'remoteapis'), join(dir, 'googleapis')];
  if (!existsSync(join(includeDirs[0] as string, PROTO_FILES[0] as string))) {
    throw new MorphError('build', 'reapi-protos-missing', `the REAPI protocol files are not in ${dir}`, {
      hint: 'install the Debian package bazel-bootstrap-source (bash .ci/setup does), or set MORPH_REAPI_PROTO_DIR',
    });
  }
  const definition: PackageDefinition = loadSync(PROTO_FILES, {
    includeDirs,
    keepCase: true,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const include of includeDirs) if (existsSync(join(include, target))) return join(include, target);
    return target;
  };
  root.loadSync(PROTO_FILES, { keepCase: true });
  loaded = {
    method<T>(service: string, name: string): MethodDefinition<object, T> {
      const methods = definition[service] as Record<string, MethodDefinition<object, object>> | undefined;
      const method = methods?.[name];
      if (!method) throw new Error(`no method ${service}.${name} in the REAPI protocol files`);
      // The message shapes are the callers' (reapi-messages.ts): proto-loader gives plain objects.
      return method as unknown as MethodDefinition<object, T>;
    },
    type: (name) => root.lookupType(name),
  };
  return loaded;
}
