/** Steps that build systems with `morph build` inside a system branch. */
import { step } from '../src/yarn/api.js';
import { definitionsCheckout, morphMode, runMorph } from './morph-runner.js';

export default [
  step(
    ['GIVEN', 'WHEN'],
    /the user (builds|attempts to build) the system (\S+) in branch (\S+)/,
    'runs `morph build SYSTEM` in the definitions checkout of BRANCH',
    async (ctx, verb, system, branch) => {
      await runMorph(ctx, morphMode(verb), 'build', [system], definitionsCheckout(ctx, branch));
    },
  ),
];
