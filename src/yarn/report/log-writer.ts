import { appendFileSync, writeFileSync } from 'node:fs';
import type { RunEvent } from '../model.js';
import { indentLines } from './failure-report.js';

function stamp(): string {
  return new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '');
}

/** `--log FILE`: a debug log with every step's exit code and output (the reference's cliapp log). */
export class LogWriter {
  private lines: string[] = [];

  constructor(private readonly path: string) {
    writeFileSync(path, '');
  }

  private log(level: string, message: string): void {
    this.lines.push(`${stamp()} ${level} ${message}\n`);
    if (this.lines.length > 200) this.flush();
  }

  private flush(): void {
    if (this.lines.length === 0) return;
    appendFileSync(this.path, this.lines.join(''));
    this.lines = [];
  }

  onEvent(event: RunEvent): void {
    switch (event.type) {
      case 'scenario-started':
        this.log('INFO', `Running scenario ${event.scenario.scenario.name}`);
        if (event.datadir) this.log('INFO', `DATADIR is ${event.datadir}`);
        break;
      case 'step-started':
        this.log('INFO', `Running step "${event.step.step.kind} ${event.step.step.text}"`);
        break;
      case 'step-finished': {
        const r = event.result;
        this.log('DEBUG', `Exit code: ${r.exitCode}`);
        this.log('DEBUG', r.stdout ? `Standard output:\n${indentLines(r.stdout)}` : 'Standard output: empty');
        this.log('DEBUG', r.stderr ? `Standard error:\n${indentLines(r.stderr)}` : 'Standard error: empty');
        if (r.error) this.log('DEBUG', `Error: ${r.error}`);
        break;
      }
      case 'scenario-finished':
        this.log('INFO', `Scenario ${event.scenario.scenario.name}: ${event.result.status}`);
        break;
      case 'run-finished':
        this.flush();
        break;
      default:
        break;
    }
  }

  close(): void {
    this.flush();
  }
}
