import { relative } from 'node:path';
import { PathEscapeError, resolveBeneath } from '../../shared/resolve-beneath.js';
import { MorphError } from '../errors.js';

/**
 * Where a subsystem's write extension puts its output: its location
 * resolved beneath the parent's tree (a leading `/` is the top of the tree).
 * No `..`, symlink or absolute symlink target may take it out of the tree,
 * and it may not be the tree itself.
 * @throws MorphError `deploy/location-escapes-tree` naming the location.
 */
export function joinNestedLocation(parentTree: string, location: string): string {
  const refuse = (why: string, cause?: unknown): MorphError =>
    new MorphError(
      'deploy',
      'location-escapes-tree',
      `subsystem location ${location} is outside the parent system's tree: ${why}`,
      {
        hint: 'a nested location is a path inside the parent system, e.g. var/lib/sysroots/NAME, reached through no symbolic link that leaves it',
        cause,
      },
    );
  let joined: string;
  try {
    joined = resolveBeneath(parentTree, location);
  } catch (err) {
    if (err instanceof PathEscapeError) throw refuse(err.why, err);
    throw err;
  }
  if (relative(parentTree, joined) === '') throw refuse('it is the top of the tree');
  return joined;
}
