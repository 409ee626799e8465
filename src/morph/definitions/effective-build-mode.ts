import type { BuildMode } from '../model.js';

/**
 * The build mode a build uses for a chunk spec's `build-mode` (docs/spec/morph.md
 * 4.5): `bootstrap` and `test` as written, anything else `staging`; an
 * unknown value adds a warning to `warnings`.
 */
export function effectiveBuildMode(buildMode: unknown, warnings?: string[], chunk?: string): BuildMode {
  if (buildMode === 'bootstrap' || buildMode === 'test' || buildMode === 'staging') return buildMode;
  if (buildMode !== undefined) {
    warnings?.push(
      `Unknown build mode ${String(buildMode)}${chunk === undefined ? '' : ` for chunk ${chunk}`}, using staging`,
    );
  }
  return 'staging';
}
