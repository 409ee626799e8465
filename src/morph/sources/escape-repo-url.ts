/**
 * The git cache directory name of a repo URL (docs/spec/morph.md 3.3): every character
 * that is not an ASCII letter, digit, `%` or `_` becomes `_`
 * (`git://127.0.0.1:4000/morphs` → `git___127_0_0_1_4000_morphs`).
 */
export function escapeRepoUrl(url: string): string {
  return url.replace(/[^A-Za-z0-9%_]/g, '_');
}
