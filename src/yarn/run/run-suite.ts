/**
 * Runs the selected scenarios on N lanes (`-j`), each lane with its own shell
 * runner, in one process (steps are child processes or async TS code, so
 * the engine only coordinates). Scenario temp roots live on tmpfs when TMPDIR
 * is unset and /dev/shm is usable; they are deleted in the background.
 */
import { accessSync, constants, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SuiteHook } from '../api.js';
import { YarnError } from '../errors.js';
import type { MatchedScenario, RunEvent, ScenarioResult } from '../model.js';
import { FreshShell } from './fresh-shell.js';
import { niceName } from './nice-name.js';
import { PersistentShell } from './persistent-shell.js';
import { runScenario } from './run-scenario.js';
import { discardAhead, type ScenarioAhead, sendAhead } from './scenario-ahead.js';
import { BackgroundDeletes } from './scenario-dirs.js';
import type { Lane, ScenarioSettings } from './scenario-run.js';
import { canPersist, type ShellRunner } from './shell-runner.js';
import { Worker } from './worker.js';

export interface SuiteSettings extends Omit<ScenarioSettings, 'tempRoot'> {
  readonly jobs: number;
  /** Extra attempts for a failing scenario (`--retry N`); one that then passes is flaky. */
  readonly retry?: number;
  readonly stopOnFirstFail: boolean;
  readonly shell: string;
  readonly shellArgs: readonly string[];
  /** Forces fresh-process mode (debugging, --shell-mode=fresh). */
  readonly freshShell?: boolean;
  /** The suite hooks of the step modules (imports the modules that have any). */
  readonly loadHooks?: () => Promise<SuiteHook[]>;
}

/** A step reached the lane of a dry run (the invariant module, and node:assert, load only then). */
async function stepInDryRun(): Promise<never> {
  const { InvariantError } = await import('../../shared/invariant.js');
  throw new InvariantError('BUG: a step ran during a dry run');
}

/** The lane of a dry run: nothing may run in it. */
const DRY_RUN_LANE: Lane = {
  shell: {
    run: stepInDryRun,
    runSeries: stepInDryRun,
    close: async () => {},
  },
  worker: new Worker(0, '', '', new AbortController().signal),
};

