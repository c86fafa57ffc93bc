/**
 * Applies an RFC 6902 patch of the kind patchBetween (patch-diff.ts) generates — `add`, `remove`
 * and `replace` — to a copy of a JSON document, the way the API server applies a webhook's patch.
 * The CLI uses it to show the object a mutation leads to (`kclguard eval`, `kclguard test`).
 *
 * Every key is data: `__proto__`, `constructor` or `prototype` in a path name own members (set with
 * setOwn), never the prototype or an inherited property, and a path only walks through own
 * members and list items that exist. fast-json-patch's applyPatch cannot do this: by default it
 * refuses such paths, and with `banPrototypeModifications` off it assigns `obj.__proto__`, which
 * sets the prototype instead of adding the member.
 *
 * A patch that does not apply (a missing member, an index out of range, a malformed pointer or an
 * operation patchBetween never emits) throws PatchApplyError: the patch came from the engine, so
 * that is a bug in kclguard, not in a policy.
 */
import type { JsonPatchOperation } from './executor.js';
import { isJsonObject, setOwn, unescapePointerToken } from './json-data.js';

export class PatchApplyError extends Error {
  override readonly name = 'PatchApplyError';
}

type JsonRecord = Record<string, unknown>;

/** The result of applying `operations` to `document`, in order. Neither argument is changed, and the result shares nothing with them. */
export function applyPatch(document: unknown, operations: readonly JsonPatchOperation[]): unknown {
  let result: unknown = copyJson(document);
  for (const operation of operations) result = applyOperation(result, operation);
  return result;
}

function applyOperation(document: unknown, operation: JsonPatchOperation): unknown {
  const { op } = operation;
  if (op !== 'add' && op !== 'remove' && op !== 'replace') fail(operation, `operation "${String(op)}" is not one kclguard emits (add, remove, replace)`);
  if ((op === 'add' || op === 'replace') && !('value' in operation)) fail(operation, 'no value');
  const value = op === 'remove' ? undefined : copyJson(operation.value);
  const tokens = parsePointer(operation);
  if (tokens.length === 0) {
    if (op === 'remove') fail(operation, 'the whole document cannot be removed');
    return value;
  }
  let parent: unknown = document;
  for (let i = 0; i < tokens.length - 1; i++) parent = childOf(parent, tokens[i]!, operation);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    const index = op === 'add' && last === '-' ? parent.length : listIndex(last, operation);
    if (op === 'add') {
      if (index > parent.length) fail(operation, `index ${index} is past the end of a list of ${parent.length}`);
      parent.splice(index, 0, value);
    } else {
      if (index >= parent.length) fail(operation, `index ${index} is past the end of a list of ${parent.length}`);
      if (op === 'remove') parent.splice(index, 1);
      else parent[index] = value;
    }
  } else if (isJsonObject(parent)) {
    if (op !== 'add' && !Object.hasOwn(parent, last)) fail(operation, `no member ${JSON.stringify(last)} to ${op}`);
    if (op === 'remove') delete parent[last];
    else setOwn(parent, last, value);
  } else {
    fail(operation, 'the parent is not an object or a list');
  }
  return document;
}

/** The member or item `token` names in `parent`: own members and existing items only. */
function childOf(parent: unknown, token: string, operation: JsonPatchOperation): unknown {
  if (Array.isArray(parent)) {
    const index = listIndex(token, operation);
    if (index >= parent.length) fail(operation, `index ${index} is past the end of a list of ${parent.length}`);
    return parent[index];
  }
  if (isJsonObject(parent) && Object.hasOwn(parent, token)) return parent[token];
  return fail(operation, `no member ${JSON.stringify(token)} on the way`);
}

/** RFC 6901: `""` is the whole document; otherwise `/`-separated tokens with `~1` for `/` and `~0` for `~`. */
function parsePointer(operation: JsonPatchOperation): string[] {
  const { path } = operation;
  if (typeof path !== 'string') return fail(operation, 'the path is not a string');
  if (path === '') return [];
  if (!path.startsWith('/')) fail(operation, 'a JSON pointer starts with "/"');
  return path
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~(?![01])/.test(token)) fail(operation, `"~" must be followed by 0 or 1 in ${JSON.stringify(token)}`);
      return unescapePointerToken(token);
    });
}

function listIndex(token: string, operation: JsonPatchOperation): number {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) fail(operation, `${JSON.stringify(token)} is not a list index`);
  return Number(token);
}

/** A deep copy of JSON data: own enumerable members, `__proto__` among them, into plain objects and lists. */
function copyJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyJson);
  if (!isJsonObject(value)) return value;
  const copy: JsonRecord = {};
  for (const key of Object.keys(value)) setOwn(copy, key, copyJson(value[key]));
  return copy;
}

function fail(operation: JsonPatchOperation, why: string): never {
  throw new PatchApplyError(`JSON patch operation ${operation.op} ${JSON.stringify(operation.path)} does not apply: ${why}`);
}
