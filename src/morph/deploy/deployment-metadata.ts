import { morphVersion } from '../build/metadata-record.js';

/** `baserock/deployment.meta` (morph.md 6.2d). */
export interface DeploymentMetadata {
  'system-artifact-name': string;
  /** The deployment environment minus every key containing `PASSWORD`. */
  configuration: Record<string, string>;
  'deployment-type': string;
  location: string;
  'definitions-version': { describe: string };
  'morph-version': ReturnType<typeof morphVersion>;
}

/** Builds the record; secrets (`*PASSWORD*` keys) never reach the image. */
export function deploymentMetadata(options: {
  artifactName: string;
  env: Readonly<Record<string, string>>;
  type: string;
  location: string;
  describe: string;
}): DeploymentMetadata {
  const configuration: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.env)) {
    if (!key.includes('PASSWORD')) configuration[key] = value;
  }
  return {
    'system-artifact-name': options.artifactName,
    configuration,
    'deployment-type': options.type,
    location: options.location,
    'definitions-version': { describe: options.describe },
    'morph-version': morphVersion(),
  };
}
