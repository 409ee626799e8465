import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeAction, encodeCommand } from '../../src/morph/build/remote/canonical-messages.js';
import { CasUploader } from '../../src/morph/build/remote/cas-uploader.js';
import { digestOf } from '../../src/morph/build/remote/digest.js';
import { FileDigests } from '../../src/morph/build/remote/file-digests.js';
import { merkleTreeOf } from '../../src/morph/build/remote/merkle-tree.js';
import { materialiseOutputTree } from '../../src/morph/build/remote/output-tree.js';
import { fromWire } from '../../src/morph/build/remote/reapi-client.js';
import { loadReapiProtos } from '../../src/morph/build/remote/reapi-protos.js';
import { doubleForTests } from './double-for-tests.js';

describe('morph REAPI client against the test double', () => {
  const engine = doubleForTests('reapi-double-test', { maxBatchBytes: 256 * 1024 });
  const { dir, double } = engine;

  it('uploads a tree once (large blobs through ByteStream) and runs a command on it', async () => {
    const tree = join(dir, 'input');
    mkdirSync(join(tree, 'sub'), { recursive: true });
    writeFileSync(join(tree, 'big'), Buffer.alloc(600 * 1024, 7));
    writeFileSync(join(tree, 'sub', 'run.sh'), 'mkdir -p out/d && cp big out/d/copy && echo done\n', {
      mode: 0o755,
    });
    const merkle = await merkleTreeOf(tree, new FileDigests());
    const uploader = new CasUploader(engine.client, await engine.client.capabilities());
    const command = encodeCommand({
      arguments: ['sh', 'sub/run.sh'],
      environment: { PATH: '/usr/bin:/bin' },
      outputDirectories: ['out'],
      platform: {},
      outputNodeProperties: ['unix_mode'],
    });
    const action = encodeAction({
      commandDigest: digestOf(command),
      inputRootDigest: merkle.root,
      platform: {},
    });
    const blobs = [...merkle.blobs.all(), { digest: digestOf(command), bytes: command }];
    blobs.push({ digest: digestOf(action), bytes: action });
    await uploader.upload(blobs);
    assert.equal(double.uploads.blobs, blobs.length);
    assert.equal(await engine.client.actionResult(digestOf(action)), undefined);
    const stages: string[] = [];
    const response = await engine.client.execute(digestOf(action), (stage) => stages.push(stage));
    assert.deepEqual(stages, ['QUEUED', 'COMPLETED']);
    assert.equal(response.result?.exit_code ?? 0, 0);
    const out = join(dir, 'output');
    mkdirSync(out);
    const tree0 = response.result?.output_directories?.[0]?.tree_digest;
    assert.ok(tree0);
    const stats = { blobsFetched: 0, bytesFetched: 0, bytesLocal: 0 };
    const protos = loadReapiProtos();
    await materialiseOutputTree({
      client: engine.client,
      protos,
      treeDigest: fromWire(tree0),
      dest: out,
      maxBatchBytes: 256 * 1024,
      stats,
    });
    const copied = await merkleTreeOf(join(out, 'd'), new FileDigests());
    assert.equal(copied.content.files[0]?.digest.hash, digestOf(Buffer.alloc(600 * 1024, 7)).hash);
    // Everything is there now: a second upload of the same tree sends nothing, and the action is cached.
    const again = new CasUploader(engine.client, await engine.client.capabilities());
    await again.upload(blobs);
    assert.equal(again.stats.blobsUploaded, 0);
    assert.ok(await engine.client.actionResult(digestOf(action)));
    // Execute checks the action cache first, as engines do: the known action is not run again.
    const executions = double.executions;
    const cachedStages: string[] = [];
    const cached = await engine.client.execute(digestOf(action), (stage) => cachedStages.push(stage));
    assert.deepEqual(cachedStages, ['CACHE_CHECK', 'COMPLETED']);
    assert.equal(cached.cached_result, true);
    assert.equal(cached.result?.output_directories?.[0]?.tree_digest?.hash, tree0.hash);
    assert.equal(double.executions, executions);
  });

  it('refuses a blob whose bytes do not match its digest', async () => {
    const wrong = { digest: digestOf(Buffer.from('one')), data: Buffer.from('two') };
    await assert.rejects(engine.client.batchUpdate([wrong]), { code: 'build/remote-failed' });
  });

  it('refuses to run an action whose Directory is not canonical (a default written out)', async () => {
    const content = Buffer.from('x');
    // FileNode { name: "f", digest: {...}, is_executable: false } — field 4 written as 0.
    const digestBytes = Buffer.concat([
      Buffer.from([0x0a, 64]),
      Buffer.from(digestOf(content).hash),
      Buffer.from([0x10, 1]),
    ]);
    const node = Buffer.concat([
      Buffer.from([0x0a, 1, 0x66, 0x12, digestBytes.length]),
      digestBytes,
      Buffer.from([0x20, 0]),
    ]);
    const directory = Buffer.concat([Buffer.from([0x0a, node.length]), node]);
    const command = encodeCommand({
      arguments: ['true'],
      environment: {},
      outputDirectories: [],
      platform: {},
      outputNodeProperties: [],
    });
    const action = encodeAction({
      commandDigest: digestOf(command),
      inputRootDigest: digestOf(directory),
      platform: {},
    });
    await engine.client.batchUpdate(
      [content, directory, command, action].map((data) => ({ digest: digestOf(data), data })),
    );
    const response = await engine.client.execute(digestOf(action), () => {});
    assert.equal(response.status?.code, 3, 'INVALID_ARGUMENT');
    assert.match(response.status?.message ?? '', /canonical/);
  });
});

