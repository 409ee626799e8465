import type { App } from '../app.js';

export const usage = '[REPO...]';
export const help = 'Show the pull and push URLs a repository name expands to through the repo aliases.';

/** `morph expand-repo [REPO...]` (docs/spec/morph.md 1.7.6): four lines per argument, no network, no workspace. */
export async function run(app: App, args: string[]): Promise<void> {
  for (const name of args) {
    app.out(`Original: ${name}\npull: ${app.aliases.pullUrl(name)}\npush: ${app.aliases.pushUrl(name)}\n\n`);
  }
}
