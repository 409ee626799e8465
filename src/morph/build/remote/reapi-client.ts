import { randomUUID } from 'node:crypto';
import {
  Client,
  type ClientReadableStream,
  credentials,
  Metadata,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { MorphError } from '../../errors.js';
import { type Digest, digestName } from './digest.js';
import type { WireActionResult, WireDigest, WireExecuteResponse, WireOperation } from './reapi-messages.js';
import { loadReapiProtos, type ReapiProtos } from './reapi-protos.js';

const V2 = 'build.bazel.remote.execution.v2';

/** The HTTP/2 receive window of morph's connection to the engine (stream and connection). */
const RECEIVE_WINDOW = 16 * 1024 * 1024;
/** Where and how to reach an engine. */
export interface RemoteEndpoint {
  /** `grpc://host:port` (plain), `grpcs://host:port` (TLS); `http`/`https` are taken as the same. */
  readonly url: string;
  readonly instanceName: string;
  /** PEM bundle of the CAs to trust (TLS only; else the system's). */
  readonly caCertificates?: Buffer;
  /** Sent as `authorization: Bearer <token>` on every call. */
  readonly authToken?: string;
}

/** The engine's limits that morph adapts to (GetCapabilities). */
export interface EngineLimits {
  /** Largest total of one BatchUpdateBlobs / BatchReadBlobs request. */
  readonly maxBatchBytes: number;
}

/** The part of ExecuteOperationMetadata morph shows: the stage name (QUEUED, EXECUTING, ...). */
export type StageListener = (stage: string) => void;

/**
 * A client of one REAPI v2 engine: Capabilities, ContentAddressableStorage,
 * ByteStream, ActionCache and Execution over one gRPC channel. Every failure
 * is a MorphError naming the engine and the call.
 */
export class ReapiClient {
  private readonly client: Client;
  private readonly protos: ReapiProtos;
  private readonly target: string;
  private closed = false;

  /** @throws MorphError `build/bad-remote-url` when the URL is not a gRPC endpoint. */
  constructor(readonly endpoint: RemoteEndpoint) {
    this.protos = loadReapiProtos();
    const match = /^(?:(grpcs?|https?):\/\/)?([^/\s]+?)\/?$/.exec(endpoint.url);
    if (!match) {
      throw new MorphError(
        'build',
        'bad-remote-url',
        `remote-execution is not a gRPC endpoint: ${endpoint.url}`,
        {
          hint: 'give grpc://HOST:PORT, or grpcs://HOST:PORT for TLS',
        },
      );
    }
    const tls = match[1] === 'grpcs' || match[1] === 'https';
    this.target = match[2] as string;
    this.client = new Client(
      this.target,
      tls ? credentials.createSsl(endpoint.caCertificates ?? null) : credentials.createInsecure(),
      {
        'grpc.max_receive_message_length': 64 * 1024 * 1024,
        'grpc.max_send_message_length': 64 * 1024 * 1024,
        // Not HTTP/2's default 64 KiB: the engine would wait for a window update every 64 KiB of
        // outputs it sends, each a turn of morph's busy thread (engines' own windows are as large).
        'grpc-node.flow_control_window': RECEIVE_WINDOW,
      },
    );
  }

  /** Closes the channel (in-flight calls fail). */
  close(): void {
    this.closed = true;
    this.client.close();
  }

  /** The engine's limits (GetCapabilities). */
  async capabilities(): Promise<EngineLimits> {
    const caps = await this.unary<{ cache_capabilities?: { max_batch_total_size_bytes?: string } }>(
      'Capabilities',
      'GetCapabilities',
      { instance_name: this.endpoint.instanceName },
    );
    const max = Number(caps.cache_capabilities?.max_batch_total_size_bytes ?? 0);
    // gRPC's default message limit is 4 MiB; stay under it whatever the engine allows.
    const ceiling = 4 * 1024 * 1024 - 64 * 1024;
    return { maxBatchBytes: max > 0 ? Math.min(max - 64 * 1024, ceiling) : ceiling };
  }

  /** The digests of `digests` that the CAS lacks (FindMissingBlobs). */
  async findMissing(digests: readonly Digest[]): Promise<Digest[]> {
    const response = await this.unary<{ missing_blob_digests?: WireDigest[] }>(
      'ContentAddressableStorage',
      'FindMissingBlobs',
      { instance_name: this.endpoint.instanceName, blob_digests: digests.map(toWire) },
    );
    return (response.missing_blob_digests ?? []).map(fromWire);
  }

  /** Stores small blobs in one call (BatchUpdateBlobs); a blob the engine refuses fails the call. */
  async batchUpdate(blobs: readonly { digest: Digest; data: Buffer }[]): Promise<void> {
    const response = await this.unary<{
      responses?: { digest?: WireDigest; status?: { code?: number; message?: string } }[];
    }>('ContentAddressableStorage', 'BatchUpdateBlobs', {
      instance_name: this.endpoint.instanceName,
      requests: blobs.map((blob) => ({ digest: toWire(blob.digest), data: blob.data })),
    });
    const refused = (response.responses ?? []).find((r) => (r.status?.code ?? 0) !== 0);
    if (refused) {
      throw this.failure(
        'BatchUpdateBlobs',
        `refused blob ${digestName(fromWire(refused.digest ?? {}))}: ${refused.status?.message ?? ''}`,
      );
    }
  }

  /** Reads small blobs in one call (BatchReadBlobs), by hash. */
  async batchRead(digests: readonly Digest[]): Promise<Map<string, Buffer>> {
    const response = await this.unary<{
      responses?: { digest?: WireDigest; data?: Buffer; status?: { code?: number; message?: string } }[];
    }>('ContentAddressableStorage', 'BatchReadBlobs', {
      instance_name: this.endpoint.instanceName,
      digests: digests.map(toWire),
    });
    const blobs = new Map<string, Buffer>();
    for (const r of response.responses ?? []) {
      if ((r.status?.code ?? 0) !== 0) {
        throw this.failure(
          'BatchReadBlobs',
          `cannot read blob ${r.digest?.hash ?? ''}: ${r.status?.message ?? ''}`,
        );
      }
      blobs.set(r.digest?.hash ?? '', r.data ?? Buffer.alloc(0));
    }
    return blobs;
  }

  /** Writes one blob through ByteStream, from `chunks` (a large blob's pieces, in order). */
  async byteStreamWrite(digest: Digest, chunks: AsyncIterable<Buffer>): Promise<void> {
    const method = this.protos.method('google.bytestream.ByteStream', 'Write');
    const resource = `${this.prefix()}uploads/${randomUUID()}/blobs/${digestName(digest)}`;
    await new Promise<void>((resolve, reject) => {
      const call = this.client.makeClientStreamRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        this.metadata(),
        {},
        (err) => (err ? reject(this.wrap('ByteStream.Write', err)) : resolve()),
      );
      (async () => {
        let offset = 0;
        let first = true;
        for await (const data of chunks) {
          const ok = call.write({ resource_name: first ? resource : '', write_offset: offset, data });
          first = false;
          offset += data.length;
          if (!ok) await new Promise((drained) => call.once('drain', drained));
        }
        call.write({ resource_name: first ? resource : '', write_offset: offset, finish_write: true });
        call.end();
      })().catch((err: unknown) => {
        call.cancel();
        reject(err);
      });
    });
  }

  /** Reads one blob through ByteStream. */
  async byteStreamRead(digest: Digest): Promise<Buffer> {
    const stream = this.serverStream<{ data?: Buffer }>('google.bytestream.ByteStream', 'Read', {
      resource_name: `${this.prefix()}blobs/${digestName(digest)}`,
    });
    const parts: Buffer[] = [];
    await this.drain(stream, 'ByteStream.Read', (message) => {
      if (message.data) parts.push(message.data);
    });
    return Buffer.concat(parts);
  }

  /** The cached result of an action, or undefined (GetActionResult, NOT_FOUND). */
  async actionResult(actionDigest: Digest): Promise<WireActionResult | undefined> {
    try {
      return await this.unary<WireActionResult>('ActionCache', 'GetActionResult', {
        instance_name: this.endpoint.instanceName,
        action_digest: toWire(actionDigest),
        inline_stdout: true,
      });
    } catch (err) {
      if (err instanceof MorphError && (err.cause as ServiceError | undefined)?.code === status.NOT_FOUND) {
        return undefined;
      }
      throw err;
    }
  }

  /**
   * Executes an action (Execute) and follows its operation stream to the
   * end, reporting each stage; returns the ExecuteResponse.
   */
  async execute(
    actionDigest: Digest,
    onStage: StageListener,
    signal?: AbortSignal,
  ): Promise<WireExecuteResponse> {
    const stream = this.serverStream<WireOperation>(`${V2}.Execution`, 'Execute', {
      instance_name: this.endpoint.instanceName,
      action_digest: toWire(actionDigest),
    });
    const cancel = (): void => stream.cancel();
    signal?.addEventListener('abort', cancel, { once: true });
    let last: WireOperation | undefined;
    let shown: string | undefined;
    try {
      await this.drain(stream, 'Execute', (operation) => {
        last = operation;
        const stage = operation.metadata?.value ? this.decodeStage(operation.metadata.value) : undefined;
        if (stage && stage !== shown) onStage(stage);
        shown = stage ?? shown;
      });
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
    signal?.throwIfAborted();
    const done = last as WireOperation | undefined;
    if (!done?.done) throw this.failure('Execute', 'the operation stream ended before the action was done');
    if (done.error && (done.error.code ?? 0) !== 0) {
      throw this.failure(
        'Execute',
        `the engine failed the action: ${done.error.message ?? `code ${done.error.code}`}`,
      );
    }
    const type = this.protos.type(`${V2}.ExecuteResponse`);
    const response = type.toObject(type.decode(done.response?.value ?? Buffer.alloc(0)), {
      longs: String,
      enums: String,
      bytes: Buffer,
    }) as WireExecuteResponse;
    return response;
  }

  private decodeStage(bytes: Buffer): string | undefined {
    const type = this.protos.type(`${V2}.ExecuteOperationMetadata`);
    const metadata = type.toObject(type.decode(bytes), { enums: String }) as { stage?: string };
    return metadata.stage;
  }

  private prefix(): string {
    return this.endpoint.instanceName ? `${this.endpoint.instanceName}/` : '';
  }

  private metadata(): Metadata {
    const metadata = new Metadata();
    if (this.endpoint.authToken) metadata.set('authorization', `Bearer ${this.endpoint.authToken}`);
    return metadata;
  }

  private unary<T>(service: string, name: string, request: object): Promise<T> {
    const qualified = service.includes('.') ? service : `${V2}.${service}`;
    const method = this.protos.method<T>(qualified, name);
    return new Promise<T>((resolve, reject) => {
      this.client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        this.metadata(),
        {},
        (err, value) => (err || value === undefined ? reject(this.wrap(name, err)) : resolve(value)),
      );
    });
  }

  private serverStream<T>(service: string, name: string, request: object): ClientReadableStream<T> {
    const method = this.protos.method<T>(service, name);
    return this.client.makeServerStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      request,
      this.metadata(),
      {},
    );
  }

  private drain<T>(
    stream: ClientReadableStream<T>,
    call: string,
    onMessage: (message: T) => void,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      stream.on('data', onMessage);
      stream.on('error', (err: ServiceError) => reject(this.wrap(call, err)));
      stream.on('end', () => resolve());
    });
  }

  private wrap(call: string, err: ServiceError | null | undefined): MorphError {
    if (err?.code === status.UNAVAILABLE || err?.code === status.CANCELLED || this.closed) {
      return new MorphError(
        'build',
        'remote-unavailable',
        `the remote execution service at ${this.endpoint.url} is unavailable (${call}: ${err?.details || err?.message || 'closed'})`,
        {
          hint: 'check that the engine is running and reachable, or build without --remote-execution',
          cause: err,
        },
      );
    }
    return this.failure(call, err?.details || err?.message || 'no response', err);
  }

  /** The error of a call that the engine answered with a failure. */
  failureOf(call: string, what: string): MorphError {
    return this.failure(call, what);
  }

  private failure(call: string, what: string, cause?: unknown): MorphError {
    return new MorphError(
      'build',
      'remote-failed',
      `the remote execution service at ${this.endpoint.url} failed ${call}: ${what}`,
      {
        cause,
      },
    );
  }
}

/** A digest in the message form. */
export function toWire(digest: Digest): WireDigest {
  return { hash: digest.hash, size_bytes: digest.sizeBytes };
}

/** A digest from the message form (64-bit sizes arrive as strings). */
export function fromWire(digest: WireDigest): Digest {
  return { hash: digest.hash ?? '', sizeBytes: Number(digest.size_bytes ?? 0) };
}
