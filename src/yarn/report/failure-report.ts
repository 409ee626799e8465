import type { StepResult } from '../model.js';

/** The reference's `indent()`: four spaces before every line, each line newline-terminated. */
export function indentLines(text: string): string {
  if (text === '') return '';
  const lines = text.split(/\r\n|\n|\r/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => `    ${l}\n`).join('');
}

/**
 * The reference's failure report for a step, verbatim for shell steps:
 * `ERROR: In scenario "NAME"` / `step "KW text" failed,` / `with exit code N:`
 * and the indented stdout and stderr. TS steps say `with error (FILE:LINE):`
 * (their error: message, expected/actual, the user's stack frames) and show
 * their output only when there is some, never as a "shell command".
 */
export function failureReport(scenarioName: string, r: StepResult): string {
  let text = `ERROR: In scenario "${scenarioName}"\nstep "${r.step.kind} ${r.step.text}" failed,\n`;
  if (r.status === 'timed-out')
    text += `${r.error ?? 'timed out'} (step at ${r.step.location.file}:${r.step.location.line}):\n`;
  else if (r.implementation.type === 'ts' && r.error !== undefined) {
    text += `with error (${r.implementation.location}):\n${indentLines(r.error)}`;
  } else if (r.error === 'interrupted') text += 'interrupted:\n';
  else text += `with exit code ${r.exitCode}:\n`;
  if (r.implementation.type === 'ts') {
    // A TS step is not a shell command: show what it ran or logged, if anything.
    if (r.stdout !== '') text += `Output of the step:\n${indentLines(r.stdout)}\n`;
    if (r.stderr !== '') text += `Commands and errors of the step:\n${indentLines(r.stderr)}\n`;
    return text;
  }
  text += `Standard output from shell command:\n${indentLines(r.stdout)}\n`;
  text += `Standard error from shell command:\n${indentLines(r.stderr)}\n`;
  return text;
}
