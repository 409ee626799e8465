/**
 * The acceptance suite's step implementations (package.json
 * `"yarn-run": {"steps": ["implementations/index.ts"]}`), by domain (HS-7).
 * Every step text of `yarns/*.yarn` binds to exactly one of them.
 */
import type { StepImpl } from '../src/yarn/api.js';
import bootingSteps from './booting-steps.js';
import buildSteps from './build-steps.js';
import clusters from './clusters.js';
import deploySteps from './deploy-steps.js';
import diskImages from './disk-images.js';
import exampleSteps from './example-steps.js';
import faultSteps from './fault-steps.js';
import files from './files.js';
import gitServer from './git-server.js';
import morphBuild from './morph-build.js';
import morphDeploy from './morph-deploy.js';
import morphOutcome from './morph-outcome.js';
import remoteExecution from './remote-execution.js';
import reproducibleSteps from './reproducible-steps.js';
import rootlessSteps from './rootless-steps.js';
import tarballs from './tarballs.js';
import workspace from './workspace.js';
import workspaceSteps from './workspace-steps.js';

const steps: StepImpl[] = [
  ...gitServer,
  ...workspace,
  ...workspaceSteps,
  ...morphBuild,
  ...buildSteps,
  ...morphDeploy,
  ...morphOutcome,
  ...clusters,
  ...files,
  ...tarballs,
  ...diskImages,
  ...deploySteps,
  ...rootlessSteps,
  ...faultSteps,
  ...bootingSteps,
  ...exampleSteps,
  ...reproducibleSteps,
  ...remoteExecution,
];

export default steps;
