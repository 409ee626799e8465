import { MorphError, type MorphReason } from '../errors.js';
import { locationOf } from './provenance.js';

/**
 * A `definitions` MorphError located at the `file:line:col` of `node` (or of
 * its key / item `child`), falling back to `file`.
 */
export function definitionError(
  reason: MorphReason<'definitions'>,
  text: string,
  file: string,
  node?: object,
  child?: string | number,
): MorphError {
  const location = (node === undefined ? undefined : locationOf(node, child)) ?? { file };
  return new MorphError('definitions', reason, text, { location });
}
