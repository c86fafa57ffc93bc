/**
 * Loads the objects offline lookups read (`--lookup FILE|DIR`, a test file's `lookups:`): every
 * Kubernetes object of the YAML files, with `kind: List` documents (what `kubectl get -o yaml`
 * prints) unpacked. A document that is not an object with apiVersion and kind is an input error.
 */
import { isObject, readManifests } from './files.js';
import { InputError } from '../errors.js';

type JsonObject = Record<string, unknown>;

/** The Kubernetes objects of a document (`kind: List` unpacked); anything else is an input error. */
export function objectsOf(doc: unknown, origin: string): JsonObject[] {
  if (!isObject(doc) || typeof doc.apiVersion !== 'string' || typeof doc.kind !== 'string') {
    throw new InputError('C2005', { path: origin, what: 'lookup object' });
  }
  if (doc.kind.endsWith('List') && Array.isArray(doc.items)) return doc.items.flatMap((item) => objectsOf(item, origin));
  return [doc];
}

export function loadLookupObjects(paths: readonly string[]): JsonObject[] {
  return paths.flatMap((path) => readManifests(path)).flatMap(({ doc, origin }) => objectsOf(doc, origin));
}
