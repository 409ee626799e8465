/**
 * The run command: the reference's pipeline (parse → validate → bind → load
 * libraries → select → run → report) plus yarn-run's options.
 */
import { setMaxListeners } from 'node:events';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { type BindResult, bindScenarios, bindStep } from '../bind/bind-scenarios.js';
import { StepRegistry } from '../bind/step-registry.js';
import { YarnError } from '../errors.js';
import type {
  MatchedScenario,
  RunEvent,
  Scenario,
  ScenarioResult,
  Step,
  TsImplementation,
  YarnDocument,
} from '../model.js';
import { parseYarnFiles } from '../parse/parse-yarn.js';
import { validateScenarios } from '../parse/validate-document.js';
import { type HumanMode, HumanReporter, type OutputSink } from '../report/human-reporter.js';
import type { ReportInput } from '../report/report-input.js';
import { splitEnvArgs } from '../run/clean-env.js';
import { runSuite } from '../run/run-suite.js';
import type { ParsedArgs, REPORT_FORMATS } from './options.js';
import { readPackageConfig } from './package-config.js';
import { rerunCommand } from './rerun-command.js';
import {
  type RerunEntries,
  readRerunFile,
  rerunFileText,
  selectByName,
  selectByRun,
  selectRerun,
  selectShard,
} from './select-scenarios.js';

const sink: OutputSink = {
  out: (t) => {
    process.stdout.write(t);
  },
  err: (t) => {
    process.stderr.write(t);
  },
};

function canOpenTty(): boolean {
  try {
    closeSync(openSync('/dev/tty', 'w'));
    return true;
  } catch {
    return false;
  }
}

/** Milliseconds of a seconds option (checked by the option table). */
function milliseconds(seconds: string | undefined): number | undefined {
  return seconds === undefined ? undefined : Math.round(Number(seconds) * 1000);
}

/** `-j`, else 1 when an option needs one lane (the reference's shared --tempdir is wiped after every scenario), else package.json's "jobs". */
function jobCount(args: ParsedArgs, configJobs: number | 'auto' | undefined): number {
  const wanted =
    args.strings.jobs ??
    (args.strings.tempdir !== undefined || args.bools.stopOnFirstFail || args.bools.snapshot
      ? 1
      : (configJobs ?? 1));
  return wanted === 'auto' ? availableParallelism() : Number(wanted);
}

/** The scenarios of every rerun file (`@FILE`, `--rerun FILE`), or undefined when there are none. */
function readRerunFiles(args: ParsedArgs): RerunEntries | undefined {
  const paths = args.files.filter((f) => f.startsWith('@')).map((f) => f.slice(1));
  if (args.strings.rerun !== undefined) paths.push(args.strings.rerun);
  let rerun: RerunEntries | undefined;
  for (const path of paths) {
    const entries = readRerunFile(path);
    rerun = rerun
      ? {
          files: [...rerun.files, ...entries.files],
          locations: new Set([...rerun.locations, ...entries.locations]),
        }
      : entries;
  }
  return rerun;
}

/** `# Loaded from FILE` + text of every --shell-library, as the reference prepends them. */
function shellPrelude(libraries: readonly string[], verbose: boolean): string {
  if (libraries.length === 0 && verbose) sink.out('No shell libraries defined\n');
  let prelude = '';
  for (const lib of libraries) {
    if (verbose) sink.out(`Loading shell library ${lib}\n`);
    let text: string;
    try {
      text = readFileSync(lib, 'utf8');
    } catch (err) {
      throw new YarnError('SHELL_LIBRARY', `cannot read shell library ${lib}: ${(err as Error).message}`, {
        location: lib,
        cause: err,
      });
    }
    prelude += `# Loaded from ${lib}\n\n${text}\n\n`;
  }
  return prelude;
}

/** The result of a scenario that never ran (`not run: WHY`), reported as skipped. */
function notRun(scenario: Scenario, index: number, why: string): ScenarioResult {
  return { scenario, index, status: 'skipped', steps: [], durationMs: 0, reason: `not run: ${why}` };
}

/** How much the human reporter says: quiet when stdout holds a report or a list. */
function humanMode(args: ParsedArgs): HumanMode {
  const b = args.bools;
  let mode: HumanMode = b.quiet ? 'quiet' : b.verbose ? 'verbose' : canOpenTty() ? 'status' : 'verbose';
  if (mode === 'status' && !process.stderr.isTTY) mode = 'verbose';
  const toStdout = args.strings.format !== undefined && args.strings.output === undefined;
  return toStdout || b.list ? 'quiet' : mode;
}