describe('the test double with --action-nice', () => {
  const engine = doubleForTests('reapi-double-nice-test', { actionNice: 7 });
  const { dir } = engine;

  it("runs actions at that nice value, in this process's session (its scheduler autogroup), and its worker thread too", async () => {
    const input = join(dir, 'input');
    mkdirSync(input);
    writeFileSync(join(input, 'run.sh'), 'mkdir out && cat /proc/self/stat > out/stat\n');
    const merkle = await merkleTreeOf(input, new FileDigests());
    const command = encodeCommand({
      arguments: ['sh', 'run.sh'],
      environment: { PATH: '/usr/bin:/bin' },
      outputDirectories: ['out'],
      platform: {},
      outputNodeProperties: [],
    });
    const action = encodeAction({
      commandDigest: digestOf(command),
      inputRootDigest: merkle.root,
      platform: {},
    });
    await new CasUploader(engine.client, await engine.client.capabilities()).upload([
      ...merkle.blobs.all(),
      { digest: digestOf(command), bytes: command },
      { digest: digestOf(action), bytes: action },
    ]);
    const response = await engine.client.execute(digestOf(action), () => {});
    const treeDigest = response.result?.output_directories?.[0]?.tree_digest;
    assert.ok(treeDigest, JSON.stringify(response.status));
    const out = join(dir, 'output');
    mkdirSync(out);
    await materialiseOutputTree({
      client: engine.client,
      protos: loadReapiProtos(),
      treeDigest: fromWire(treeDigest),
      dest: out,
      maxBatchBytes: 4 * 1024 * 1024,
      stats: { blobsFetched: 0, bytesFetched: 0, bytesLocal: 0 },
    });
    const ran = statFields(readFileSync(join(out, 'stat'), 'utf8'));
    const self = statFields(readFileSync('/proc/self/stat', 'utf8'));
    assert.equal(ran.nice, 7);
    assert.equal(ran.session, self.session, 'the action has a session of its own');
    assert.notEqual(ran.pgrp, self.pgrp, 'the action has no process group of its own');
    const threads = readdirSync('/proc/self/task').map((tid) =>
      statFields(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')),
    );
    assert.ok(
      threads.some((thread) => thread.nice === 7),
      'no thread of this process runs at nice 7',
    );
  });
});

/** The process group, session and nice value of a `/proc/.../stat` line (proc(5): fields 5, 6, 19). */
function statFields(line: string): { pgrp: number; session: number; nice: number } {
  const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
  return { pgrp: Number(fields[2]), session: Number(fields[3]), nice: Number(fields[16]) };
}
