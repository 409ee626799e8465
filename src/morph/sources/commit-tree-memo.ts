import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

const LINE = /^([0-9a-f]{40}) ([0-9a-f]{40})$/;

/**
 * Which tree each commit has, remembered across runs in a file of
 * `<commit> <tree>` lines. A commit's name fixes its tree, so an entry
 * never goes stale; with it a commit named by SHA-1 resolves without
 * running git. Only an optimisation: lines it cannot read are skipped and
 * a file it cannot write only makes the next run ask git again.
 */
export class CommitTreeMemo {
  private trees: Map<string, string> | undefined;

  constructor(readonly file: string) {}

  /** The tree of `commit`, if remembered. */
  get(commit: string): string | undefined {
    return this.load().get(commit);
  }

  /** Remembers that `commit` has `tree` (appended to the file; concurrent writers append whole lines). */
  remember(commit: string, tree: string): void {
    const trees = this.load();
    if (trees.get(commit) === tree || !LINE.test(`${commit} ${tree}`)) return;
    trees.set(commit, tree);
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      appendFileSync(this.file, `${commit} ${tree}\n`);
    } catch {
      // Not remembered for the next run; this one has it in memory.
    }
  }

  private load(): Map<string, string> {
    if (this.trees) return this.trees;
    this.trees = new Map();
    let text = '';
    try {
      text = readFileSync(this.file, 'latin1');
    } catch {
      // Only a speed-up, like remember(): a memo that cannot be read starts empty.
      return this.trees;
    }
    for (const line of text.split('\n')) {
      const match = LINE.exec(line);
      if (match) this.trees.set(match[1] as string, match[2] as string);
    }
    return this.trees;
  }
}
