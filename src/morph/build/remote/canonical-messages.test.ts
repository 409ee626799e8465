import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeAction, encodeCommand, encodeDirectory } from './canonical-messages.js';
import { digestOf, EMPTY_DIGEST } from './digest.js';
import { loadReapiProtos } from './reapi-protos.js';

const protos = loadReapiProtos();
const decode = (type: string, bytes: Buffer) => {
  const t = protos.type(`build.bazel.remote.execution.v2.${type}`);
  return t.toObject(t.decode(bytes), { longs: Number, enums: String }) as Record<string, unknown>;
};
const file = (name: string, text: string, executable = false, mode?: number) => ({
  name,
  digest: digestOf(Buffer.from(text)),
  executable,
  mode,
});

describe('canonical REAPI messages', () => {
  it('encode an empty Directory as no bytes (the empty blob)', () => {
    const bytes = encodeDirectory({ files: [], directories: [], symlinks: [] });
    assert.equal(bytes.length, 0);
    assert.deepEqual(digestOf(bytes), EMPTY_DIGEST);
  });

  it('sort entries by name and omit defaults: is_executable false, 0644/0755 modes', () => {
    const bytes = encodeDirectory({
      files: [file('b', 'x', true, 0o755), file('a', '', false, 0o644), file('c', 'y', false, 0o600)],
      directories: [{ name: 'd', digest: EMPTY_DIGEST }],
      symlinks: [{ name: 'l', target: '/a' }],
      mode: 0o755,
    });
    const decoded = decode('Directory', bytes) as {
      files: {
        name: string;
        is_executable?: boolean;
        digest: { size_bytes?: number };
        node_properties?: object;
      }[];
    };
    assert.deepEqual(
      decoded.files.map((f) => f.name),
      ['a', 'b', 'c'],
    );
    assert.equal(decoded.files[0]?.is_executable, undefined);
    assert.equal(decoded.files[0]?.digest.size_bytes, undefined, 'a zero size is omitted');
    assert.equal(decoded.files[1]?.is_executable, true);
    assert.equal(decoded.files[1]?.node_properties, undefined, '0755 of an executable is the default');
    assert.deepEqual(decoded.files[2]?.node_properties, { unix_mode: { value: 0o600 } });
    assert.equal((decoded as { node_properties?: object }).node_properties, undefined);
    // protobufjs writes fields in number order too: re-encoding gives the same bytes.
    const type = protos.type('build.bazel.remote.execution.v2.Directory');
    assert.deepEqual(Buffer.from(type.encode(type.decode(bytes)).finish()), bytes);
  });

  it('keep empty elements of repeated strings and sort environment and platform by name', () => {
    const bytes = encodeCommand({
      arguments: ['sh', '', 'x'],
      environment: { Z: '1', A: '' },
      outputDirectories: ['out'],
      platform: { OSFamily: 'linux', ISA: 'x86-64' },
      outputNodeProperties: ['unix_mode'],
    });
    const decoded = decode('Command', bytes) as {
      arguments: string[];
      environment_variables: { name: string; value?: string }[];
      platform: { properties: { name: string }[] };
      output_paths: string[];
    };
    assert.deepEqual(decoded.arguments, ['sh', '', 'x']);
    assert.deepEqual(
      decoded.environment_variables.map((v) => v.name),
      ['A', 'Z'],
    );
    assert.deepEqual(
      decoded.platform.properties.map((p) => p.name),
      ['ISA', 'OSFamily'],
    );
    assert.deepEqual(decoded.output_paths, ['out']);
  });

  it('pin the digest of an Action (a change of encoding is deliberate)', () => {
    const command = encodeCommand({
      arguments: ['sh', 'morph-build.sh'],
      environment: { PATH: '/bin' },
      outputDirectories: ['root/c.inst'],
      platform: { OSFamily: 'linux' },
      outputNodeProperties: ['unix_mode'],
    });
    // protobufjs, from the .proto files, encodes the same message to the same bytes.
    const type = protos.type('build.bazel.remote.execution.v2.Command');
    const reference = type.encode(
      type.fromObject({
        arguments: ['sh', 'morph-build.sh'],
        environment_variables: [{ name: 'PATH', value: '/bin' }],
        output_directories: ['root/c.inst'],
        output_paths: ['root/c.inst'],
        platform: { properties: [{ name: 'OSFamily', value: 'linux' }] },
        output_node_properties: ['unix_mode'],
      }),
    );
    assert.deepEqual(Buffer.from(reference.finish()), command);
    const action = encodeAction({
      commandDigest: digestOf(command),
      inputRootDigest: EMPTY_DIGEST,
      platform: { OSFamily: 'linux' },
    });
    assert.equal(digestOf(action).hash, '02e5196172c5b157b92c0013e81801f701a80a51e04a3a9fbb05205d4bee8b16');
  });
});
