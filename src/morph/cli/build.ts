import { runCommand } from '../../shared/exec.js';
import type { App } from '../app.js';
import { ChunkBuildError } from '../build/execute/chunk-build-error.js';
import { normaliseMorphologyPath } from '../build/graph/morphology-path.js';
import { resolveBuildGraph } from '../build/graph/resolve-build-graph.js';
import { ArtifactBuilder, type BuildProgress } from '../build/schedule/build-artifacts.js';
import { prepareDeployCheckout } from '../deploy/deploy-checkout.js';
import type { StatusReporter } from '../status/status-reporter.js';
import { type BuildBranch, prepareBuildBranch } from '../workspace/build-branch.js';
import { findSystemBranch } from '../workspace/system-branch.js';
import { expectArguments } from './arguments.js';

export const usage = 'SYSTEM';
export const help = 'Build a system from the current system branch, uncommitted changes included.';

/** `morph build SYSTEM` (docs/spec/morph.md 5.1). */
export async function run(app: App, args: string[]): Promise<void> {
  expectArguments('build', args, 1, 1, 'exactly one system to build');
  await app.checkFreeSpace();
  const branch = await findSystemBranch(app.cwd);
  const rootDir = await branch.rootCheckoutDir();
  const file = normaliseMorphologyPath(args[0] as string, app.cwd, rootDir);

  let source: BuildBranch;
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
  const buildApp: App = { ...app, status: aroundLiveLine(app.status, live, app.settings.verbose) };
  try {
    app.status.normal(`Building ${file} from ${source.repo} ${source.ref}`);
    // Strata start building as soon as they and their build-depends are
    // resolved, while the other chunk repos are still being cloned.
    const builder = new ArtifactBuilder(buildApp, { onProgress: live.update });
    const request = {
      repo: source.repo,
      ref: source.commit,
      file,
      originalRef: source.ref,
      recordedAs: source.recordedAs,
    };
    const build = await resolveBuildGraph(buildApp, request, {
      onPartial: (partial) => builder.prebuild(partial),
    }).catch(async (err: unknown) => {
      await builder.abandon(err);
      throw err;
    });
    const outcome = await builder.build(build);
    live.clear();
    // The first deployment of the system then only mounts an overlay (docs/deploy.md).
    app.status.chatty('Preparing the deploy checkout of the system');
    await prepareDeployCheckout(app, build);
    app.status.normal(outcome.built === 0 ? 'Nothing to build: everything is cached' : 'Build finished');
  } catch (err) {
    live.clear();
    if (err instanceof ChunkBuildError) app.out(`${err.step} failed\n${err.log}`);
    throw err;
  } finally {
    await source.cleanup();
  }
}

interface LiveLine {
  update(progress: BuildProgress): void;
  /** Removes the line (before a status line, and at the end). */
  clear(): void;
  /** Shows the last progress again (after a status line). */
  redraw(): void;
}

/** A one-line progress display at the bottom of a terminal, under the status lines. */
function liveProgress(app: App): LiveLine {
  const enabled = Boolean(process.stdout.isTTY) && !app.settings.quiet;
  let text = '';
  let shown = false;
  const draw = (): void => {
    if (!enabled || text === '') return;
    app.out(`\r\x1b[K${text.slice(0, (process.stdout.columns ?? 80) - 1)}`);
    shown = true;
  };
  return {
    update(progress) {
      const running = progress.running.length > 0 ? ` building ${progress.running.join(', ')}` : '';
      text = `[${progress.done}/${progress.total} done]${running}`;
      draw();
    },
    clear() {
      if (shown) app.out('\r\x1b[K');
      shown = false;
    },
    redraw: draw,
  };
}

/** Status lines that first clear the live line and then draw it again below them. */
function aroundLiveLine(status: StatusReporter, live: LiveLine, verbose: boolean): StatusReporter {
  const wrap =
    (emit: (message: string) => void) =>
    (message: string): void => {
      live.clear();
      emit(message);
      live.redraw();
    };
  return {
    normal: wrap(status.normal),
    // Chatty lines are not printed unless verbose: no need to redraw around them.
    chatty: verbose ? wrap(status.chatty) : status.chatty,
    error: wrap(status.error),
    withPrefix: (prefix) => aroundLiveLine(status.withPrefix(prefix), live, verbose),
  };
}
