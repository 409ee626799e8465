/**
 * `--format html`: the scenario Markdown rendered as a document (markdown-it)
 * with each step's outcome, duration and (for failures) output inline, and a
 * summary on top. Loaded only when asked for.
 */
import { readFileSync } from 'node:fs';
import MarkdownIt from 'markdown-it';
import type { ScenarioResult, StepResult } from '../model.js';
import type { ReportInput } from './report-input.js';
import { countResults } from './summary.js';

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const STYLE = `
body { font-family: sans-serif; max-width: 60em; margin: 2em auto; line-height: 1.4; color: #222; }
pre { background: #f6f6f6; padding: .6em; overflow-x: auto; }
.yarn-line { display: block; }
.passed { background: #e3f6e3; } .failed, .timed-out { background: #fbe0e0; } .skipped { background: #f3f0d8; }
.badge { float: right; font-size: 80%; color: #555; }
.summary { border: 1px solid #ccc; padding: .5em 1em; margin-bottom: 1em; }
details { margin: .2em 0 .6em 1em; } details pre { background: #fff4f4; }
`;

interface LineInfo {
  scenario?: ScenarioResult;
  step?: StepResult;
}

function outputDetails(s: StepResult): string {
  let text = '';
  if (s.error) text += `${s.error}\n`;
  text += `exit code ${s.exitCode}\n--- stdout\n${s.stdout}--- stderr\n${s.stderr}`;
  return `<details open><summary>output of ${esc(`${s.step.kind} ${s.step.text}`)}</summary><pre>${esc(text)}</pre></details>`;
}

function renderCode(content: string, firstLine: number, file: string, lines: Map<string, LineInfo>): string {
  const rows = content.replace(/\n$/, '').split('\n');
  let html = '<pre class="yarn"><code>';
  rows.forEach((row, i) => {
    const info = lines.get(`${file}:${firstLine + i}`);
    if (info?.step) {
      const s = info.step;
      html += `<span class="yarn-line ${s.status}"><span class="badge">${s.status} ${s.durationMs.toFixed(1)} ms</span>${esc(row)}</span>`;
      if (s.status !== 'passed') html += outputDetails(s);
    } else if (info?.scenario) {
      const r = info.scenario;
      const why = r.reason ? ` (${r.reason})` : '';
      html += `<span class="yarn-line ${r.status}" id="scenario-${r.index}"><span class="badge">${r.status}${esc(why)} ${(r.durationMs / 1000).toFixed(2)} s</span>${esc(row)}</span>`;
    } else {
      html += `<span class="yarn-line">${esc(row)}</span>`;
    }
  });
  return `${html}</code></pre>\n`;
}

/** The HTML living document for `input`. */
export function renderHtml(input: ReportInput): string {
  const lines = new Map<string, LineInfo>();
  for (const r of input.results) {
    lines.set(`${r.scenario.location.file}:${r.scenario.location.line}`, { scenario: r });
    for (const s of r.steps) lines.set(`${s.step.location.file}:${s.step.location.line}`, { step: s });
  }
  const md = new MarkdownIt({ html: false });
  let currentFile = '';
  md.renderer.rules.code_block = (tokens, idx) => {
    const t = tokens[idx]!;
    return renderCode(t.content, (t.map?.[0] ?? 0) + 1, currentFile, lines);
  };
  md.renderer.rules.fence = (tokens, idx) => {
    const t = tokens[idx]!;
    return renderCode(t.content, (t.map?.[0] ?? 0) + 2, currentFile, lines);
  };
  const c = countResults(input.results);
  let body = `<div class="summary"><strong>${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped</strong> in ${(input.durationMs / 1000).toFixed(2)} s<ul>`;
  for (const r of input.results) {
    body += `<li class="${r.status}"><a href="#scenario-${r.index}">${esc(r.scenario.name)}</a>: ${r.status}</li>`;
  }
  body += '</ul></div>\n';
  for (const file of input.doc.files) {
    currentFile = file;
    let source = input.sources?.get(file);
    if (source === undefined) {
      try {
        source = readFileSync(file, 'utf8');
      } catch {
        source = '';
      }
    }
    body += `<section class="file"><p class="file-name"><code>${esc(file)}</code></p>\n${md.render(source)}</section>\n`;
  }
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>yarn-run report</title><style>${STYLE}</style></head>\n<body>\n${body}</body></html>\n`;
}
