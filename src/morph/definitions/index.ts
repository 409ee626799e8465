export {
  ARCHITECTURES,
  type Architecture,
  architectureFromMachine,
  canBuildArchitecture,
  isArchitecture,
  normaliseArchitecture,
} from './architecture.js';
export {
  BUILD_SYSTEMS,
  type BuildSystem,
  defaultCommands,
  detectBuildSystem,
  lookupBuildSystem,
} from './build-systems.js';
export { allowedFields, REQUIRED_FIELDS, STATIC_DEFAULTS } from './defaults.js';
export { effectiveBuildMode } from './effective-build-mode.js';
export { loadAllMorphologies } from './load-all-morphologies.js';
export {
  detectChunkMorphology,
  type LoadOptions,
  loadMorphology,
  validateMorphology,
} from './load-morphology.js';
export { fileOf, locationOf } from './provenance.js';
export { compareKeys, KEY_ORDER, saveMorphology, writeMorphology } from './save-morphology.js';
