import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { lstat, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { join } from 'node:path';
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
import protobuf from 'protobufjs';
import { reapiProtoDir } from '../../src/morph/build/remote/reapi-protos.js';
import { isCanonical } from './canonical-check.js';
import { InputFiles } from './input-files.js';

/**
 * A TEST DOUBLE of a REAPI v2 engine, for morph's tests only (never
 * shipped): Capabilities, ContentAddressableStorage, ByteStream,
 * ActionCache and Execution on 127.0.0.1, one process, blobs in memory.
 * It is strict where a real engine is: every blob is re-hashed on upload,
 * every `Directory`, `Command` and `Action` must be in canonical form and
 * sorted, and every digest an action refers to must be in the CAS. An
 * action runs by unpacking its input root into a temporary directory and
 * running its `Command` there (as a worker would; input files are hard
 * links to a store of them, input-files.ts); successful results go to the
 * action cache.
 */
export class ReapiTestDouble {
  private readonly blobs = new Map<string, Buffer>();
  private readonly actionCache = new Map<string, Buffer>();
  /** Directories already checked, by hash (blobs never change). */
  private readonly directories = new Map<string, DirectoryMessage>();
  private readonly inputFiles: InputFiles;
  private readonly server = new Server();
  private readonly root: protobuf.Root;
  /** How many actions were executed (not answered from the action cache). */
  executions = 0;
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
    },
  ) {
    this.inputFiles = new InputFiles(join(options.workDir, 'input-files'));
    const dir = reapiProtoDir();
    const includeDirs = [join(dir, 'remoteapis'), join(dir, 'googleapis')];
    const files = [
      'build/bazel/remote/execution/v2/remote_execution.proto',
      'google/bytestream/bytestream.proto',
    ];
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
    this.root = new protobuf.Root();
    this.root.resolvePath = (_origin, target) => {
      for (const include of includeDirs) if (existsSync(join(include, target))) return join(include, target);
      return target;
    };
    this.root.loadSync(files, { keepCase: true });
    this.server.addService(service(`${v2}.Capabilities`).service, this.capabilities());
    this.server.addService(service(`${v2}.ContentAddressableStorage`).service, this.cas());
    this.server.addService(service('google.bytestream.ByteStream').service, this.byteStream());
    this.server.addService(service(`${v2}.ActionCache`).service, this.actionCacheService());
    this.server.addService(service(`${v2}.Execution`).service, this.execution());
  }

  /** Starts listening on 127.0.0.1 and returns the port. */
  start(port = 0): Promise<number> {
    return new Promise((resolve, reject) =>
      this.server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, bound) =>
        err ? reject(err) : resolve(bound),
      ),
    );
  }

  /** Stops at once (calls in flight fail). */
  stop(): void {
    this.server.forceShutdown();
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
        const cached = this.actionCache.get(call.request.action_digest?.hash ?? '');
        if (!cached) {
          callback({ code: status.NOT_FOUND, details: 'not in the action cache' });
          return;
        }
        this.log(`CACHE-HIT ${call.request.action_digest?.hash}`);
        const type = this.type('ActionResult');
        const result = type.toObject(type.decode(cached), { longs: String, bytes: Buffer }) as {
          stdout_digest?: Digest;
          stderr_digest?: Digest;
          stdout_raw?: Buffer;
          stderr_raw?: Buffer;
        };
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
      Execute: (call: ServerWritableStream<{ action_digest?: Digest }, object>) => {
        this.executions++;
        if (this.options.vanishOnExecute === this.executions) process.kill(process.pid, 'SIGKILL');
        const actionHash = call.request.action_digest?.hash ?? '';
        const operation = (stage: number, done?: object) => ({
          name: `operations/${actionHash}`,
          metadata: this.any('ExecuteOperationMetadata', {
            stage,
            action_digest: call.request.action_digest,
          }),
          ...(done ? { done: true, response: this.any('ExecuteResponse', done) } : {}),
        });
        call.write(operation(2));
        this.run(actionHash)
          .then((result) => {
            call.write(operation(4, { result: result.result, status: result.error ?? {} }));
            call.end();
          })
          .catch((err: Error) => {
            this.log(`FAILED ${actionHash}: ${err.stack ?? err.message}`);
            call.write({
              ...operation(4),
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
    let dir: string | undefined;
    try {
      const action = this.message('Action', actionHash) as {
        command_digest?: Digest;
        input_root_digest?: Digest;
        timeout?: { seconds?: string | number; nanos?: number };
      };
      const timeoutMs = Number(action.timeout?.seconds ?? 0) * 1000 + (action.timeout?.nanos ?? 0) / 1e6;
      const command = this.message('Command', action.command_digest?.hash ?? '') as CommandMessage;
      dir = await mkdtemp(join(this.options.workDir, 'action-'));
      await this.unpack(action.input_root_digest?.hash ?? EMPTY_HASH, dir);
      const cwd = join(dir, command.working_directory ?? '');
      const env = Object.fromEntries(
        (command.environment_variables ?? []).map((v) => [v.name ?? '', v.value ?? '']),
      );
      const [program, ...args] = command.arguments ?? [];
      this.log(`RUN ${JSON.stringify(command.arguments)} in ${cwd} PATH=${env.PATH}`);
      const { exitCode, stdout, stderr, timedOut } = await runProcess(
        program ?? 'false',
        args,
        cwd,
        env,
        timeoutMs,
      );
      const wanted = [...new Set([...(command.output_directories ?? []), ...(command.output_paths ?? [])])];
      const modes = (command.output_node_properties ?? []).includes('unix_mode');
      const outputDirectories = [];
      for (const path of wanted) {
        const stats = await lstat(join(cwd, path)).catch(() => undefined);
        if (stats?.isDirectory())
          outputDirectories.push({
            path,
            tree_digest: this.storeTree(await this.tree(join(cwd, path), modes)),
          });
      }
      const result = {
        output_directories: outputDirectories,
        exit_code: exitCode,
        stdout_digest: this.storeBlob(stdout),
        stderr_digest: this.storeBlob(stderr),
      };
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
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  }

  private storeBlob(data: Buffer): Digest {
    const hash = createHash('sha256').update(data).digest('hex');
    this.blobs.set(hash, data);
    return { hash, size_bytes: String(data.length) };
  }

  /**
   * Writes the input root `hash` into `dir`, checking every Directory, name
   * order and blob; files are hard links to the double's store of input files
   * (synchronous, as `InputFiles.place`, a few hundred files at a time).
   */
  private async unpack(hash: string, dir: string, placed = { count: 0 }): Promise<void> {
    const directory = this.directory(hash);
    for (const file of directory.files ?? []) {
      const data = this.blobs.get(file.digest?.hash ?? '');
      if (!data) throw new Invalid(`file ${file.name} (${file.digest?.hash}) is not in the CAS`);
      const mode = file.node_properties?.unix_mode?.value ?? (file.is_executable ? 0o755 : 0o644);
      this.inputFiles.place(join(dir, file.name ?? ''), file.digest?.hash ?? '', data, mode);
      // Other calls are answered between every few hundred files, as a worker's separate processes would.
      if (++placed.count % UNPACK_AT_ONCE === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    for (const link of directory.symlinks ?? []) symlinkSync(link.target ?? '', join(dir, link.name ?? ''));
    for (const sub of directory.directories ?? []) {
      const path = join(dir, sub.name ?? '');
      mkdirSync(path);
      await this.unpack(sub.digest?.hash ?? '', path, placed);
    }
    chmodSync(dir, directory.node_properties?.unix_mode?.value ?? 0o755);
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

  /** The `Tree` of an output directory: its root `Directory` and every one below, canonical. */
  private async tree(
    dir: string,
    modes: boolean,
  ): Promise<{ root: DirectoryMessage; children: DirectoryMessage[] }> {
    const children: DirectoryMessage[] = [];
    const type = this.type('Directory');
    const walk = async (path: string): Promise<DirectoryMessage> => {
      const files: NonNullable<DirectoryMessage['files']> = [];
      const directories: NonNullable<DirectoryMessage['directories']> = [];
      const symlinks: NonNullable<DirectoryMessage['symlinks']> = [];
      const names = (await readdir(path)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      for (const name of names) {
        const child = join(path, name);
        const stats = await lstat(child);
        if (stats.isDirectory()) {
          const sub = await walk(child);
          children.push(sub);
          const bytes = Buffer.from(type.encode(type.fromObject(sub)).finish());
          directories.push({ name, digest: this.storeBlob(bytes) });
        } else if (stats.isSymbolicLink()) symlinks.push({ name, target: await readlink(child) });
        else if (stats.isFile()) {
          const executable = (stats.mode & 0o100) !== 0;
          files.push({
            name,
            digest: this.storeBlob(await readFile(child)),
            ...(executable ? { is_executable: true } : {}),
            ...(modes ? { node_properties: { unix_mode: { value: stats.mode & 0o7777 } } } : {}),
          });
        }
      }
      const mode = (await lstat(path)).mode & 0o7777;
      return {
        ...(files.length ? { files } : {}),
        ...(directories.length ? { directories } : {}),
        ...(symlinks.length ? { symlinks } : {}),
        ...(modes ? { node_properties: { unix_mode: { value: mode } } } : {}),
      };
    };
    const root = await walk(dir);
    return { root, children };
  }

  private storeTree(tree: { root: DirectoryMessage; children: DirectoryMessage[] }): Digest {
    const type = this.root.lookupType('build.bazel.remote.execution.v2.Tree');
    return this.storeBlob(Buffer.from(type.encode(type.fromObject(tree)).finish()));
  }
}

/** A request the double refuses as a real engine would (INVALID_ARGUMENT). */
class Invalid extends Error {}

const EMPTY_HASH = createHash('sha256').digest('hex');

interface Digest {
  hash?: string;
  size_bytes?: string | number;
}

interface NodeProperties {
  unix_mode?: { value?: number };
}

interface DirectoryMessage {
  files?: { name?: string; digest?: Digest; is_executable?: boolean; node_properties?: NodeProperties }[];
  directories?: { name?: string; digest?: Digest }[];
  symlinks?: { name?: string; target?: string }[];
  node_properties?: NodeProperties;
}

interface CommandMessage {
  arguments?: string[];
  environment_variables?: { name?: string; value?: string }[];
  output_directories?: string[];
  output_paths?: string[];
  output_node_properties?: string[];
  working_directory?: string;
}

/**
 * Runs the command in a process group of its own; after `timeoutMs` (0:
 * never) the whole group is killed, as an engine enforces `Action.timeout`.
 */
function runProcess(
  program: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<{ exitCode: number; stdout: Buffer; stderr: Buffer; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            try {
              process.kill(-(child.pid as number), 'SIGKILL');
            } catch {}
          }, timeoutMs)
        : undefined;
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        exitCode: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err),
        timedOut,
      });
    });
  });
}

/** The largest stdout or stderr that GetActionResult inlines when asked (engines have such a limit). */
const INLINE_LIMIT = 64 * 1024;

/** Input files placed between two turns of the event loop (other calls are answered between them). */
const UNPACK_AT_ONCE = 256;
