import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import {
  loadPackageDefinition,
  Server,
  ServerCredentials,
  type ServerDuplexStream,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceClientConstructor,
  type sendUnaryData,
  status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type protobuf from 'protobufjs';
import type { ActionJob, ActionOutcome, DirectoryMessage, WorkerOptions } from './action-worker.js';
import { isCanonical } from './canonical-check.js';
import { doubleProtoFiles, loadDoubleProtoRoot } from './proto-root.js';

/**
 * A TEST DOUBLE of a REAPI v2 engine, for morph's tests only (never
 * shipped): Capabilities, ContentAddressableStorage, ByteStream,
 * ActionCache and Execution on 127.0.0.1, one process, blobs in memory.
 * It is strict where a real engine is: every blob is re-hashed on upload,
 * every `Directory`, `Command` and `Action` must be in canonical form and
 * sorted, and every digest an action refers to must be in the CAS. An
 * action runs in a worker thread (action-worker.ts), as on an engine's
 * worker: its input root is unpacked into a temporary directory (input
 * files are hard links to a store of them, input-files.ts) and its
 * `Command` run there, while this thread goes on answering calls;
 * successful results go to the action cache.
 */
export class ReapiTestDouble {
  private readonly blobs = new Map<string, Buffer>();
  private readonly actionCache = new Map<string, Buffer>();
  /** Directories already checked, by hash (blobs never change). */
  private readonly directories = new Map<string, DirectoryMessage>();
  private readonly worker: Worker;
  /** Input files whose content the worker has (each is sent once). */
  private readonly sentToWorker = new Set<string>();
  /** Directories checked, with every file and directory below them, and sent to the worker. */
  private readonly treesOnWorker = new Set<string>();
  private readonly jobs = new Map<number, (outcome: ActionOutcome) => void>();
  private nextJob = 1;
  private readonly server = new Server();
  private readonly root: protobuf.Root;
  /** How many actions were executed (not answered from the action cache). */
  executions = 0;
  /** How many Execute calls arrived (executed or answered from the action cache). */
  executeCalls = 0;
  /** How many GetActionResult calls arrived. */
  lookups = 0;
  /** How many blobs and bytes were uploaded. */
  uploads = { blobs: 0, bytes: 0 };
  /** How many FindMissingBlobs calls were answered. */
  findMissingCalls = 0;

  constructor(
    private readonly options: {
      /** Where actions are unpacked and run. */
      workDir: string;
      /** The largest batch the engine accepts (small values make clients use ByteStream). */
      maxBatchBytes?: number;
      /** A line per event (upload, cache hit, execution) is appended here. */
      logFile?: string;
      /** Kills this process (SIGKILL) when the N-th Execute arrives: an engine going away mid-build. */
      vanishOnExecute?: number;
      /**
       * The nice value actions run at (default 0). The benchmark gives 19: an engine's workers are
       * machines of their own, and the actions must not take this machine's CPU from morph.
       */
      actionNice?: number;
    },
  ) {
    this.worker = new Worker(new URL('./action-worker.js', import.meta.url), {
      workerData: { workDir: options.workDir, actionNice: options.actionNice ?? 0 } satisfies WorkerOptions,
    });
    this.worker.on('message', (outcome: ActionOutcome) => {
      const settle = this.jobs.get(outcome.id);
      this.jobs.delete(outcome.id);
      settle?.(outcome);
    });
    this.worker.on('error', (err) => {
      for (const [id, settle] of this.jobs)
        settle({ id, ok: false, error: `the worker failed: ${err.message}` });
      this.jobs.clear();
    });
    // Only calls in flight keep the process alive, not the idle worker.
    this.worker.unref();
    const { files, includeDirs } = doubleProtoFiles();
    const definition = loadSync(files, {
      includeDirs,
      keepCase: true,
      longs: String,
      enums: String,
      defaults: false,
    });
    const grpcObject = loadPackageDefinition(definition);
    const service = (path: string): ServiceClientConstructor => {
      let node: unknown = grpcObject;
      for (const part of path.split('.')) node = (node as Record<string, unknown>)[part];
      return node as ServiceClientConstructor;
    };
    const v2 = 'build.bazel.remote.execution.v2';
    this.root = loadDoubleProtoRoot();
    this.server.addService(service(`${v2}.Capabilities`).service, this.capabilities());
    this.server.addService(service(`${v2}.ContentAddressableStorage`).service, this.cas());
    this.server.addService(service('google.bytestream.ByteStream').service, this.byteStream());
    this.server.addService(service(`${v2}.ActionCache`).service, this.actionCacheService());
    this.server.addService(service(`${v2}.Execution`).service, this.execution());
  }

  /** Starts listening on 127.0.0.1 and returns the port. */
  start(port = 0): Promise<number> {
    // Receive windows as large as engines use (Go's gRPC grows them to 16 MiB), not HTTP/2's
    // default 64 KiB, which makes a client wait for a window update every 64 KiB it uploads (each
    // a turn of this busy thread). grpc-js has no server option for them: set on its HTTP/2 servers.
    const internals = this.server as unknown as {
      commonServerOptions: { settings?: Record<string, number> };
      http2Servers: Map<import('node:http2').Http2Server, unknown>;
    };
    internals.commonServerOptions.settings = {
      ...internals.commonServerOptions.settings,
      initialWindowSize: RECEIVE_WINDOW,
    };
    return new Promise((resolve, reject) =>
      this.server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, bound) => {
        if (err) {
          reject(err);
          return;
        }
        for (const http2Server of internals.http2Servers.keys()) {
          http2Server.on('session', (session) => session.setLocalWindowSize(RECEIVE_WINDOW));
        }
        resolve(bound);
      }),
    );
  }

  /** Stops at once (calls in flight fail). */
  stop(): void {
    this.server.forceShutdown();
    void this.worker.terminate();
  }

  private log(line: string): void {
    if (this.options.logFile) appendFileSync(this.options.logFile, `${line}\n`);
  }

  private type(name: string): protobuf.Type {
    return this.root.lookupType(`build.bazel.remote.execution.v2.${name}`);
  }

  private store(hash: string, size: number, data: Buffer): string | undefined {
    const actual = createHash('sha256').update(data).digest('hex');
    if (actual !== hash || data.length !== size)
      return `blob ${hash}/${size} has digest ${actual}/${data.length}`;
    if (!this.blobs.has(hash)) {
      this.uploads.blobs++;
      this.uploads.bytes += size;
    }
    this.blobs.set(hash, data);
    return undefined;
  }

  private capabilities(): UntypedServiceImplementation {
    return {
      GetCapabilities: (_call: ServerUnaryCall<object, object>, callback: sendUnaryData<object>) =>
        callback(null, {
          cache_capabilities: {
            digest_functions: ['SHA256'],
            max_batch_total_size_bytes: this.options.maxBatchBytes ?? 4 * 1024 * 1024,
            symlink_absolute_path_strategy: 'ALLOWED',
          },
          execution_capabilities: { digest_function: 'SHA256', exec_enabled: true },
          low_api_version: { major: 2 },
          high_api_version: { major: 2, minor: 1 },
        }),
    };
  }

  private cas(): UntypedServiceImplementation {
    return {
      FindMissingBlobs: (
        call: ServerUnaryCall<{ blob_digests?: Digest[] }, object>,
        callback: sendUnaryData<object>,
      ) => {
        this.findMissingCalls++;
        callback(null, {
          missing_blob_digests: (call.request.blob_digests ?? []).filter(
            (d) => !this.blobs.has(d.hash ?? ''),
          ),
        });
      },
      BatchUpdateBlobs: (
        call: ServerUnaryCall<{ requests?: { digest?: Digest; data?: Buffer }[] }, object>,
        callback: sendUnaryData<object>,
      ) => {
        const total = (call.request.requests ?? []).reduce((sum, r) => sum + (r.data?.length ?? 0), 0);
        if (total > (this.options.maxBatchBytes ?? 4 * 1024 * 1024)) {
          callback({ code: status.INVALID_ARGUMENT, details: `batch of ${total} bytes is over the limit` });
          return;
        }
        const responses = (call.request.requests ?? []).map((r) => {
          const wrong = this.store(
            r.digest?.hash ?? '',
            Number(r.digest?.size_bytes ?? 0),
            r.data ?? Buffer.alloc(0),
          );
          if (wrong) this.log(`REJECTED ${wrong}`);
          return { digest: r.digest, status: wrong ? { code: status.INVALID_ARGUMENT, message: wrong } : {} };
        });
        callback(null, { responses });
      },
      BatchReadBlobs: (
        call: ServerUnaryCall<{ digests?: Digest[] }, object>,
        callback: sendUnaryData<object>,
      ) =>
        callback(null, {
          responses: (call.request.digests ?? []).map((d) => {
            const data = this.blobs.get(d.hash ?? '');
            return data ? { digest: d, data, status: {} } : { digest: d, status: { code: status.NOT_FOUND } };
          }),
        }),
      GetTree: (call: ServerWritableStream<object, object>) =>
        call.destroy(Object.assign(new Error('GetTree is not offered'), { code: status.UNIMPLEMENTED })),
    };
  }

  private byteStream(): UntypedServiceImplementation {
    return {
      Read: (call: ServerWritableStream<{ resource_name?: string }, object>) => {
        const hash = /blobs\/([0-9a-f]{64})\/\d+$/.exec(call.request.resource_name ?? '')?.[1] ?? '';
        const data = this.blobs.get(hash);
        if (!data) {
          call.destroy(Object.assign(new Error(`no blob ${hash}`), { code: status.NOT_FOUND }));
          return;
        }
        for (let at = 0; at < data.length; at += 64 * 1024)
          call.write({ data: data.subarray(at, at + 64 * 1024) });
        call.end();
      },
      Write: (
        call: ServerReadableStream<{ resource_name?: string; data?: Buffer; finish_write?: boolean }, object>,
        callback: sendUnaryData<object>,
      ) => {
        let resource = '';
        const parts: Buffer[] = [];
        call.on('data', (request: { resource_name?: string; data?: Buffer }) => {
          resource ||= request.resource_name ?? '';
          if (request.data) parts.push(request.data);
        });
        call.on('end', () => {
          const match = /uploads\/[^/]+\/blobs\/([0-9a-f]{64})\/(\d+)$/.exec(resource);
          const data = Buffer.concat(parts);
          const wrong = match
            ? this.store(match[1] as string, Number(match[2]), data)
            : `bad resource ${resource}`;
          if (wrong) {
            this.log(`REJECTED ${wrong}`);
            callback({ code: status.INVALID_ARGUMENT, details: wrong });
          } else callback(null, { committed_size: data.length });
        });
      },
      QueryWriteStatus: (_call: ServerUnaryCall<object, object>, callback: sendUnaryData<object>) =>
        callback({ code: status.UNIMPLEMENTED }),
    };
  }

  private actionCacheService(): UntypedServiceImplementation {
    return {
      GetActionResult: (
        call: ServerUnaryCall<
          { action_digest?: Digest; inline_stdout?: boolean; inline_stderr?: boolean },
          object
        >,
        callback: sendUnaryData<object>,
      ) => {
        this.lookups++;
        const result = this.cachedResult(call.request.action_digest?.hash ?? '', 'GetActionResult');
        if (!result) {
          callback({ code: status.NOT_FOUND, details: 'not in the action cache' });
          return;
        }
        // As engines do when asked (inline_stdout, inline_stderr): small outputs in the reply itself.
        const inline = (digest: Digest | undefined): Buffer | undefined => {
          const data = digest?.hash ? this.blobs.get(digest.hash) : undefined;
          return data && data.length <= INLINE_LIMIT ? data : undefined;
        };
        if (call.request.inline_stdout) result.stdout_raw = inline(result.stdout_digest);
        if (call.request.inline_stderr) result.stderr_raw = inline(result.stderr_digest);
        callback(null, result);
      },
      UpdateActionResult: (_call: ServerUnaryCall<object, object>, callback: sendUnaryData<object>) =>
        callback({ code: status.PERMISSION_DENIED, details: 'clients may not write the action cache' }),
    };
  }

  private execution(): UntypedServiceImplementation {
    return {
      Execute: (
        call: ServerWritableStream<{ action_digest?: Digest; skip_cache_lookup?: boolean }, object>,
      ) => {
        this.executeCalls++;
        if (this.options.vanishOnExecute === this.executeCalls) process.kill(process.pid, 'SIGKILL');
        const actionHash = call.request.action_digest?.hash ?? '';
        const operation = (stage: number, done?: object) => ({
          name: `operations/${actionHash}`,
          metadata: this.any('ExecuteOperationMetadata', {
            stage,
            action_digest: call.request.action_digest,
          }),
          ...(done ? { done: true, response: this.any('ExecuteResponse', done) } : {}),
        });
        // As engines do unless told to skip it: an action in the action cache is not run again.
        const result = call.request.skip_cache_lookup ? undefined : this.cachedResult(actionHash, 'Execute');
        if (result) {
          call.write(operation(STAGE.CACHE_CHECK));
          call.write(operation(STAGE.COMPLETED, { result, cached_result: true, status: {} }));
          call.end();
          return;
        }
        this.executions++;
        call.write(operation(STAGE.QUEUED));
        this.run(actionHash)
          .then((result) => {
            call.write(operation(STAGE.COMPLETED, { result: result.result, status: result.error ?? {} }));
            call.end();
          })
          .catch((err: Error) => {
            this.log(`FAILED ${actionHash}: ${err.stack ?? err.message}`);
            call.write({
              ...operation(STAGE.COMPLETED),
              done: true,
              error: { code: status.INTERNAL, message: err.message },
            });
            call.end();
          });
      },
      WaitExecution: (call: ServerDuplexStream<object, object>) =>
        call.destroy(
          Object.assign(new Error('WaitExecution is not offered'), { code: status.UNIMPLEMENTED }),
        ),
    };
  }

  /** The action cache's result for `actionHash`, decoded, or undefined; a hit is logged, with the call. */
  private cachedResult(actionHash: string, call: string): ActionResultMessage | undefined {
    const cached = this.actionCache.get(actionHash);
    if (!cached) return undefined;
    this.log(`CACHE-HIT ${actionHash} (${call})`);
    const type = this.type('ActionResult');
    return type.toObject(type.decode(cached), { longs: String, bytes: Buffer }) as ActionResultMessage;
  }

  private any(name: string, value: object): { type_url: string; value: Buffer } {
    const type = this.type(name);
    return {
      type_url: `type.googleapis.com/build.bazel.remote.execution.v2.${name}`,
      value: Buffer.from(type.encode(type.fromObject(value)).finish()),
    };
  }

  /** A stored message, checked to be canonical; throws a message for the client when not. */
  private message(typeName: string, hash: string): Record<string, unknown> {
    const bytes = this.blobs.get(hash);
    if (!bytes) throw new Invalid(`${typeName} ${hash} is not in the CAS`);
    const type = this.type(typeName);
    if (!isCanonical(type, bytes)) throw new Invalid(`${typeName} ${hash} is not in canonical form`);
    return type.toObject(type.decode(bytes), { longs: String, enums: String, bytes: Buffer });
  }

  private async run(
    actionHash: string,
  ): Promise<{ result?: object; error?: { code: number; message: string } }> {
    try {
      const action = this.message('Action', actionHash) as {
        command_digest?: Digest;
        input_root_digest?: Digest;
        timeout?: { seconds?: string | number; nanos?: number };
      };
      const timeoutMs = Number(action.timeout?.seconds ?? 0) * 1000 + (action.timeout?.nanos ?? 0) / 1e6;
      const command = this.message('Command', action.command_digest?.hash ?? '') as CommandMessage;
      const [program, ...args] = command.arguments ?? [];
      const env = Object.fromEntries(
        (command.environment_variables ?? []).map((v) => [v.name ?? '', v.value ?? '']),
      );
      this.log(
        `RUN ${JSON.stringify(command.arguments)} in ${command.working_directory ?? ''} PATH=${env.PATH}`,
      );
      const outcome = await this.runOnWorker({
        ...this.inputRoot(action.input_root_digest?.hash ?? EMPTY_HASH),
        program: program ?? 'false',
        args,
        workingDirectory: command.working_directory ?? '',
        env,
        outputs: [...new Set([...(command.output_directories ?? []), ...(command.output_paths ?? [])])],
        modes: (command.output_node_properties ?? []).includes('unix_mode'),
        timeoutMs,
      });
      if (!outcome.ok) throw new Error(outcome.error);
      for (const [hash, data] of outcome.blobs) this.blobs.set(hash, asBuffer(data));
      const result = {
        output_directories: outcome.outputDirectories.map((d) => ({
          path: d.path,
          tree_digest: { hash: d.hash, size_bytes: String(d.size) },
        })),
        exit_code: outcome.exitCode,
        stdout_digest: this.storeBlob(asBuffer(outcome.stdout)),
        stderr_digest: this.storeBlob(asBuffer(outcome.stderr)),
      };
      const { exitCode, timedOut } = outcome;
      this.log(`EXECUTED ${actionHash} exit ${exitCode}${timedOut ? ' (timed out)' : ''}`);
      if (timedOut) {
        // As an engine does: the partial outputs, DEADLINE_EXCEEDED, and nothing cached.
        const message = `the action ran longer than its timeout of ${timeoutMs / 1000} s`;
        return { result, error: { code: status.DEADLINE_EXCEEDED, message } };
      }
      if (exitCode === 0) {
        const type = this.type('ActionResult');
        this.actionCache.set(actionHash, Buffer.from(type.encode(type.fromObject(result)).finish()));
      }
      return { result };
    } catch (err) {
      if (err instanceof Invalid) {
        this.log(`REJECTED ${err.message}`);
        return { error: { code: status.INVALID_ARGUMENT, message: err.message } };
      }
      throw err;
    }
  }

  private runOnWorker(job: Omit<ActionJob, 'id'>): Promise<ActionOutcome> {
    const id = this.nextJob++;
    return new Promise((resolve) => {
      this.jobs.set(id, resolve);
      if (this.jobs.size === 1) this.worker.ref();
      this.worker.postMessage({ ...job, id });
    }).finally(() => {
      if (this.jobs.size === 0) this.worker.unref();
    }) as Promise<ActionOutcome>;
  }

  private storeBlob(data: Buffer): Digest {
    const hash = createHash('sha256').update(data).digest('hex');
    this.blobs.set(hash, data);
    return { hash, size_bytes: String(data.length) };
  }

  /**
   * The input root `hash` for the worker, checked (every Directory, name
   * order and blob) and with what the worker lacks of it: the directories
   * and file contents it was not sent before. A tree sent whole once is
   * not walked again (blobs never leave the CAS): the dependency tree that
   * every chunk of a stratum shares costs this thread nothing after the first.
   */
  private inputRoot(hash: string): Pick<ActionJob, 'root' | 'directories' | 'blobs'> {
    const directories: [string, DirectoryMessage][] = [];
    const blobs = new Map<string, Buffer>();
    const walk = (dirHash: string): void => {
      if (this.treesOnWorker.has(dirHash)) return;
      const directory = this.directory(dirHash);
      for (const file of directory.files ?? []) {
        const fileHash = file.digest?.hash ?? '';
        const data = this.blobs.get(fileHash);
        if (!data) throw new Invalid(`file ${file.name} (${file.digest?.hash}) is not in the CAS`);
        if (!this.sentToWorker.has(fileHash)) blobs.set(fileHash, data);
      }
      for (const sub of directory.directories ?? []) walk(sub.digest?.hash ?? '');
      directories.push([dirHash, directory]);
    };
    walk(hash);
    // Only once the whole job is made: a job refused half-way sent the worker nothing.
    for (const [dirHash] of directories) this.treesOnWorker.add(dirHash);
    for (const fileHash of blobs.keys()) this.sentToWorker.add(fileHash);
    return { root: hash, directories, blobs: [...blobs] };
  }

  /** The `Directory` of `hash`, checked (canonical form, name order, names) the first time it is used. */
  private directory(hash: string): DirectoryMessage {
    const known = this.directories.get(hash);
    if (known) return known;
    const directory = this.message('Directory', hash) as DirectoryMessage;
    const names = [
      ...(directory.files ?? []).map((f) => f.name ?? ''),
      ...(directory.directories ?? []).map((d) => d.name ?? ''),
      ...(directory.symlinks ?? []).map((s) => s.name ?? ''),
    ];
    for (const list of [directory.files, directory.directories, directory.symlinks]) {
      const sorted = (list ?? []).map((e) => e.name ?? '');
      if (
        sorted.some(
          (name, i) => i > 0 && Buffer.compare(Buffer.from(sorted[i - 1] as string), Buffer.from(name)) >= 0,
        )
      ) {
        throw new Invalid(`Directory ${hash} has entries out of order or twice`);
      }
    }
    if (
      new Set(names).size !== names.length ||
      names.some((n) => !n || n.includes('/') || n === '.' || n === '..')
    ) {
      throw new Invalid(`Directory ${hash} has invalid or repeated names`);
    }
    this.directories.set(hash, directory);
    return directory;
  }
}

/** A request the double refuses as a real engine would (INVALID_ARGUMENT). */
class Invalid extends Error {}

const EMPTY_HASH = createHash('sha256').digest('hex');

interface Digest {
  hash?: string;
  size_bytes?: string | number;
}

/** The fields of a decoded `ActionResult` that the double reads or sets. */
interface ActionResultMessage {
  stdout_digest?: Digest;
  stderr_digest?: Digest;
  stdout_raw?: Buffer;
  stderr_raw?: Buffer;
}

interface CommandMessage {
  arguments?: string[];
  environment_variables?: { name?: string; value?: string }[];
  output_directories?: string[];
  output_paths?: string[];
  output_node_properties?: string[];
  working_directory?: string;
}

/** The `ExecutionStage.Value`s the double reports. */
const STAGE = { CACHE_CHECK: 1, QUEUED: 2, COMPLETED: 4 } as const;

/** The HTTP/2 receive window of the double's connections (stream and connection). */
const RECEIVE_WINDOW = 16 * 1024 * 1024;

/** The largest stdout or stderr that GetActionResult inlines when asked (engines have such a limit). */
const INLINE_LIMIT = 64 * 1024;

/** A Buffer over the bytes of `data` (what a worker thread sends arrives as a Uint8Array). */
function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
