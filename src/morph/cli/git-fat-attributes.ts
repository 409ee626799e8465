import { existsSync } from 'node:fs';
import { readFile, realpath, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { App } from '../app.js';
import { MorphError } from '../errors.js';

/**
 * Steps 2-4 of `morph add-binary` (docs/spec/morph.md 1.7.10), after `git fat init`:
 * `.gitfat` from origin's ssh push URL when absent, each file's pattern in
 * `.gitattributes` with `filter=fat -crlf`, then `git add`.
 * @throws MorphError cli/no-gitfat-remote when origin's push URL is not ssh://
 */
export async function addBinaryFiles(app: App, top: string, files: readonly string[]): Promise<void> {
  const toAdd: string[] = [];
  if (!existsSync(join(top, '.gitfat'))) {
    const push = await app.runApp(['git', 'remote', 'get-url', '--push', 'origin'], {
      cwd: top,
      allowFailure: true,
    });
    const url = push.stdout.trim();
    if (push.exitCode !== 0 || !url.startsWith('ssh://')) {
      throw new MorphError(
        'cli',
        'no-gitfat-remote',
        `cannot set up git-fat: origin's push URL ${url || '(none)'} is not ssh://`,
        {
          hint: 'git-fat keeps the binaries with rsync over ssh beside the repository',
        },
      );
    }
    const parsed = new URL(url);
    const netloc = parsed.username ? `${parsed.username}@${parsed.host}` : parsed.host;
    await writeFile(join(top, '.gitfat'), `[rsync]\nremote = ${netloc}:${parsed.pathname}`);
    toAdd.push('.gitfat');
  }
  const patterns = await Promise.all(
    files.map(async (file) =>
      relative(top, await realpath(resolve(app.cwd, file)))
        .replace(/[*?[]/g, (c) => `[${c}]`)
        .replace(/[ \t\r\n]/g, '[[:space:]]'),
    ),
  );
  const attributes = join(top, '.gitattributes');
  const existing = existsSync(attributes) ? await readFile(attributes, 'utf8') : '';
  const known = new Set(existing.split('\n').map((line) => line.split(/\s+/)[0]));
  const unknown = patterns.filter((pattern) => !known.has(pattern));
  if (unknown.length > 0) {
    const head = existing === '' || existing.endsWith('\n') ? existing : `${existing}\n`;
    await writeFile(attributes, head + unknown.map((p) => `${p} filter=fat -crlf\n`).join(''));
    toAdd.push('.gitattributes');
  }
  await app.runApp(['git', 'add', ...files.map((f) => resolve(app.cwd, f)), ...toAdd], { cwd: top });
}
