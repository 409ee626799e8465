import { existsSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { App } from '../app.js';
import { MorphError } from '../errors.js';
import { locateWorkspace } from '../workspace/index.js';
import { expectArguments } from './arguments.js';

export const usage = '[DIR]';
export const help = 'Make DIR (default: the current directory, which must be empty) a morph workspace.';

/** `morph init [DIR]` (docs/spec/morph.md 3.4). */
export async function run(app: App, args: string[]): Promise<void> {
  expectArguments('init', args, 0, 1, 'at most one directory');
  const dir = resolve(app.cwd, args[0] ?? '.');
  if (existsSync(dir) && readdirSync(dir).length > 0) throw notEmpty(dir);
  const existing = locateWorkspace(dir);
  if (existing) throw notEmpty(existing.root);
  try {
    if (!existsSync(dir)) await mkdir(dir);
    await mkdir(join(dir, '.morph'));
  } catch (err) {
    throw new MorphError('workspace', 'cannot-create', `cannot create a workspace in ${dir}`, { cause: err });
  }
  app.status.chatty('Initialized morph workspace');
}

function notEmpty(path: string): MorphError {
  return new MorphError(
    'workspace',
    'not-empty',
    `can only initialize an empty directory as a workspace: ${path}`,
  );
}
