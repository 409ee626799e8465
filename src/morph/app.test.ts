import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createApp } from './app.js';
import { loadSettings } from './settings/load-settings.js';

async function makeApp(argv: string[]) {
  const { settings } = await loadSettings(['--no-default-configs', ...argv], {
    env: { HOME: '/nonexistent' },
    cwd: '/',
    cpus: 1,
  });
  const stdout: string[] = [];
  const logged: string[] = [];
  const app = createApp(
    settings,
    {
      stdout: (t) => stdout.push(t),
      stderr: () => {},
      log: { debug: (m) => logged.push(m), raw: (t) => logged.push(t) },
      now: () => new Date(Date.UTC(2015, 0, 1)),
    },
    { cwd: '/', signal: new AbortController().signal, env: { PATH: process.env.PATH } },
  );
  return { app, stdout, logged };
}

describe('App.runApp', () => {
  it('echoes commands and environment changes as chatty status lines', async () => {
    const { app, stdout, logged } = await makeApp(['--verbose']);
    const result = await app.runApp(['sh', '-c', 'echo "$GREETING"'], {
      env: { PATH: process.env.PATH, GREETING: 'hi there' },
    });
    assert.equal(result.stdout, 'hi there\n');
    assert.deepEqual(stdout, [
      '2015-01-01 00:00:00 # GREETING=hi there\n',
      `2015-01-01 00:00:00 # sh -c 'echo "$GREETING"'\n`,
    ]);
    assert.ok(logged.includes('hi there\n'));
  });

  it('prints nothing without --verbose', async () => {
    const { app, stdout } = await makeApp([]);
    await app.runApp(['true']);
    assert.deepEqual(stdout, []);
  });

  it('runs pipelines and fails on any failing member', async () => {
    const { app, stdout } = await makeApp(['-v']);
    const counted = await app.runApp([
      ['printf', 'a\\nb\\n'],
      ['wc', '-l'],
    ]);
    assert.equal(counted.stdout.trim(), '2');
    assert.equal(stdout.at(-1), "2015-01-01 00:00:00 # printf 'a\\nb\\n' | wc -l\n");
    await assert.rejects(app.runApp([['false'], ['cat']]), { code: 'COMMAND_FAILED' });
  });

  it('throws on failure unless allowed', async () => {
    const { app } = await makeApp([]);
    await assert.rejects(
      app.runApp(['sh', '-c', 'echo oops >&2; exit 3']),
      (err: Error & { code?: string }) => {
        return err.code === 'COMMAND_FAILED' && err.message.includes('oops');
      },
    );
    const allowed = await app.runApp(['sh', '-c', 'exit 3'], { allowFailure: true });
    assert.equal(allowed.exitCode, 3);
  });
});