/** Where scenario temp roots go: $TMPDIR, else /dev/shm when writable, else the OS default. */
export function tempBase(): string {
  if (process.env.TMPDIR) return process.env.TMPDIR;
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

/**
 * Runs `scenarios` and returns their results in input order.
 * @throws YarnError TEMP_DIR when the temp root cannot be made (or a whole-run error from a scenario).
 */
export async function runSuite(
  scenarios: readonly MatchedScenario[],
  settings: SuiteSettings,
  emit: (event: RunEvent) => void,
  interrupt: AbortSignal,
  hardInterrupt: AbortSignal,
): Promise<{ results: ScenarioResult[]; durationMs: number }> {
  const started = performance.now();
  const totalSteps = scenarios.reduce((n, s) => n + s.steps.length, 0);
  emit({ type: 'run-started', scenarios, totalSteps });
  let root: string | undefined;
  if (!settings.dryRun) {
    try {
      root = mkdtempSync(join(tempBase(), 'yarn-run-'));
    } catch (err) {
      throw new YarnError(
        'TEMP_DIR',
        `cannot create a temporary directory in ${tempBase()}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }
  const deletes = new BackgroundDeletes();
  const names = new Set(scenarios.map((s) => niceName(s.scenario.name)));
  const laneCount = Math.max(1, Math.min(settings.jobs, scenarios.length));
  const scenarioSettings: ScenarioSettings = {
    parallel: laneCount > 1,
    ...settings,
    tempRoot: root ?? '',
    sharedTempRoot:
      names.size === scenarios.length &&
      !names.has('lane-0') &&
      ![...names].some((n) => /^lane-\d+$/.test(n)),
  };
  // `export NAME=…` in the persistent shell needs shell-identifier names; other --env names need execve.
  const exportable = settings.env.extra.every(([name]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name));
  const persistent = !settings.freshShell && exportable && canPersist(settings.shell, settings.shellArgs);
  // Sending the next scenario ahead needs the next one to be fixed when this one ends: not with
  // retries or --stop-on-first-fail, nor when --tempdir is wiped or --snapshot copied after each.
  const sendsAhead =
    persistent &&
    !settings.dryRun &&
    !settings.retry &&
    !settings.stopOnFirstFail &&
    !settings.tempdir &&
    !settings.snapshot;
  const results: ScenarioResult[] = new Array(scenarios.length);
  let next = 0;
  let stop = false;
  let fatal: unknown;
  const shells: ShellRunner[] = [];

  const hooks =
    settings.dryRun || !settings.loadHooks || scenarios.length === 0 ? [] : await settings.loadHooks();
  const runLane = async (id: number): Promise<void> => {
    let shell: ShellRunner | undefined;
    const worker = new Worker(id, root ?? '', settings.env.srcdir, interrupt);
    const lane = (): Lane => {
      if (!shell) {
        const dir = join(root!, `lane-${id}`);
        mkdirSync(dir);
        shell = persistent
          ? new PersistentShell(dir, settings.shell, settings.shellArgs, settings.env.srcdir)
          : new FreshShell(dir, settings.shell, settings.shellArgs);
        shells.push(shell);
      }
      return { shell, worker };
    };
    try {
      if (hooks.length > 0) await worker.begin(hooks);
    } catch (err) {
      fatal ??= err;
      stop = true;
    }
    // The lane's next scenario, sent ahead while this one's last steps run (scenario-ahead.ts).
    let ahead: { index: number; ready?: ScenarioAhead } | undefined;
    const sendNext = sendsAhead
      ? () => {
          if (ahead || stop || interrupt.aborted || next >= scenarios.length) return;
          const index = next++;
          ahead = { index };
          try {
            ahead.ready = sendAhead(scenarios[index]!, { ...scenarioRun(), settings: scenarioSettings });
          } catch {
            // Its directory is in the way: it begins as usual, and fails there as the reference does.
          }
        }
      : undefined;
    const scenarioRun = () => ({
      lane: settings.dryRun ? DRY_RUN_LANE : lane(),
      emit,
      deletes,
      interrupt,
      hardInterrupt,
      sendNext,
    });
    while (!stop && !interrupt.aborted && (ahead || next < scenarios.length)) {
      const i = ahead ? ahead.index : next++;
      const sent = ahead?.ready;
      ahead = undefined;
      const scenario = scenarios[i]!;
      try {
        const attempts = 1 + (settings.retry ?? 0);
        let result: ScenarioResult | undefined;
        for (let attempt = 1; attempt <= attempts; attempt++) {
          // The last attempt's scenario-finished is the one reporters see; earlier ones are retries.
          let finished: RunEvent | undefined;
          const attemptEmit = (e: RunEvent) => {
            if (e.type === 'scenario-finished') finished = e;
            else emit(e);
          };
          const r = await runScenario(
            scenario,
            { ...scenarioRun(), settings: { ...scenarioSettings, attempt }, emit: attemptEmit },
            attempt === 1 ? sent : undefined,
          );
          result = attempt > 1 ? { ...r, attempts: attempt } : r;
          const again = r.status === 'failed' && attempt < attempts && !interrupt.aborted;
          if (again) emit({ type: 'scenario-retrying', scenario, result: r, attempt });
          else if (finished?.type === 'scenario-finished') emit({ ...finished, result });
          if (!again) break;
        }
        results[i] = result!;
        if (result!.status === 'failed' && settings.stopOnFirstFail) stop = true;
      } catch (err) {
        fatal ??= err;
        stop = true;
      }
    }
    const unused = ahead?.ready;
    if (unused) await discardAhead(unused, { ...scenarioRun(), settings: scenarioSettings });
    if (hooks.length > 0) {
      try {
        await worker.end(hooks);
      } catch (err) {
        fatal ??= err;
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: laneCount }, (_, id) => runLane(id)));
  } finally {
    await Promise.all(shells.map((shell) => shell.close()));
    await deletes.settle();
    if (root) {
      if (results.some((r) => r?.keptDir?.startsWith(root!))) {
        // --keep-failed/--snapshot: keep the kept scenarios' dirs, drop the lanes' scripts.
        for (const name of readdirSync(root)) {
          if (name.startsWith('lane-')) rmSync(join(root, name), { recursive: true, force: true });
        }
      } else rmSync(root, { recursive: true, force: true });
    }
  }
  const done = results.filter((r): r is ScenarioResult => r !== undefined);
  const durationMs = performance.now() - started;
  if (fatal) {
    emit({ type: 'run-finished', results: done, durationMs, interrupted: 'error' });
    throw fatal;
  }
  emit({
    type: 'run-finished',
    results: done,
    durationMs,
    interrupted: interrupt.aborted ? 'interrupted' : undefined,
  });
  return { results: done, durationMs };
}
