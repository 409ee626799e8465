/**
 * One queue of writing `ostree` processes per repository in this process:
 * concurrent `ostree commit`s into one repository were seen to fail with
 * `opendir(staging-...): No such file or directory` when one process cleaned
 * up a staging directory another had just picked (bench/RESULTS.md, Build).
 */
const writeQueues = new Map<string, Promise<unknown>>();

/**
 * Runs `write` after every earlier write queued for `repoPath` has settled
 * (whether it succeeded or not) and returns its result.
 */
export function serialiseWrites<T>(repoPath: string, write: () => Promise<T>): Promise<T> {
  const previous = writeQueues.get(repoPath) ?? Promise.resolve();
  const next = previous.then(write, write);
  writeQueues.set(
    repoPath,
    next.catch(() => {}),
  );
  return next;
}
