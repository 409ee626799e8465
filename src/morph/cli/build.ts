import { runCommand } from '../../shared/exec.js';
import type { App } from '../app.js';
import { type BuildProgress, buildArtifacts } from '../build/build-artifacts.js';
import { prepareBuildBranch } from '../build/build-branch.js';
import { ChunkBuildError } from '../build/chunk-build-error.js';
import { normaliseMorphologyPath } from '../build/morphology-path.js';
import { resolveBuildGraph } from '../build/resolve-build-graph.js';
import { findSystemBranch } from '../workspace/system-branch.js';
import { expectArguments } from './arguments.js';

export const usage = 'SYSTEM';
export const help = 'Build a system from the current system branch, uncommitted changes included.';

/** `morph build SYSTEM` (morph.md 5.1). */
export async function run(app: App, args: string[]): Promise<void> {
  expectArguments('build', args, 1, 1, 'exactly one system to build');
  await app.checkFreeSpace();
  const branch = await findSystemBranch(app.cwd);
  const rootDir = await branch.rootCheckoutDir();
  const file = normaliseMorphologyPath(args[0] as string, app.cwd, rootDir);

  let source: { repo: string; commit: string; ref: string; cleanup(): Promise<void> };
  if (app.settings['local-changes'] === 'ignore') {
    const commit = (
      await runCommand(['git', 'rev-parse', '--verify', `${branch.name}^{commit}`], { cwd: rootDir })
    ).stdout.trim();
    source = { repo: branch.rootRepo, commit, ref: commit, cleanup: async () => {} };
  } else {
    app.status.chatty('Preparing temporary build branches');
    source = await prepareBuildBranch(app, branch, { push: app.settings['push-build-branches'] });
  }
  const live = liveProgress(app);
  try {
    app.status.normal(`Building ${file} from ${source.repo} ${source.ref}`);
    const build = await resolveBuildGraph(app, {
      repo: source.repo,
      ref: source.commit,
      file,
      originalRef: source.ref,
    });
    const outcome = await buildArtifacts(app, build, { onProgress: live.update });
    live.clear();
    app.status.normal(outcome.built === 0 ? 'Nothing to build: everything is cached' : 'Build finished');
  } catch (err) {
    live.clear();
    if (err instanceof ChunkBuildError) app.out(`${err.step} failed\n${err.log}`);
    throw err;
  } finally {
    await source.cleanup();
  }
}

/** A one-line progress display, only on a terminal and not interleaved with verbose output. */
function liveProgress(app: App): { update(progress: BuildProgress): void; clear(): void } {
  const enabled = Boolean(process.stdout.isTTY) && !app.settings.verbose && !app.settings.quiet;
  let shown = false;
  return {
    update(progress) {
      if (!enabled) return;
      const running = progress.running.length > 0 ? ` building ${progress.running.join(', ')}` : '';
      const line = `[${progress.done}/${progress.total}]${running}`.slice(
        0,
        (process.stdout.columns ?? 80) - 1,
      );
      process.stdout.write(`\r\x1b[K${line}`);
      shown = true;
    },
    clear() {
      if (shown) process.stdout.write('\r\x1b[K');
      shown = false;
    },
  };
}
