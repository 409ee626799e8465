/**
 * File reports written by `--format`: TAP 13, JUnit XML, JSON and the HTML
 * living document. Each is a pure function of the results (reporters never
 * call the runner).
 */

import { implementationLocation, isFlaky, type ScenarioResult, type StepResult } from '../model.js';
import type { ReportInput } from './report-input.js';
import { countResults } from './summary.js';

export type { ReportInput } from './report-input.js';

export type ReportFormat = 'tap' | 'junit' | 'json' | 'html';

/** Renders `--format` output. */
export async function renderReport(format: ReportFormat, input: ReportInput): Promise<string> {
  switch (format) {
    case 'tap':
      return renderTap(input);
    case 'junit':
      return renderJunit(input);
    case 'json':
      return renderJson(input);
    case 'html': {
      const { renderHtml } = await import('./render-html.js');
      return renderHtml(input);
    }
  }
}

function loc(l: { file: string; line: number }): string {
  return `${l.file}:${l.line}`;
}

/** The step that decided a failed scenario's outcome. */
export function failingStep(r: ScenarioResult): StepResult | undefined {
  return r.steps.find((s) => s.status === 'failed' || s.status === 'timed-out');
}

function failureMessage(r: ScenarioResult): string {
  const s = failingStep(r);
  if (!s) return r.reason ?? 'failed';
  const how = s.error ?? `exit code ${s.exitCode}`;
  return `step "${s.step.kind} ${s.step.text}" failed: ${how.split('\n')[0]}`;
}

function yamlBlock(key: string, text: string, indent: string): string {
  if (text === '') return `${indent}${key}: ''\n`;
  const lines = text.replace(/\n$/, '').split('\n');
  return `${indent}${key}: |-\n${lines.map((l) => `${indent}  ${l}`).join('\n')}\n`;
}

function yamlString(text: string): string {
  return JSON.stringify(text);
}

/** Why a scenario was skipped: its failing ASSUMING step, or why it never ran. */
export function skipReason(r: ScenarioResult): string {
  return r.skippedBy ? `${r.skippedBy.kind} ${r.skippedBy.text} failed` : (r.reason ?? 'skipped');
}

