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
 * and the indented stdout and stderr. TS steps say `with error:` and where
 * the step is implemented.
 */
export function failureReport(scenarioName: string, r: StepResult): string {
  let text = `ERROR: In scenario "${scenarioName}"\nstep "${r.step.kind} ${r.step.text}" failed,\n`;
  if (r.status === 'timed-out')
    text += `${r.error ?? 'timed out'} (step at ${r.step.location.file}:${r.step.location.line}):\n`;
  else if (r.implementation.type === 'ts' && r.error !== undefined) {
    text += `with error (${r.implementation.location}):\n${indentLines(r.error)}`;
  } else if (r.error === 'interrupted') text += 'interrupted:\n';
  else text += `with exit code ${r.exitCode}:\n`;
  text += `Standard output from shell command:\n${indentLines(r.stdout)}\n`;
  text += `Standard error from shell command:\n${indentLines(r.stderr)}\n`;
  return text;
}
