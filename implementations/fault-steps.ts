/**
 * Steps for morph under faults and hostile input (issue 13): secrets in
 * morph's environment, files that must not contain a text.
 */
import { readFile } from 'node:fs/promises';
import { check, step } from '../src/yarn/api.js';
import { getVar, setVar } from './context.js';
import { morphEnvVar } from './morph-runner.js';

export default [
  step(
    'GIVEN',
    /morph's environment has (\w+)=(\S*)/,
    'adds NAME=VALUE to the environment of every later morph command of the scenario',
    async (ctx, name, value) => {
      setVar(ctx, morphEnvVar, { ...(getVar(ctx, morphEnvVar) ?? {}), [name]: value });
    },
  ),
  step(
    'THEN',
    /file (\S+) (contains|does not contain) "(.*)"/,
    'reads $DATADIR/FILE and checks whether TEXT is in it',
    async (ctx, file, verb, text) => {
      const content = await readFile(ctx.path(file), 'utf8');
      const wanted = verb === 'contains';
      check(content.includes(text) === wanted, `${file} ${wanted ? 'lacks' : 'contains'} "${text}"`);
    },
  ),
];