/** Ctrl-C/SIGTERM handling: the first aborts the run, the second FINALLY steps too, the third exits. */
function interruptOnSignals(): {
  interrupt: AbortController;
  hard: AbortController;
  signalled: () => NodeJS.Signals | undefined;
  stop: () => void;
} {
  const interrupt = new AbortController();
  const hard = new AbortController();
  // Every lane's running step listens to both (shell, TS steps): that is N×2 listeners, not a leak.
  setMaxListeners(0, interrupt.signal, hard.signal);
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (!signalled) {
      signalled = sig;
      interrupt.abort();
    } else if (!hard.signal.aborted) hard.abort();
    else process.exit(sig === 'SIGINT' ? 255 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    interrupt,
    hard,
    signalled: () => signalled,
    stop: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** The lines printed after the summary: kept data dirs (how to re-run them) and Markdown warnings. */
function closingLines(
  results: readonly ScenarioResult[],
  doc: YarnDocument,
  keepFailed: boolean,
  mode: HumanMode,
): string[] {
  const lines: string[] = [];
  for (const r of results) {
    if (r.keptDir && r.status === 'failed' && keepFailed) {
      lines.push(`kept DATADIR of failed scenario "${r.scenario.name}": ${r.keptDir}`);
      lines.push(`  re-run it: ${rerunCommand(process.argv, r.scenario.name)}`);
    }
  }
  for (const note of doc.notes) {
    if (
      mode !== 'quiet' &&
      (note.code === 'EXAMPLE_EATS_BLOCK' || note.code === 'IMPLEMENTS_TAKES_NEXT_BLOCK')
    ) {
      lines.push(
        `WARNING: ${note.message} (at ${note.location.file}:${note.location.line}; see yarn-run lint)`,
      );
    }
  }
  return lines;
}

/** The bound scenarios that `-r`, `--name`, the rerun files and `--shard` select; those with a missing step as not run. */
function chooseScenarios(
  bound: BindResult,
  args: ParsedArgs,
  rerun: RerunEntries | undefined,
): { selected: MatchedScenario[]; droppedResults: ScenarioResult[] } {
  type Candidate = { scenario: Scenario; index: number; matched?: MatchedScenario; missing?: Step };
  const candidates: Candidate[] = [
    ...bound.scenarios.map((m) => ({ scenario: m.scenario, index: m.index, matched: m })),
    ...bound.dropped.map((d) => ({ scenario: d.scenario, index: d.index, missing: d.missing })),
  ].sort((x, y) => x.index - y.index);
  const chosen = selectShard(
    selectRerun(selectByName(selectByRun(candidates, args.lists.run ?? []), args.lists.name ?? []), rerun),
    args.strings.shard,
  );
  return {
    selected: chosen.flatMap((c) => (c.matched ? [c.matched] : [])),
    droppedResults: chosen.flatMap((c) =>
      c.missing
        ? [notRun(c.scenario, c.index, `step "${c.missing.kind} ${c.missing.text}" has no implementation`)]
        : [],
    ),
  };
}

/** `--rerun-file` (the failed scenarios) and the `--format` report (to `--output` or stdout). */
async function writeReports(args: ParsedArgs, input: ReportInput): Promise<void> {
  if (args.strings.rerunFile !== undefined) {
    const { writeFileAtomic } = await import('../../shared/atomic-file.js');
    const failed = input.results.filter((r) => r.status === 'failed').map((r) => r.scenario);
    await writeFileAtomic(args.strings.rerunFile, rerunFileText(failed));
  }
  const format = args.strings.format as (typeof REPORT_FORMATS)[number] | undefined;
  if (format === undefined) return;
  const { renderReport } = await import('../report/render-report.js');
  const text = await renderReport(format, input);
  if (args.strings.output !== undefined) {
    const { writeFileAtomic } = await import('../../shared/atomic-file.js');
    await writeFileAtomic(args.strings.output, text);
  } else sink.out(text);
}

/** The run subcommand: runs scenarios per `args`; returns the exit code. */
export async function runSubcommand(args: ParsedArgs): Promise<number> {
  const b = args.bools;
  const srcdir = process.cwd();
  const format = args.strings.format as (typeof REPORT_FORMATS)[number] | undefined;
  const toStdout = format !== undefined && args.strings.output === undefined;
  const mode = humanMode(args);
  const verbose = mode === 'verbose';
  const config = readPackageConfig(srcdir);
  const rerun = readRerunFiles(args);
  const files = args.files.filter((f) => !f.startsWith('@'));
  for (const f of rerun?.files ?? []) if (!files.includes(f)) files.push(f);
  if (files.length === 0 && rerun) {
    // An empty rerun file: nothing failed last time, so nothing to run.
    sink.out('0 passed, 0 failed, 0 skipped\n');
    return 0;
  }
  if (files.length === 0)
    throw new YarnError('NO_SCENARIOS', 'There are no scenarios; must have at least one.');

  if (verbose) for (const f of files) sink.out(`Parsing scenario file ${f}\n`);
  const doc = parseYarnFiles(files);
  validateScenarios(doc.scenarios);

  const moduleFiles = args.lists.steps ?? config.steps;
  const loaded =
    moduleFiles.length > 0
      ? await (await import('./load-step-modules.js')).loadStepModules(moduleFiles, srcdir)
      : undefined;
  const tsImpls: TsImplementation[] = loaded?.implementations ?? [];
  const registry = new StepRegistry(doc.implementations, tsImpls);
  const bound = bindScenarios(doc.scenarios, registry, { allowMissing: !!b.allowMissingSteps });
  for (const w of bound.warnings) {
    if (verbose) sink.out(`WARNING: ${w}\n`);
    else if (mode === 'status') sink.err(`WARNING: ${w}\n`);
  }

  const envPairs = splitEnvArgs(args.lists.env ?? []);
  if (!envPairs) {
    throw new YarnError(
      'BAD_ENV',
      '--env argument must contain "=" to separate environment variable name and value',
    );
  }

  const prelude = shellPrelude(args.lists.shellLibrary ?? [], verbose);
  if (verbose) sink.out(`Found ${bound.scenarios.length} scenarios\n`);

  const { selected, droppedResults } = chooseScenarios(bound, args, rerun);

  if (b.list) {
    const { listScenarios } = await import('../report/list-scenarios.js');
    sink.out(listScenarios(selected, format === 'json'));
    return 0;
  }
  if (args.strings.output !== undefined && format === undefined) {
    // The reference creates --output and never writes to it.
    writeFileSync(args.strings.output, '');
  }

  const signals = interruptOnSignals();

  const human = new HumanReporter(sink, {
    mode,
    timings: !!b.timings,
    dryRun: !!b.dryRun,
    columns: process.stderr.columns,
    // stdout holds the report: keep it a valid TAP/JSON/XML/HTML document.
    summaryToStderr: toStdout,
  });
  const listeners: ((e: RunEvent) => void)[] = [(e) => human.onEvent(e)];
  let logWriter: { onEvent(e: RunEvent): void; close(): void } | undefined;
  if (args.strings.log !== undefined) {
    const { LogWriter } = await import('../report/log-writer.js');
    logWriter = new LogWriter(args.strings.log);
    listeners.push((e) => logWriter!.onEvent(e));
  }

  let results: ScenarioResult[];
  let durationMs: number;
  try {
    ({ results, durationMs } = await runSuite(
      selected,
      {
        env: { extra: envPairs, srcdir, shell: args.strings.shell ?? '/bin/sh', path: process.env.PATH },
        shellPrelude: prelude,
        cdDatadir: !!b.cdDatadir,
        requireAssumptions: !!b.requireAssumptions,
        dryRun: !!b.dryRun,
        stepTimeoutMs: milliseconds(args.strings.stepTimeout),
        scenarioTimeoutMs: milliseconds(args.strings.timeout),
        snapshot: !!b.snapshot,
        tempdir: args.strings.tempdir !== undefined ? resolve(args.strings.tempdir) : undefined,
        keepFailed: !!b.keepFailed,
        debug: !!b.debug,
        // Only a report or the log shows what a passing step printed.
        passedStepOutput: format !== undefined || args.strings.log !== undefined,
        unwatchedSteps:
          mode === 'quiet' &&
          format === undefined &&
          args.strings.log === undefined &&
          !b.timings &&
          args.strings.stepTimeout === undefined &&
          args.strings.timeout === undefined,
        bindStep: (scenario, step) => bindStep(scenario, step, registry),
        loadTsStep: (impl) => loaded!.load(impl),
        loadHooks: loaded ? () => loaded.loadHooks() : undefined,
        jobs: jobCount(args, config.jobs),
        retry: Number(args.strings.retry ?? 0),
        stopOnFirstFail: !!b.stopOnFirstFail,
        shell: args.strings.shell ?? '/bin/sh',
        shellArgs: (args.lists.shellArg ?? ['-xeu']).filter((a) => a !== ''),
        freshShell: !!b.freshShell,
      },
      (e) => {
        for (const l of listeners) l(e);
      },
      signals.interrupt.signal,
      signals.hard.signal,
    ));
  } finally {
    logWriter?.close();
    signals.stop();
  }
  const signalled = signals.signalled();

  const ran = new Set(results.map((r) => r.index));
  const notStarted = selected
    .filter((m) => !ran.has(m.index))
    .map((m) =>
      notRun(m.scenario, m.index, signalled ? 'interrupted' : 'the run stopped at the first failure'),
    );
  const unrun = [...droppedResults, ...notStarted];
  const reported = [...results, ...unrun];
  await writeReports(args, { doc, results: reported, durationMs });
  const keptLines = closingLines(results, doc, !!b.keepFailed, mode);
  human.finish(results, durationMs, { keptLines, unrun });
  if (signalled) return signalled === 'SIGINT' ? 255 : 143;
  return results.some((r) => r.status === 'failed') ? 1 : 0;
}
