/**
 * The RFC 6902 patch from the admitted object to the policies' last output: the operations
 * fast-json-patch's `compare` generates, in its order, without its deep copies.
 *
 * `compare` copies every added or replaced object through `JSON.parse(JSON.stringify(...))`, so
 * that its patch shares nothing with the documents. Here the patch is serialized right after (into
 * the worker's report, or the AdmissionReview answer) and nothing writes to either document, so
 * the copies bought nothing: about 5% of a mutating policy's CPU in process (docs/performance.md,
 * What was changed in the engine). A test checks this module against `compare` on generated
 * documents.
 *
 * Like `compare`: parts that are the same object (the conversion memo hands unchanged parts back
 * by identity) are skipped unwalked; an object's members are visited last first for removals and
 * replacements, then first to last for additions; a member or item that became `undefined` is
 * removed (an object's) or replaced (a list's), and a new one that is `undefined` is not added.
 */
import type { JsonPatchOperation } from './executor.js';
import { escapePointerToken } from './json-data.js';

type JsonContainer = Record<string, unknown> | unknown[];

/**
 * The operations, or undefined once their paths alone hold more than `maxPathChars` characters
 * (a lower bound of their UTF-8 bytes). Every path repeats the keys above it, so a long key above
 * a list the policy shifted would otherwise make a patch of (items x key length) bytes: a 269 KB
 * review built gigabytes of paths before its size was checked, and the worker ran out of heap.
 */
export function patchBetween(before: JsonContainer, after: JsonContainer, maxPathChars = Infinity): JsonPatchOperation[] | undefined {
  const diff: Diff = { operations: [], pathChars: 0, maxPathChars };
  try {
    diffInto(before, after, '', diff);
  } catch (error) {
    if (error === TOO_LARGE) return undefined;
    throw error;
  }
  return diff.operations;
}

interface Diff {
  readonly operations: JsonPatchOperation[];
  pathChars: number;
  readonly maxPathChars: number;
}

const TOO_LARGE = new Error('the patch paths exceed their budget');

function push(diff: Diff, operation: JsonPatchOperation): void {
  diff.pathChars += operation.path.length;
  if (diff.pathChars > diff.maxPathChars) throw TOO_LARGE;
  diff.operations.push(operation);
}

function diffInto(before: JsonContainer, after: JsonContainer, path: string, diff: Diff): void {
  if (before === after) return;
  const afterIsList = Array.isArray(after);
  const beforeIsList = Array.isArray(before);
  const beforeKeys = keysOf(before);
  const afterCount = afterIsList ? after.length : Object.keys(after).length;
  const beforeRecord = before as Record<string, unknown>;
  const afterRecord = after as Record<string, unknown>;
  let deleted = false;
  for (let i = beforeKeys.length - 1; i >= 0; i--) {
    const key = beforeKeys[i]!;
    const old = beforeRecord[key];
    if (Object.hasOwn(after, key) && !(afterRecord[key] === undefined && old !== undefined && !afterIsList)) {
      const value = afterRecord[key];
      // The same value (an unchanged part the memo handed back) needs no path built for it.
      if (value === old) continue;
      const memberPath = `${path}/${escapePointerToken(key)}`;
      if (isContainer(old) && isContainer(value) && Array.isArray(old) === Array.isArray(value)) {
        diffInto(old, value, memberPath, diff);
      } else {
        push(diff, { op: 'replace', path: memberPath, value: value === undefined ? null : value });
      }
    } else if (beforeIsList === afterIsList) {
      push(diff, { op: 'remove', path: `${path}/${escapePointerToken(key)}` });
      deleted = true;
    } else {
      push(diff, { op: 'replace', path, value: after });
    }
  }
  if (!deleted && afterCount === beforeKeys.length) return;
  const afterKeys = keysOf(after);
  for (const key of afterKeys) {
    const value = afterRecord[key];
    if (!Object.hasOwn(before, key) && value !== undefined) {
      push(diff, { op: 'add', path: `${path}/${escapePointerToken(key)}`, value });
    }
  }
}

function isContainer(value: unknown): value is JsonContainer {
  return typeof value === 'object' && value !== null;
}

/** A list's indices as strings, or an object's own enumerable keys (what `compare` walks). */
function keysOf(value: JsonContainer): string[] {
  if (!Array.isArray(value)) return Object.keys(value);
  const keys = new Array<string>(value.length);
  for (let i = 0; i < value.length; i++) keys[i] = String(i);
  return keys;
}
