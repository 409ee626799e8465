// Makes the compiled command-line entry points executable.
import { chmodSync, existsSync } from 'node:fs';

for (const bin of [
  'dist/src/yarn/cli/main.js',
  'dist/src/morph/cli/main.js',
  'dist/test-git-server/cli.js',
]) {
  if (existsSync(bin)) chmodSync(bin, 0o755);
}