/** TAP version 13: one test point per scenario, a YAML block for failures and flaky passes. */
export function renderTap(input: ReportInput): string {
  let out = `TAP version 13\n1..${input.results.length}\n`;
  input.results.forEach((r, i) => {
    const name = r.scenario.name.replace(/\\/g, '\\\\').replace(/#/g, '\\#');
    if (r.status === 'skipped') {
      out += `ok ${i + 1} - ${name} # SKIP ${skipReason(r).replace(/\\/g, '\\\\').replace(/#/g, '\\#')}\n`;
      return;
    }
    out += `${r.status === 'passed' ? 'ok' : 'not ok'} ${i + 1} - ${name}\n`;
    if (isFlaky(r)) out += `  ---\n  flaky: true\n  attempts: ${r.attempts}\n  ...\n`;
    if (r.status === 'failed') {
      const s = failingStep(r);
      out += '  ---\n';
      out += `  message: ${yamlString(failureMessage(r))}\n`;
      out += `  location: ${yamlString(loc(r.scenario.location))}\n`;
      if (s) {
        out += `  step: ${yamlString(`${s.step.kind} ${s.step.text}`)}\n`;
        out += `  at: ${yamlString(loc(s.step.location))}\n`;
        out += `  implementation: ${yamlString(implementationLocation(s.implementation))}\n`;
        if (s.implementation.type === 'shell') out += `  exitCode: ${s.exitCode}\n`;
        out += yamlBlock('stdout', s.stdout, '  ');
        out += yamlBlock('stderr', s.stderr, '  ');
        if (s.error) out += yamlBlock('error', s.error, '  ');
      }
      if (r.attempts !== undefined) out += `  attempts: ${r.attempts}\n`;
      out += `  duration_ms: ${r.durationMs.toFixed(1)}\n  ...\n`;
    }
  });
  const c = countResults(input.results);
  out += `# ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped\n`;
  return out;
}

/** Escapes text for XML attributes and content (and drops characters XML 1.0 forbids). */
export function xmlEscape(text: string): string {
  return (
    text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters XML 1.0 allows
      .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
  );
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/**
 * JUnit XML in the Ant/Jenkins format (only its elements and attributes):
 * one testsuite per input file, one testcase per scenario; a flaky pass has
 * `status="flaky"` and says so in its system-out.
 */
export function renderJunit(input: ReportInput): string {
  const c = countResults(input.results);
  const byFile = new Map<string, ScenarioResult[]>();
  for (const r of input.results) {
    const list = byFile.get(r.scenario.location.file) ?? [];
    list.push(r);
    byFile.set(r.scenario.location.file, list);
  }
  let out = '<?xml version="1.0" encoding="UTF-8"?>\n';
  out += `<testsuites name="yarn-run" tests="${input.results.length}" failures="${c.failed}" errors="0" time="${seconds(input.durationMs)}">\n`;
  for (const [file, results] of byFile) {
    const fc = countResults(results);
    const time = results.reduce((t, r) => t + r.durationMs, 0);
    out += `  <testsuite name="${xmlEscape(file)}" tests="${results.length}" failures="${fc.failed}" errors="0" skipped="${fc.skipped}" time="${seconds(time)}">\n`;
    for (const r of results) {
      const status = isFlaky(r) ? 'flaky' : r.status;
      out += `    <testcase name="${xmlEscape(r.scenario.name)}" classname="${xmlEscape(file)}" time="${seconds(r.durationMs)}" status="${status}"`;
      if (r.status === 'passed' && !isFlaky(r)) {
        out += '/>\n';
        continue;
      }
      out += '>\n';
      if (isFlaky(r)) {
        out += `      <system-out>${xmlEscape(`flaky: passed on attempt ${r.attempts} (${loc(r.scenario.location)})`)}</system-out>\n`;
      } else if (r.status === 'skipped') {
        out += `      <skipped message="${xmlEscape(skipReason(r))}"/>\n`;
      } else {
        const s = failingStep(r);
        const how = s?.implementation.type === 'shell' ? `\nexit code ${s.exitCode}` : '';
        const body = s
          ? `${s.step.kind} ${s.step.text} (${loc(s.step.location)})${how}${s.error ? `\n${s.error}` : ''}`
          : (r.reason ?? '');
        out += `      <failure message="${xmlEscape(failureMessage(r))}" type="${s?.status ?? 'failed'}">${xmlEscape(body)}</failure>\n`;
        if (s?.stdout) out += `      <system-out>${xmlEscape(s.stdout)}</system-out>\n`;
        if (s?.stderr) out += `      <system-err>${xmlEscape(s.stderr)}</system-err>\n`;
      }
      out += '    </testcase>\n';
    }
    out += '  </testsuite>\n';
  }
  out += '</testsuites>\n';
  return out;
}

/** The version of the JSON report's format (`schemas/yarn-run-report-1.schema.json`). */
export const JSON_REPORT_VERSION = 1;

/**
 * JSON: the summary and every scenario (run or not) with every step run, in
 * the format of `schemas/yarn-run-report-1.schema.json`.
 */
export function renderJson(input: ReportInput): string {
  const c = countResults(input.results);
  const data = {
    version: JSON_REPORT_VERSION,
    summary: { ...c, flaky: input.results.filter(isFlaky).length, durationMs: Math.round(input.durationMs) },
    scenarios: input.results.map((r) => ({
      name: r.scenario.name,
      location: loc(r.scenario.location),
      status: r.status,
      attempts: r.attempts ?? (r.reason?.startsWith('not run:') ? 0 : 1),
      flaky: isFlaky(r),
      durationMs: Math.round(r.durationMs * 10) / 10,
      reason: r.reason,
      skippedBy: r.skippedBy ? `${r.skippedBy.kind} ${r.skippedBy.text}` : undefined,
      keptDir: r.keptDir,
      steps: r.steps.map((s) => ({
        keyword: s.step.kind,
        text: s.step.text,
        location: loc(s.step.location),
        implementation: { type: s.implementation.type, location: implementationLocation(s.implementation) },
        status: s.status,
        exitCode: s.implementation.type === 'shell' ? s.exitCode : undefined,
        durationMs: Math.round(s.durationMs * 10) / 10,
        stdout: s.stdout,
        stderr: s.stderr,
        error: s.error,
      })),
    })),
  };
  return `${JSON.stringify(data, null, 2)}\n`;
}
