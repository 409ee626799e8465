/**
 * The human output, in the reference's three modes: verbose ("wall of
 * text"), a live status line on a terminal, and quiet. Per-scenario output
 * is grouped and printed in scenario order even when scenarios run in
 * parallel (the scenario at the head of the order streams live).
 */
import {
  isFlaky,
  type MatchedScenario,
  type RunEvent,
  type ScenarioResult,
  type StepResult,
} from '../model.js';
import { failureReport } from './failure-report.js';
import { summaryLine } from './summary.js';

export type HumanMode = 'verbose' | 'status' | 'quiet';

/** Where reporters write; the CLI owns the real streams. */
export interface OutputSink {
  out(text: string): void;
  err(text: string): void;
}

export interface HumanOptions {
  readonly mode: HumanMode;
  readonly timings: boolean;
  readonly dryRun: boolean;
  /** Terminal width for the status line. */
  readonly columns?: number;
  /**
   * Write the closing `N passed, ...` line to stderr: set when a machine
   * format (`--format json` without `--output`) owns stdout, so it stays parseable.
   */
  readonly summaryToStderr?: boolean;
}

type Chunk = { stream: 'out' | 'err'; text: string };

function formatElapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(Math.floor(s / 3600))}h${p(Math.floor(s / 60) % 60)}m${p(s % 60)}s`;
}

/** Renders RunEvents as the reference's text output. */
export class HumanReporter {
  private readonly buffers = new Map<number, Chunk[]>();
  private readonly finished = new Set<number>();
  private order: number[] = [];
  private head = 0;
  private stepsRun = 0;
  private totalSteps = 0;
  private readonly startedAt = Date.now();
  /** The step the status line names (its text is made only when painted). */
  private current?: { readonly scenario: string; readonly step: string };
  private statusShown = false;
  private lastPaint = 0;

  constructor(
    private readonly sink: OutputSink,
    private readonly options: HumanOptions,
  ) {}

  private get verbose(): boolean {
    return this.options.mode === 'verbose';
  }

  private emit(index: number, chunk: Chunk): void {
    if (this.order[this.head] === index) {
      this.write(chunk);
      return;
    }
    let list = this.buffers.get(index);
    if (!list) {
      list = [];
      this.buffers.set(index, list);
    }
    list.push(chunk);
  }

  private write(chunk: Chunk): void {
    this.clearStatus();
    if (chunk.stream === 'out') this.sink.out(chunk.text);
    else this.sink.err(chunk.text);
  }

  private flush(): void {
    while (this.head < this.order.length) {
      const index = this.order[this.head]!;
      const list = this.buffers.get(index);
      if (list) {
        for (const c of list) this.write(c);
        this.buffers.delete(index);
      }
      if (!this.finished.has(index)) break;
      this.head++;
    }
    // The new head may already have buffered output: stream it now.
    const index = this.order[this.head];
    if (index !== undefined) {
      const list = this.buffers.get(index);
      if (list) {
        for (const c of list) this.write(c);
        this.buffers.delete(index);
      }
    }
  }

  private clearStatus(): void {
    if (this.statusShown) {
      this.sink.err('\r\x1b[K');
      this.statusShown = false;
    }
  }

  private paint(force = false): void {
    if (this.options.mode !== 'status') return;
    const now = Date.now();
    if (!force && now - this.lastPaint < 100) return;
    this.lastPaint = now;
    const width = Math.max(20, (this.options.columns || 80) - 1);
    const current = this.current;
    let line = current
      ? `${formatElapsed(now - this.startedAt)} ${this.stepsRun}/${this.totalSteps}: ${current.scenario}: ${current.step}`
      : '';
    if (line.length > width) line = line.slice(0, width);
    this.sink.err(`\r${line}\x1b[K`);
    this.statusShown = true;
  }

  /** Handles one runner event. */
  onEvent(event: RunEvent): void {
    switch (event.type) {
      case 'run-started':
        this.order = event.scenarios.map((s) => s.index);
        this.totalSteps = event.totalSteps;
        break;
      case 'scenario-started':
        this.scenarioStarted(event.scenario, event.datadir);
        break;
      case 'step-started':
        this.stepsRun++;
        if (this.verbose) {
          this.emit(event.scenario.index, {
            stream: 'out',
            text: `    Running step "${event.step.step.kind} ${event.step.step.text}"\n`,
          });
        }
        if (this.options.mode === 'status') {
          this.current = {
            scenario: event.scenario.scenario.name,
            step: `${event.step.step.kind} ${event.step.step.text}`,
          };
          this.paint();
        }
        break;
      case 'step-finished':
        this.stepFinished(event.scenario, event.result);
        break;
      case 'scenario-retrying':
        if (this.options.mode !== 'quiet') {
          this.emit(event.scenario.index, {
            stream: 'err',
            text: `Retrying scenario "${event.scenario.scenario.name}" (attempt ${event.attempt} failed)\n`,
          });
        }
        break;
      case 'scenario-finished':
        this.scenarioFinished(event.scenario, event.result);
        break;
      case 'run-finished':
        for (const index of this.order) this.finished.add(index);
        this.flush();
        this.clearStatus();
        break;
    }
  }

  private scenarioStarted(s: MatchedScenario, datadir: string | undefined): void {
    if (!this.verbose) return;
    let text = `Running scenario ${s.scenario.name}\n`;
    if (this.options.dryRun) text += 'Pretending everything went OK\n';
    else if (datadir) text += `    DATADIR is ${datadir}\n    HOME for tests is ${datadir}/HOME\n`;
    this.emit(s.index, { stream: 'out', text });
  }

  private stepFinished(s: MatchedScenario, r: StepResult): void {
    if (r.status === 'passed' || this.options.mode === 'quiet') return;
    if (r.step.kind === 'ASSUMING' && r.status === 'failed') return; // the reference never reports these
    this.emit(s.index, { stream: 'err', text: failureReport(s.scenario.name, r) });
  }

  private scenarioFinished(s: MatchedScenario, r: ScenarioResult): void {
    if (this.options.mode === 'status' && r.status === 'skipped' && r.skippedBy) {
      this.emit(s.index, {
        stream: 'err',
        text: `Skipping "${s.scenario.name}" because "${r.skippedBy.kind} ${r.skippedBy.text}" failed\n`,
      });
    }
    if (r.reason && this.options.mode !== 'quiet') {
      this.emit(s.index, { stream: 'err', text: `ERROR: In scenario "${s.scenario.name}": ${r.reason}\n` });
    }
    this.finished.add(s.index);
    this.flush();
    this.paint(true);
  }

  /**
   * The end of the run: the reference's failure list or PASS summary (and
   * --timings), then the fixed last line.
   */
  finish(
    results: readonly ScenarioResult[],
    durationMs: number,
    extra: { keptLines?: string[]; unrun?: readonly ScenarioResult[] } = {},
  ): void {
    this.clearStatus();
    const failed = results.filter((r) => r.status === 'failed');
    const skipped = results.filter((r) => r.status === 'skipped');
    for (const line of extra.keptLines ?? []) this.sink.err(`${line}\n`);
    const flaky = results.filter(isFlaky);
    if (flaky.length > 0) {
      this.sink.err('Flaky scenarios (passed on a retry):\n');
      for (const r of flaky) this.sink.err(`    - ${r.scenario.name} (attempt ${r.attempts})\n`);
    }
    const unrun = extra.unrun ?? [];
    if (unrun.length > 0 && this.options.mode !== 'quiet') {
      this.sink.err('Scenarios not run:\n');
      for (const r of unrun) this.sink.err(`    - ${r.scenario.name} (${r.reason})\n`);
    }
    if (failed.length > 0) {
      this.sink.err('Failed scenarios:\n');
      for (const r of failed) this.sink.err(`    - ${r.scenario.name}\n`);
      this.sink.err(`ERROR: Test suite FAILED in ${failed.length} scenarios\n`);
    } else {
      if (this.options.mode !== 'quiet') {
        const steps = results.reduce((n, r) => n + r.steps.length, 0);
        this.sink.out(
          `Scenario test suite PASS, with ${results.length} scenarios (${steps} total steps), in ${(durationMs / 1000).toFixed(1)} seconds\n`,
        );
        if (skipped.length > 0)
          this.sink.out(`Scenarios SKIPPED due to ASSUMING step failing: ${skipped.length}\n`);
      }
      if (this.options.timings) {
        for (const r of results) {
          this.sink.out(`${(r.durationMs / 1000).toFixed(1).padStart(5)} ${r.scenario.name}\n`);
          for (const st of r.steps) {
            this.sink.out(
              `  ${(st.durationMs / 1000).toFixed(1).padStart(5)} ${st.step.kind} ${st.step.text}\n`,
            );
          }
        }
      }
    }
    const summary = `${summaryLine([...results, ...(extra.unrun ?? [])])}\n`;
    if (this.options.summaryToStderr) this.sink.err(summary);
    else this.sink.out(summary);
  }
}
