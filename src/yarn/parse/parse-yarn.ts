import { readFileSync } from 'node:fs';
import { YarnError } from '../errors.js';
import type { CodeBlock, YarnDocument } from '../model.js';
import { extractCodeBlocks } from './markdown-blocks.js';
import { parseBlocks } from './parse-blocks.js';

/**
 * Parses Markdown texts as one yarn document (the reference concatenates all
 * files' code blocks: a scenario may continue into the next file).
 * @throws YarnError SYNTAX
 */
export function parseYarnSources(sources: readonly { file: string; text: string }[]): YarnDocument {
  const blocks: CodeBlock[] = [];
  for (const { file, text } of sources) blocks.push(...extractCodeBlocks(text, file));
  const { scenarios, implementations, notes } = parseBlocks(blocks);
  return { files: sources.map((s) => s.file), scenarios, implementations, notes };
}

/**
 * Reads and parses yarn files.
 * @throws YarnError FILE_READ, SYNTAX
 */
export function parseYarnFiles(files: readonly string[]): YarnDocument {
  const sources = files.map((file) => {
    try {
      return { file, text: readFileSync(file, 'utf8') };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT'
          ? 'No such file or directory'
          : code === 'EISDIR'
            ? 'Is a directory'
            : (err as Error).message;
      throw new YarnError('FILE_READ', `cannot read scenario file ${file}: ${why}`, {
        location: file,
        cause: err,
      });
    }
  });
  return parseYarnSources(sources);
}
