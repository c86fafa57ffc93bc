/**
 * A readable difference between an expected and an actual JSON value, for test failures:
 * one line per differing path (`- /spec/replicas: 3` expected, `+ /spec/replicas: 5` got).
 */
import jsonpatch from 'fast-json-patch';
import { unescapePointerToken } from '../../engine/index.js';

function show(value: unknown): string {
  return value === undefined ? '(absent)' : JSON.stringify(value);
}

function valueAt(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let current: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const key = unescapePointerToken(raw);
    // Own members only: a key such as `__proto__` or `constructor` is data, not what objects inherit.
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Lines describing how `actual` differs from `expected`; empty when they are equal. */
export function jsonDiff(expected: unknown, actual: unknown): string[] {
  if (typeof expected !== 'object' || expected === null || typeof actual !== 'object' || actual === null) {
    return JSON.stringify(expected) === JSON.stringify(actual) ? [] : [`- ${show(expected)}`, `+ ${show(actual)}`];
  }
  const ops = jsonpatch.compare(expected as object, actual as object);
  const lines: string[] = [];
  for (const op of ops) {
    const path = op.path || '/';
    if (op.op === 'add') lines.push(`+ ${path}: ${show(op.value)}`);
    else if (op.op === 'remove') lines.push(`- ${path}: ${show(valueAt(expected, op.path))}`);
    else if (op.op === 'replace') lines.push(`- ${path}: ${show(valueAt(expected, op.path))}`, `+ ${path}: ${show(op.value)}`);
  }
  return lines;
}
