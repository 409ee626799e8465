import { writeFile } from 'node:fs/promises';
import { status } from '@grpc/grpc-js';
import { JobSlots } from '../../../shared/job-slots.js';
import { remembered } from '../../../shared/remembered.js';
import type { ArtifactCache } from '../../cache/artifact-cache.js';
import type { ChunkMorphology } from '../../model.js';
import type { CommandFailure } from '../execute/run-chunk-commands.js';
import { ArtifactDigests } from './artifact-digests.js';
import { BlobSet } from './blob-set.js';
import { buildScript, remoteFailure } from './build-script.js';
import { BusyClock } from './busy-clock.js';
import { encodeAction, encodeCommand } from './canonical-messages.js';
import { CasUploader } from './cas-uploader.js';
import { type Digest, digestOf } from './digest.js';
import { FileDigests } from './file-digests.js';
import { addDirectory, type MerkleTree, merkleTreeOf, overlayContent } from './merkle-tree.js';
import { type FetchStats, fetchBlobs, materialiseOutputTree } from './output-tree.js';
import { type EngineLimits, fromWire, ReapiClient, type RemoteEndpoint } from './reapi-client.js';
import type { WireActionResult } from './reapi-messages.js';
import { loadReapiProtos } from './reapi-protos.js';
import { memoDirOf, TreeDigestMemo } from './tree-digest-memo.js';

/** One chunk's commands, as `buildChunk` hands them to the remote executor. */
export interface RemoteChunkRequest {
  /** The chunk's name (`<name>.build`, `<name>.inst`). */
  readonly name: string;
  readonly morphology: ChunkMorphology;
  /** The read-only dependency tree the chunk stages (the root of its sandbox). */
  readonly depsTree: string;
  /** The refs of the artifacts checked out into the dependency tree, in order (later files win). */
  readonly depRefs: readonly string[];
  /** The artifact cache they are in (whose memo of their file digests is used and kept). */
  readonly cache: ArtifactCache;
  /** The checked-out sources (`<staging>/<name>.build`). */
  readonly buildDir: string;
  /** Where the installed files go (`<staging>/<name>.inst`, empty). */
  readonly instDir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly maxJobs: number;
  /** The build log to write (what the commands printed, as a local build logs it). */
  readonly logPath: string;
  /** The platform properties of the action (`platformOf` the system's arch). */
  readonly platform: Readonly<Record<string, string>>;
  /**
   * `--build-timeout`: the action's timeout (REAPI `Action.timeout`, all the
   * chunk's commands together; 0 or unset: the engine's default).
   */
  readonly timeoutSeconds?: number;
  /** Called with status lines (cache hit, stages of the execution). */
  readonly onStatus: (line: string) => void;
}

/** What the remote builds of one morph run cost (the benchmark reads it with `--verbose`). */
export interface RemoteStats {
  actionsCached: number;
  actionsExecuted: number;
  blobsUploaded: number;
  bytesUploaded: number;
  bytesHashed: number;
  bytesFetched: number;
  /** Output bytes taken from files of the local cache (of known digest) instead of fetched. */
  bytesLocal: number;
  /** Time spent making input blobs present in the CAS (FindMissingBlobs and uploads). */
  uploadMs: number;
  /**
   * The protocol cost: wall time during which at least one chunk was busy
   * with the protocol (any of `phaseMs`), what a remote build adds to
   * running the commands; overlapping chunks count once.
   */
  protocolMs: number;
  /** The same, per phase (each a union over chunks). */
  phaseMs: Readonly<Record<ProtocolPhase, number>>;
}

/**
 * The protocol's phases: making the action (input root's Merkle tree,
 * Command, Action), asking the action cache (and the engine's
 * capabilities), uploading what the CAS lacks, fetching the outputs and
 * writing them into DESTDIR. Not in them: waiting for the engine to run the
 * commands (Execute), which a local build spends running them.
 */
export type ProtocolPhase = 'prepare' | 'lookup' | 'upload' | 'fetch';

/**
 * After this many look-ups in a row found nothing, actions go to Execute without one (it checks
 * the action cache itself), until it answers one from the cache.
 */
const EXECUTE_AT_ONCE_AFTER_MISSES = 2;

/** The status line of a chunk the action cache held. */
const CACHE_HIT = 'Remote action cache hit: nothing to build';

/** An execution stage (`ExecutionStage.Value`) as a status line says it. */
function stageWords(stage: string): string {
  return stage === 'CACHE_CHECK' ? 'checking the action cache' : stage.toLowerCase();
}

