import { quoteArg } from '../../shared/exec.js';

const DROP_WITH_VALUE = new Set([
  '-r',
  '--run',
  '--name',
  '--shard',
  '-j',
  '--jobs',
  '--format',
  '--output',
  '--rerun-file',
  '--retry',
]);
const DROP_FLAGS = new Set(['--keep-failed', '-q', '--quiet']);

/**
 * The command line that re-runs just `scenario` with the same files and
 * options (`-r NAME`, serial, data dir kept, verbose).
 */
export function rerunCommand(argv: readonly string[], scenario: string): string {
  const [node, script, ...rest] = argv;
  const kept: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const name = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    if (DROP_WITH_VALUE.has(name)) {
      if (!a.includes('=')) i++;
      continue;
    }
    if (/^-r./.test(a) || /^-j./.test(a) || DROP_FLAGS.has(a)) continue;
    kept.push(a);
  }
  return [node ?? 'node', script ?? 'yarn-run', ...kept, '-v', '--keep-failed', '-r', scenario]
    .map(quoteArg)
    .join(' ');
}
