/**
 * The shapes of the REAPI v2 messages morph sends and reads over gRPC, as
 * `@grpc/proto-loader` maps them (field names as in the `.proto` files,
 * 64-bit integers as strings on the way in).
 */

/** `Digest` on the wire. */
export interface WireDigest {
  hash?: string;
  size_bytes?: string | number;
}

/** `google.rpc.Status`. */
export interface WireStatus {
  code?: number;
  message?: string;
}

/** `OutputDirectory`. */
export interface WireOutputDirectory {
  path?: string;
  tree_digest?: WireDigest;
}

/** `ActionResult` (the fields morph uses). */
export interface WireActionResult {
  output_directories?: WireOutputDirectory[];
  exit_code?: number;
  stdout_raw?: Buffer;
  stdout_digest?: WireDigest;
  stderr_raw?: Buffer;
  stderr_digest?: WireDigest;
}

/** `ExecuteResponse` (the fields morph uses). */
export interface WireExecuteResponse {
  result?: WireActionResult;
  cached_result?: boolean;
  status?: WireStatus;
  message?: string;
}

/** `google.protobuf.Any`. */
export interface WireAny {
  type_url?: string;
  value?: Buffer;
}

/** `google.longrunning.Operation`. */
export interface WireOperation {
  name?: string;
  metadata?: WireAny;
  done?: boolean;
  error?: WireStatus;
  response?: WireAny;
}

/** `Directory` as decoded (output trees). */
export interface WireDirectory {
  files?: {
    name?: string;
    digest?: WireDigest;
    is_executable?: boolean;
    node_properties?: WireNodeProperties;
  }[];
  directories?: { name?: string; digest?: WireDigest }[];
  symlinks?: { name?: string; target?: string }[];
  node_properties?: WireNodeProperties;
}

/** `NodeProperties` (unix_mode only). */
export interface WireNodeProperties {
  unix_mode?: { value?: number };
}

/** `Tree`. */
export interface WireTree {
  root?: WireDirectory;
  children?: WireDirectory[];
}