/** The status line that sums up a build's remote work (the benchmark reads it). */
export function describeRemoteStats(stats: RemoteStats): string {
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  return (
    `Remote execution: ${stats.actionsExecuted} chunks executed, ${stats.actionsCached} from the action cache; ` +
    `uploaded ${mib(stats.bytesUploaded)} MiB in ${stats.blobsUploaded} blobs (${(stats.uploadMs / 1000).toFixed(1)} s), ` +
    `hashed ${mib(stats.bytesHashed)} MiB, fetched ${mib(stats.bytesFetched)} MiB ` +
    `(${mib(stats.bytesLocal)} MiB more from the local cache); ` +
    `protocol ${seconds(stats.protocolMs)} s (input roots ${seconds(stats.phaseMs.prepare)} s, ` +
    `action cache ${seconds(stats.phaseMs.lookup)} s, upload ${seconds(stats.phaseMs.upload)} s, ` +
    `fetch ${seconds(stats.phaseMs.fetch)} s)`
  );
}

/**
 * Runs chunk builds on a REAPI v2 engine (the remote side of the chunk
 * builder's executor seam): the input root is uploaded as a Merkle tree,
 * the action is looked up in the action cache (by Execute itself while
 * look-ups keep missing) and executed only when it is not there, and the
 * output directory is written where a local build would
 * have installed its files. At most `maxRemoteJobs` chunks are in the
 * engine's hands at once (uploading their inputs and executing); making
 * actions, action-cache look-ups and fetches are bounded by the scheduler's
 * chunks in flight only.
 */
export class RemoteExecutor {
  private readonly client: ReapiClient;
  private readonly protos = loadReapiProtos();
  private readonly slots: JobSlots;
  private readonly files = new FileDigests();
  private readonly depsTrees = new Map<string, Promise<MerkleTree>>();
  /** The commits of artifact refs, by cache repository and ref (`commitOf`). */
  private readonly commits = new Map<string, string>();
  /** The digests of artifact commits' files, for the first cache a request names. */
  private artifacts?: ArtifactDigests;
  private limits?: Promise<EngineLimits>;
  private uploader?: CasUploader;
  private readonly fetched: FetchStats = { blobsFetched: 0, bytesFetched: 0, bytesLocal: 0 };
  private cached = 0;
  private executed = 0;
  /** Action-cache look-ups that found nothing since the last hit. */
  private missesInARow = 0;
  private readonly protocol = new BusyClock();
  private readonly phases: Record<ProtocolPhase, BusyClock> = {
    prepare: new BusyClock(),
    lookup: new BusyClock(),
    upload: new BusyClock(),
    fetch: new BusyClock(),
  };

  /** @throws MorphError `build/bad-remote-url`, `build/reapi-protos-missing`. */
  constructor(endpoint: RemoteEndpoint, maxRemoteJobs: number) {
    this.client = new ReapiClient(endpoint);
    this.slots = new JobSlots(Math.max(1, maxRemoteJobs));
  }

