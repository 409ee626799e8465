/**
 * The data model of yarn-run: what parse, bind and run produce. Each stage
 * has its own types; no object gains fields from stage to stage (HS-4).
 */
import type { StepImpl, StepKind } from './api.js';

export type { StepImpl, StepKind } from './api.js';

/** A position in a source file (1-based line). */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
}

/** Formats a location as `file:line`. */
export function formatLocation(loc: SourceLocation): string {
  return `${loc.file}:${loc.line}`;
}

/** One top-level code block of a Markdown file, with the source line of each of its lines. */
export interface CodeBlock {
  readonly file: string;
  /** The block text as python-markdown yields it (ends with a newline). */
  readonly text: string;
  /** `lines[i]` is the 1-based source line of text line `i`. */
  readonly lines: readonly number[];
}

/** A step of a scenario, with `AND` and `...` resolved to its keyword. */
export interface Step {
  readonly kind: StepKind;
  /** The step text after the keyword, whitespace collapsed (what IMPLEMENTS regexes match). */
  readonly text: string;
  readonly location: SourceLocation;
}

/** A scenario: a name and its steps in written order. */
export interface Scenario {
  readonly name: string;
  readonly location: SourceLocation;
  readonly steps: readonly Step[];
}

/** A shell `IMPLEMENTS KEYWORD regex` section. */
export interface ShellImplementation {
  readonly type: 'shell';
  /** The keyword as written (yarn does not validate it, so it may match nothing). */
  readonly keyword: string;
  /** The Python regex source, whitespace collapsed. */
  readonly pattern: string;
  /** The shell body (no trailing newline, as yarn keeps it). */
  readonly body: string;
  readonly location: SourceLocation;
  /** True when the body was taken from the next code block (a lint trap). */
  readonly bodyFromNextBlock: boolean;
}

/** A TypeScript step implementation with where it was loaded from. */
export interface TsImplementation {
  readonly type: 'ts';
  readonly impl: StepImpl;
  /** `file:line` of the declaration. */
  readonly location: string;
}

export type Implementation = ShellImplementation | TsImplementation;

/** The `file:line` of an implementation. */
export function implementationLocation(impl: Implementation): string {
  return impl.type === 'shell' ? `${impl.location.file}:${impl.location.line}` : impl.location;
}

/** Something the parser noticed that `yarn-run lint` reports (reference quirks). */
export interface ParseNote {
  readonly code:
    | 'EXAMPLE_EATS_BLOCK'
    | 'IMPLEMENTS_TAKES_NEXT_BLOCK'
    | 'FENCED_SCENARIO'
    | 'UNCHECKED_KEYWORD'
    | 'NESTED_SCENARIO';
  readonly message: string;
  readonly location: SourceLocation;
}

/** The result of parsing all input files as one document. */
export interface YarnDocument {
  readonly files: readonly string[];
  readonly scenarios: readonly Scenario[];
  readonly implementations: readonly ShellImplementation[];
  readonly notes: readonly ParseNote[];
}

/** A step bound to exactly one implementation, with its captures (MATCH_1..n). */
export interface MatchedStep {
  readonly step: Step;
  readonly implementation: Implementation;
  /** Captures in order; unmatched groups are ''. */
  readonly captures: readonly string[];
}

/** A scenario whose steps are all bound. */
export interface MatchedScenario {
  readonly scenario: Scenario;
  readonly steps: readonly MatchedStep[];
  /** Index in the document (stable ordering for parallel output). */
  readonly index: number;
}

export type StepStatus = 'passed' | 'failed' | 'skipped' | 'not-run' | 'timed-out';

/** What running one step produced. */
export interface StepResult {
  readonly step: Step;
  readonly implementation: Implementation;
  readonly status: StepStatus;
  /** Shell exit code (negative for a signal, as yarn prints it); 0 for passing TS steps, 1 for failing ones. */
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** For TS steps: the failure message (and stack with --debug). */
  readonly error?: string;
  readonly durationMs: number;
}

export type ScenarioStatus = 'passed' | 'failed' | 'skipped';

/** What running one scenario produced. */
export interface ScenarioResult {
  readonly scenario: Scenario;
  readonly index: number;
  readonly status: ScenarioStatus;
  readonly steps: readonly StepResult[];
  readonly durationMs: number;
  /** The ASSUMING step that caused a skip. */
  readonly skippedBy?: Step;
  /**
   * Why the scenario failed when no step did (timeout, interrupt, cleanup
   * failure), or, for a skipped scenario with no steps, why it never ran
   * (`not run: ...`: --allow-missing-steps, --stop-on-first-fail, Ctrl-C).
   */
  readonly reason?: string;
  readonly datadir?: string;
  /** Set when the data dir was kept (`--keep-failed`, `--snapshot`). */
  readonly keptDir?: string;
  /** How many runs it took when retried (`--retry`); passed after more than one = flaky. */
  readonly attempts?: number;
}

/** True for a scenario that failed, was retried, and then passed. */
export function isFlaky(result: ScenarioResult): boolean {
  return result.status === 'passed' && (result.attempts ?? 1) > 1;
}

/** The events the runner emits; reporters only read these (HS-2). */
export type RunEvent =
  | {
      readonly type: 'run-started';
      readonly scenarios: readonly MatchedScenario[];
      readonly totalSteps: number;
    }
  | { readonly type: 'scenario-started'; readonly scenario: MatchedScenario; readonly datadir?: string }
  | { readonly type: 'step-started'; readonly scenario: MatchedScenario; readonly step: MatchedStep }
  | { readonly type: 'step-finished'; readonly scenario: MatchedScenario; readonly result: StepResult }
  | {
      /** A failed attempt that will be run again (`--retry`); a scenario-started follows. */
      readonly type: 'scenario-retrying';
      readonly scenario: MatchedScenario;
      readonly result: ScenarioResult;
      /** The attempt that failed (1 = the first run). */
      readonly attempt: number;
    }
  | {
      readonly type: 'scenario-finished';
      readonly scenario: MatchedScenario;
      readonly result: ScenarioResult;
    }
  | {
      readonly type: 'run-finished';
      readonly results: readonly ScenarioResult[];
      readonly durationMs: number;
      readonly interrupted?: string;
    };
