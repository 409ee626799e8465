#!/usr/bin/env node
/**
 * `test-git-server`: serves a directory of git repositories on an ephemeral
 * loopback port until it is told to stop.
 *
 *     node dist/test-git-server/cli.js --root DIR [--log FILE] [--port-file FILE]
 *         [--exit-on-stdin-eof] [--verbose]
 *
 * Prints the port on the first line of stdout once it accepts connections
 * (and writes it to --port-file). Stops, ending every git process it started,
 * on SIGTERM, SIGINT or SIGHUP, and with --exit-on-stdin-eof also when its
 * stdin closes (so it dies with the process that started it).
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startGitServer } from './start-git-server.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      root: { type: 'string' },
      log: { type: 'string' },
      'port-file': { type: 'string' },
      'exit-on-stdin-eof': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'usage: test-git-server --root DIR [--log FILE] [--port-file FILE] [--exit-on-stdin-eof] [--verbose]\n',
    );
    return 0;
  }
  if (!values.root) throw new UsageError('--root DIR is required');
  const server = await startGitServer({
    root: values.root,
    logFile: values.log,
    separateProcessGroups: false,
    onDiagnostic: values.verbose ? (text) => process.stderr.write(text) : undefined,
  });
  if (values['port-file']) await writeFile(values['port-file'], `${server.port}\n`);
  process.stdout.write(`${server.port}\n`);

  await new Promise<void>((resolve) => {
    for (const name of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(name, () => resolve());
    if (values['exit-on-stdin-eof']) {
      process.stdin.on('end', () => resolve());
      process.stdin.on('error', () => resolve());
      process.stdin.resume();
    }
  });
  await server.stop();
  return 0;
}

class UsageError extends Error {}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`ERROR: ${(err as Error).message}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