  /**
   * Builds one chunk remotely; returns the failing command like
   * `runChunkCommands` does, or undefined when `instDir` now holds its files.
   * @throws MorphError `build/remote-unavailable`, `build/remote-failed`.
   */
  async run(request: RemoteChunkRequest, signal?: AbortSignal): Promise<CommandFailure | undefined> {
    signal?.throwIfAborted();
    const limits = await this.timed('lookup', () => this.engineLimits());
    const { action, blobs } = await this.timed('prepare', () => this.prepare(request));
    // While look-ups keep missing (a cold cache), Execute is asked at once: it checks the action
    // cache itself, and the round trip of asking first is saved.
    const askFirst = this.missesInARow < EXECUTE_AT_ONCE_AFTER_MISSES;
    let result = askFirst ? await this.timed('lookup', () => this.client.actionResult(action)) : undefined;
    if (askFirst) this.missesInARow = result ? 0 : this.missesInARow + 1;
    let timedOut = false;
    if (result) {
      this.cached++;
      request.onStatus(CACHE_HIT);
    } else {
      // Only an action to execute takes one of the engine's slots (a cache hit, or a chunk
      // fetching its outputs, does not hold one that an execution could use).
      const response = await this.slots.run(async () => {
        signal?.throwIfAborted();
        await this.timed('upload', () => (this.uploader as CasUploader).upload(blobs.all()));
        signal?.throwIfAborted();
        return this.client.execute(
          action,
          (stage) => {
            // Said below, once it is known whether the action ran or came from the cache.
            if (stage !== 'COMPLETED') request.onStatus(`Remote execution: ${stageWords(stage)}`);
          },
          signal,
        );
      });
      if (response.cached_result) {
        this.cached++;
        this.missesInARow = 0;
        request.onStatus(CACHE_HIT);
      } else {
        this.executed++;
        request.onStatus('Remote execution: completed');
      }
      const code = response.status?.code ?? 0;
      timedOut = code === status.DEADLINE_EXCEEDED && (request.timeoutSeconds ?? 0) > 0;
      if ((code !== 0 && !timedOut) || (!response.result && !timedOut)) {
        throw this.client.failureOf('Execute', response.status?.message || 'no result');
      }
      result = response.result ?? {};
    }
    const exitCode = result.exit_code ?? 0;
    const succeeded = exitCode === 0 && !timedOut;
    const outputs = result.output_directories ?? [];
    const treeDigest = succeeded
      ? outputs.find((d) => d.path === `root/${request.name}.inst`)?.tree_digest
      : undefined;
    // The logs come with the output tree's `Tree`, in one call (or inline: a cache hit's stdout).
    const stdoutLog = logOf(result, 'stdout');
    const stderrLog = succeeded ? undefined : logOf(result, 'stderr');
    const fetched = await this.timed('fetch', () => {
      const wanted = [stdoutLog, stderrLog].flatMap((log) => (log?.digest ? [log.digest] : []));
      return treeDigest
        ? materialiseOutputTree({
            client: this.client,
            protos: this.protos,
            treeDigest: fromWire(treeDigest),
            dest: request.instDir,
            maxBatchBytes: limits.maxBatchBytes,
            stats: this.fetched,
            local: (hash) => this.artifacts?.localContent(hash),
            alsoFetch: wanted,
          })
        : fetchBlobs(this.client, wanted, limits.maxBatchBytes, this.fetched);
    });
    const bytesOf = (log: Log | undefined): Buffer =>
      log?.inline ?? (log?.digest && fetched.get(log.digest.hash)) ?? Buffer.alloc(0);
    await writeFile(request.logPath, bytesOf(stdoutLog), { flag: 'a' });
    if (!succeeded) {
      // Everything the action printed goes to the build log, as a local failure's output does.
      const { failure, log } = remoteFailure({
        stderr: bytesOf(stderrLog).toString(),
        exitCode,
        morphology: request.morphology,
        timedOutAfter: timedOut ? request.timeoutSeconds : undefined,
      });
      await writeFile(request.logPath, log, { flag: 'a' });
      return failure;
    }
    return undefined;
  }

  /**
   * Tells that a chunk's artifacts `refs` were stored in `cache`: the
   * digests of their files are loaded (from the memo, or hashed and
   * memoised) now, in the background, instead of when the next stratum's
   * dependency tree needs them, on its critical path. Best effort: a failure
   * here is met again, and reported, by the build that needs them.
   */
  stored(cache: ArtifactCache, refs: readonly string[]): void {
    const artifacts = this.artifactDigestsOf(cache);
    Promise.all(refs.map((ref) => this.commitOf(cache, ref)))
      .then((commits) => artifacts.preload(commits.filter((commit) => commit !== undefined)))
      .catch(() => {});
  }

  /** What this run's remote builds cost so far. */
  stats(): RemoteStats {
    return {
      actionsCached: this.cached,
      actionsExecuted: this.executed,
      blobsUploaded: this.uploader?.stats.blobsUploaded ?? 0,
      bytesUploaded: this.uploader?.stats.bytesUploaded ?? 0,
      bytesHashed: this.files.bytesHashed,
      bytesFetched: this.fetched.bytesFetched,
      bytesLocal: this.fetched.bytesLocal,
      uploadMs: this.uploader?.stats.uploadMs ?? 0,
      protocolMs: this.protocol.ms,
      phaseMs: {
        prepare: this.phases.prepare.ms,
        lookup: this.phases.lookup.ms,
        upload: this.phases.upload.ms,
        fetch: this.phases.fetch.ms,
      },
    };
  }

  /** Closes the connection to the engine. */
  close(): void {
    this.client.close();
  }

  /** Runs `work` as part of the protocol phase `phase` (see `RemoteStats.protocolMs`). */
  private timed<T>(phase: ProtocolPhase, work: () => Promise<T>): Promise<T> {
    return this.protocol.time(() => this.phases[phase].time(work));
  }

  private engineLimits(): Promise<EngineLimits> {
    if (!this.limits) {
      const limits = this.client.capabilities();
      this.limits = limits;
      limits.then(
        (value) => {
          this.uploader ??= new CasUploader(this.client, value);
        },
        () => {
          if (this.limits === limits) this.limits = undefined;
        },
      );
    }
    return this.limits;
  }

