import type { App } from '../app.js';

/**
 * What a subcommand file (`cli/<name>.ts`) exports.
 *
 *     export const usage = 'SYSTEM';
 *     export const help = 'Build a system from the current system branch.';
 *     export async function run(app: App, args: string[]): Promise<void> { ... }
 */
export interface CommandModule {
  /** Arguments synopsis shown after `morph <name>` (may be empty). */
  readonly usage: string;
  /** One line saying what the command does. */
  readonly help: string;
  /** Does the work; throws MorphError for user errors; prints only through `app`. */
  run(app: App, args: string[]): Promise<void>;
}

/** Loads a subcommand module lazily, so start-up only pays for the command run. */
export type CommandLoader = () => Promise<CommandModule>;

// A non-literal specifier keeps tsc from requiring files that other engineers have not written yet.
const lazy =
  (file: string): CommandLoader =>
  () =>
    import(`./${file}.js`) as Promise<CommandModule>;

/** Every subcommand: name → loader of `cli/<file>.ts`. Add one line per new command. */
export const COMMANDS: Readonly<Record<string, CommandLoader>> = {
  help: lazy('help'),
  init: lazy('init'),
  workspace: lazy('workspace'),
  checkout: lazy('checkout'),
  branch: lazy('branch'),
  edit: lazy('edit'),
  status: lazy('status'),
  foreach: lazy('foreach'),
  'show-system-branch': lazy('show-system-branch'),
  'show-branch-root': lazy('show-branch-root'),
  'print-architecture': lazy('print-architecture'),
  build: lazy('build'),
  'cross-bootstrap': lazy('cross-bootstrap'),
  gc: lazy('gc'),
  deploy: lazy('deploy'),
  upgrade: lazy('upgrade'),
  'branch-from-image': lazy('branch-from-image'),
  'generate-manifest': lazy('generate-manifest'),
  'list-artifacts': lazy('list-artifacts'),
  'show-dependencies': lazy('show-dependencies'),
  'graph-build-depends': lazy('graph-build-depends'),
  'expand-repo': lazy('expand-repo'),
  'help-extensions': lazy('help-extensions'),
  'build-morphology': lazy('build-morphology'),
  push: lazy('push'),
  pull: lazy('pull'),
  'add-binary': lazy('add-binary'),
  'serialise-artifact': lazy('serialise-artifact'),
};

/** Loads a command module, or undefined when the command's file is missing. */
export async function loadCommand(name: string): Promise<CommandModule | undefined> {
  const loader = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!loader) return undefined;
  try {
    return await loader();
  } catch (err) {
    if (
      (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' &&
      String(err).includes(`/${name}.js`)
    ) {
      return undefined;
    }
    throw err;
  }
}
