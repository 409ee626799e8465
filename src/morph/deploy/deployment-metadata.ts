import { withoutSecrets } from '../../shared/secret-mask.js';
import { morphVersion } from '../build/assemble/metadata-record.js';

/** `baserock/deployment.meta` (docs/spec/morph.md 6.2d). */
export interface DeploymentMetadata {
  'system-artifact-name': string;
  /**
   * The deployment's own variables (cluster and command line, never morph's
   * inherited environment) minus every secret (`PASSWORD`, `SECRET`, `TOKEN`,
   * `KEY` in the name, any case).
   */
  configuration: Record<string, string>;
  'deployment-type': string;
  location: string;
  'definitions-version': { describe: string };
  'morph-version': ReturnType<typeof morphVersion>;
}

/** Builds the record; secrets and morph's inherited environment never reach the image. */
export function deploymentMetadata(options: {
  artifactName: string;
  /** The deployment's own variables (`DeploymentEnvironment.own`). */
  variables: Readonly<Record<string, string>>;
  type: string;
  location: string;
  describe: string;
}): DeploymentMetadata {
  return {
    'system-artifact-name': options.artifactName,
    configuration: withoutSecrets(options.variables),
    'deployment-type': options.type,
    location: options.location,
    'definitions-version': { describe: options.describe },
    'morph-version': morphVersion(),
  };
}