  /** The action's digest and every blob it needs: input root, command and action. */
  private async prepare(request: RemoteChunkRequest): Promise<{ action: Digest; blobs: BlobSet }> {
    // The tree's blobs are read from its files when uploaded: the memo holds for this list at this
    // path (a retired tree's directory is taken over by a longer list, dependency-trees.ts).
    const depsKey = `${request.depRefs.join('\n')}\n${request.depsTree}`;
    const [depsTree, sources] = await Promise.all([
      remembered(this.depsTrees, depsKey, () => this.depsTreeOf(request)),
      merkleTreeOf(request.buildDir, this.files, { memo: false }),
    ]);
    const blobs = new BlobSet();
    blobs.include(depsTree.blobs);
    blobs.include(sources.blobs);
    const empty = addDirectory(blobs, { files: [], directories: [], symlinks: [] });
    const rootDigest = addDirectory(
      blobs,
      overlayContent(depsTree.content, {
        directories: [
          { name: `${request.name}.build`, digest: sources.root },
          { name: `${request.name}.inst`, digest: empty },
        ],
      }),
    );
    const script = buildScript(request.name, request.morphology, request.maxJobs);
    const scriptDigest = digestOf(script);
    blobs.add({ digest: scriptDigest, bytes: script });
    const inputRoot = addDirectory(blobs, {
      files: [{ name: 'morph-build.sh', digest: scriptDigest, executable: false }],
      directories: [{ name: 'root', digest: rootDigest }],
      symlinks: [],
    });
    const command = encodeCommand({
      arguments: ['sh', 'morph-build.sh'],
      environment: request.env,
      outputDirectories: [`root/${request.name}.inst`],
      platform: request.platform,
      outputNodeProperties: ['unix_mode'],
    });
    const commandDigest = digestOf(command);
    blobs.add({ digest: commandDigest, bytes: command });
    const action = encodeAction({
      commandDigest,
      inputRootDigest: inputRoot,
      timeoutSeconds: request.timeoutSeconds || undefined,
      platform: request.platform,
    });
    const actionDigest = digestOf(action);
    blobs.add({ digest: actionDigest, bytes: action });
    return { action: actionDigest, blobs };
  }

  /**
   * The Merkle tree of the dependency tree, whose files that are hard links
   * into the cache take their digests from the memo of their commits.
   */
  private async depsTreeOf(request: RemoteChunkRequest): Promise<MerkleTree> {
    const artifacts = this.artifactDigestsOf(request.cache);
    const commits = await Promise.all(request.depRefs.map((ref) => this.commitOf(request.cache, ref)));
    const known = commits.every((commit) => commit !== undefined)
      ? await artifacts.union(commits as string[])
      : undefined;
    return merkleTreeOf(request.depsTree, this.files, { known });
  }

  /**
   * The commit of the artifact `ref`, read once per run: a dependency tree's list of refs is
   * the previous stratum's and a few more (a thousand ref files read for the last stratum
   * of the 200-chunk bench took 40-115 ms of every chunk's input root).
   */
  private async commitOf(cache: ArtifactCache, ref: string): Promise<string | undefined> {
    const key = `${cache.repoPath}\n${ref}`;
    const known = this.commits.get(key);
    if (known) return known;
    const commit = await cache.resolveRef(ref);
    if (commit) this.commits.set(key, commit);
    return commit;
  }

  /** The digests of the files of `cache`'s commits (the first cache asked about is the one). */
  private artifactDigestsOf(cache: ArtifactCache): ArtifactDigests {
    this.artifacts ??= new ArtifactDigests(
      cache.repoPath,
      new TreeDigestMemo(memoDirOf(cache.dir)),
      this.files,
    );
    return this.artifacts;
  }
}

/** An action's stdout or stderr: its bytes when the reply had them inline, else its digest to fetch. */
interface Log {
  readonly inline?: Buffer;
  readonly digest?: Digest;
}

/** The `Log` of an action's stdout or stderr, or undefined when it is empty. */
function logOf(result: WireActionResult, which: 'stdout' | 'stderr'): Log | undefined {
  const raw = which === 'stdout' ? result.stdout_raw : result.stderr_raw;
  if (raw && raw.length > 0) return { inline: raw };
  const digest = which === 'stdout' ? result.stdout_digest : result.stderr_digest;
  if (!digest?.hash || fromWire(digest).sizeBytes === 0) return undefined;
  return { digest: fromWire(digest) };
}
