import { MorphError } from '../errors.js';
import { gitOutput } from '../sources/git-output.js';

/** One entry of `git status --porcelain`: two status letters and a path. */
export interface StatusEntry {
  /** `XY` as git prints it (`' M'`, `'A '`, `'??'`, `'R '` ...). */
  readonly code: string;
  readonly path: string;
  /** The old path of a rename or copy. */
  readonly from?: string;
}

/**
 * The uncommitted changes of the checkout at `dir` (docs/spec/morph.md 3.10): every
 * entry of `git status --ignored -z` except untracked and ignored ones, but
 * untracked files ending in `.morph` count.
 * @throws MorphError workspace/git-status-failed when `dir` is no git checkout
 */
export async function uncommittedChanges(dir: string): Promise<StatusEntry[]> {
  const out = await gitOutput(dir, ['status', '--porcelain', '--ignored', '-z']);
  if (out === undefined) {
    throw new MorphError('workspace', 'git-status-failed', `cannot get the git status of ${dir}`);
  }
  return parseStatusZ(out.toString()).filter(
    (e) => (e.code !== '??' && e.code !== '!!') || (e.code === '??' && e.path.endsWith('.morph')),
  );
}

/** Parses `git status --porcelain -z` output (renames and copies carry their old path). */
export function parseStatusZ(text: string): StatusEntry[] {
  const fields = text.split('\0');
  const entries: StatusEntry[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    if (field.length < 4) continue;
    const code = field.slice(0, 2);
    const path = field.slice(3);
    if (code.includes('R') || code.includes('C')) entries.push({ code, path, from: fields[++i] });
    else entries.push({ code, path });
  }
  return entries;
}
