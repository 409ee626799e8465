/** What a scenario runs with: the run's settings, its lane, where events and deletions go. */
import type { StepFunction, WorkerContext } from '../api.js';
import type { Implementation, MatchedStep, RunEvent, Step } from '../model.js';
import type { EnvSettings } from './clean-env.js';
import type { BackgroundDeletes, DirSettings } from './scenario-dirs.js';
import type { ShellRunner } from './shell-runner.js';

/** Settings shared by all scenarios of a run. */
export interface ScenarioSettings extends DirSettings {
  readonly env: EnvSettings;
  /** `# Loaded from FILE\n\nTEXT\n\n` for every --shell-library. */
  readonly shellPrelude: string;
  readonly cdDatadir: boolean;
  readonly requireAssumptions: boolean;
  readonly dryRun: boolean;
  readonly stepTimeoutMs?: number;
  readonly scenarioTimeoutMs?: number;
  readonly snapshot: boolean;
  readonly keepFailed: boolean;
  readonly debug: boolean;
  /**
   * Keep the outputs of shell steps that pass (a report or the log shows
   * them); false reads a step's outputs only when it fails. Default true.
   */
  readonly passedStepOutput?: boolean;
  /**
   * Nothing watches single steps (quiet, no report, log, timings or
   * timeout): a series of shell steps may report its statuses when it ends
   * (`ShellStepRequest.eachStatus`). Default false.
   */
  readonly unwatchedSteps?: boolean;
  /** Binds a step's text to its implementation (for `ctx.step`); throws when none or several match. */
  readonly bindStep: (scenario: string, step: Step) => MatchedStep;
  /** Loads a TS step function on first use (modules are imported lazily). */
  readonly loadTsStep: (impl: Implementation & { type: 'ts' }) => Promise<StepFunction>;
}

/** What a lane provides to the scenarios it runs. */
export interface Lane {
  readonly shell: ShellRunner;
  /** The worker's context (its hooks' vars), shared by the lane's scenarios. */
  readonly worker: WorkerContext;
}

/** Everything a scenario runs with: its lane, the run's settings, where events and deletions go. */
export interface ScenarioRun {
  readonly lane: Lane;
  readonly settings: ScenarioSettings;
  readonly emit: (event: RunEvent) => void;
  /** Deletions of scenario directories still running; the run awaits them at its end. */
  readonly deletes: BackgroundDeletes;
  /** The first Ctrl-C: stops ordinary steps. */
  readonly interrupt: AbortSignal;
  /** The second Ctrl-C: stops FINALLY steps and cleanups too. */
  readonly hardInterrupt: AbortSignal;
  /**
   * Sends the lane's next scenario ahead (scenario-ahead.ts); undefined when
   * the run does not. Called once this scenario's last steps are in the shell.
   */
  readonly sendNext?: () => void;
}
