/** Loads `--rbac DIR` (or a test file's `rbac:` list) into an RbacIndex; malformed RBAC objects are input errors. */
import { RbacIndex } from '../../engine/index.js';
import { InputError } from '../errors.js';
import { readManifests } from './files.js';

export function loadRbac(paths: readonly string[]): RbacIndex {
  const docs = paths.flatMap((p) => readManifests(p));
  const index = new RbacIndex(docs.map((d) => d.doc));
  if (index.problems.length > 0) {
    throw new InputError('C2009', { problems: index.problems.map((p) => `${docs[p.index]!.origin}: ${p.message}`).join('; ') });
  }
  return index;
}
