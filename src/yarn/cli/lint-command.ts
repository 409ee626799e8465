/**
 * `yarn-run lint FILES`: points at the reference's traps (spec 1.9) without
 * running anything. Exit 0 when clean, 1 when something was found.
 */
import { readFileSync } from 'node:fs';
import { YarnError } from '../errors.js';
import { lintDocument } from '../lint/lint-document.js';
import { parseYarnSources } from '../parse/parse-yarn.js';
import { loadStepModules } from './load-step-modules.js';
import { parseArgs } from './options.js';
import { readPackageConfig } from './package-config.js';

/** Runs the linter; returns the exit code. */
export async function runLint(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.files.length === 0)
    throw new YarnError('USAGE', 'lint needs at least one FILE', { hint: 'yarn-run lint FILE...' });
  const sources = args.files.map((file) => {
    try {
      return { file, text: readFileSync(file, 'utf8') };
    } catch (err) {
      throw new YarnError('FILE_READ', `cannot read scenario file ${file}: ${(err as Error).message}`, {
        location: file,
      });
    }
  });
  const doc = parseYarnSources(sources);
  const moduleFiles = args.lists.steps ?? readPackageConfig(process.cwd()).steps;
  const ts =
    moduleFiles.length > 0 ? (await loadStepModules(moduleFiles, process.cwd())).implementations : [];
  const findings = lintDocument(doc, sources, ts);
  for (const f of findings) process.stdout.write(`${f.location}: ${f.code}: ${f.message}\n`);
  process.stdout.write(
    `${findings.length} problem${findings.length === 1 ? '' : 's'} found in ${args.files.length} file${args.files.length === 1 ? '' : 's'}\n`,
  );
  return findings.length > 0 ? 1 : 0;
}
