import { isAbsolute, join, relative, resolve } from 'node:path';
import { MorphError } from '../errors.js';

/**
 * Where a subsystem's write extension puts its output: its location joined
 * to the parent's tree (a leading `/` ignored). It may not escape the tree.
 * @throws MorphError `deploy/location-escapes-tree`.
 */
export function joinNestedLocation(parentTree: string, location: string): string {
  const joined = resolve(join(parentTree, location.replace(/^\/+/, '')));
  const inside = relative(resolve(parentTree), joined);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    throw new MorphError(
      'deploy',
      'location-escapes-tree',
      `subsystem location ${location} is outside the parent system's tree`,
      { hint: 'a nested location is a path inside the parent system, e.g. var/lib/sysroots/NAME' },
    );
  }
  return joined;
}
