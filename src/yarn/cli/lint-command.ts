/** `yarn-run lint FILES` (placeholder until the linter lands). */
export async function runLint(_files: string[]): Promise<number> {
  return 0;
}
