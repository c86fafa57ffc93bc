import { describe, expect, it } from '@jest/globals';
import { applyPatch, PatchApplyError } from './patch-apply.js';
import { patchBetween } from './patch-diff.js';
import type { JsonPatchOperation } from './executor.js';

type Json = Record<string, unknown>;

/** Keys that are ordinary data in Kubernetes objects but special in JavaScript or in RFC 6901. */
const AWKWARD_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '~', '/', '', '~0', '~1', 'a/b~c', '-', '0'];

/** The own members of every object, in order, with the prototype each object has: what "equal" means here. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return { list: value.map(shape), proto: Object.getPrototypeOf(value) === Array.prototype };
  if (typeof value !== 'object' || value === null) return value;
  return {
    proto: Object.getPrototypeOf(value) === Object.prototype,
    members: Object.keys(value).map((key) => [key, shape((value as Json)[key])]),
  };
}

/** A JSON text as JSON.parse reads it: `__proto__` an own member, as in a parsed AdmissionReview. */
const parse = (text: string): Json => JSON.parse(text) as Json;

describe('applyPatch', () => {
  it('adds, replaces and removes members named like prototype machinery as own data', () => {
    const before = parse('{"metadata":{"annotations":{"a":"1","__proto__":"old"}},"spec":{"constructor":{"prototype":"old"},"keep":1}}');
    const operations: JsonPatchOperation[] = [
      { op: 'replace', path: '/metadata/annotations/__proto__', value: 'p' },
      { op: 'add', path: '/spec/constructor/prototype', value: { polluted: true } },
      { op: 'add', path: '/spec/__proto__', value: { polluted: true } },
      { op: 'add', path: '/spec/prototype', value: 'pr' },
      { op: 'add', path: '/spec/toString', value: 't' },
    ];
    const after = applyPatch(before, operations) as Json;
    expect(shape(after)).toEqual(
      shape(parse('{"metadata":{"annotations":{"a":"1","__proto__":"p"}},"spec":{"constructor":{"prototype":{"polluted":true}},"keep":1,"__proto__":{"polluted":true},"prototype":"pr","toString":"t"}}')),
    );
    const spec = after.spec as Json;
    expect(Object.getPrototypeOf(spec)).toBe(Object.prototype);
    expect(Object.hasOwn(spec, '__proto__')).toBe(true);
    expect(({} as Json).polluted).toBeUndefined();
    expect((Object.prototype as Json).polluted).toBeUndefined();

    const removed = applyPatch(after, [
      { op: 'remove', path: '/metadata/annotations/__proto__' },
      { op: 'remove', path: '/spec/constructor' },
    ]) as Json;
    expect(shape(removed)).toEqual(shape(parse('{"metadata":{"annotations":{"a":"1"}},"spec":{"keep":1,"__proto__":{"polluted":true},"prototype":"pr","toString":"t"}}')));
  });

  it('unescapes ~1 and ~0 (RFC 6901), and reaches the empty key', () => {
    const before = parse('{"data":{"x":1}}');
    const after = applyPatch(before, [
      { op: 'add', path: '/data/~0', value: 'tilde' },
      { op: 'add', path: '/data/~1', value: 'slash' },
      { op: 'add', path: '/data/', value: 'empty' },
      { op: 'add', path: '/data/~01', value: 'tilde-one' },
      { op: 'add', path: '/data/a~1b~0c', value: 'both' },
      { op: 'add', path: '/', value: { '': 'nested' } },
      { op: 'replace', path: '//', value: 'under the empty key' },
    ]);
    expect(shape(after)).toEqual(shape({ data: { x: 1, '~': 'tilde', '/': 'slash', '': 'empty', '~1': 'tilde-one', 'a/b~c': 'both' }, '': { '': 'under the empty key' } }));
  });

  it("reproduces the output from patchBetween's patch for every awkward key", () => {
    for (const key of AWKWARD_KEYS) {
      const before = parse(`{"metadata":{"labels":{${JSON.stringify(key)}:"old","other":"o"}},"spec":{"list":[{${JSON.stringify(key)}:{"a":1}}]}}`);
      const after = parse(
        `{"metadata":{"labels":{"other":"o"},"annotations":{${JSON.stringify(key)}:"new"}},` +
          `"spec":{"list":[{${JSON.stringify(key)}:{"a":2,${JSON.stringify(key)}:[${JSON.stringify(key)}]}},"x"],${JSON.stringify(key)}:{${JSON.stringify(key)}:"v"}}}`,
      );
      const operations = JSON.parse(JSON.stringify(patchBetween(before, after))) as JsonPatchOperation[];
      expect({ key, result: shape(applyPatch(before, operations)) }).toEqual({ key, result: shape(after) });
    }
  });

  it('inserts into, appends to, replaces in and removes from lists', () => {
    const before = { list: ['a', 'b', 'c'] };
    expect(applyPatch(before, [{ op: 'add', path: '/list/1', value: 'x' }])).toEqual({ list: ['a', 'x', 'b', 'c'] });
    expect(applyPatch(before, [{ op: 'add', path: '/list/3', value: 'x' }])).toEqual({ list: ['a', 'b', 'c', 'x'] });
    expect(applyPatch(before, [{ op: 'add', path: '/list/-', value: 'x' }])).toEqual({ list: ['a', 'b', 'c', 'x'] });
    expect(applyPatch(before, [{ op: 'replace', path: '/list/0', value: 'x' }])).toEqual({ list: ['x', 'b', 'c'] });
    expect(applyPatch(before, [{ op: 'remove', path: '/list/1' }])).toEqual({ list: ['a', 'c'] });
  });

  it('replaces the whole document at the empty path', () => {
    expect(applyPatch({ a: 1 }, [{ op: 'replace', path: '', value: ['x'] }])).toEqual(['x']);
    expect(applyPatch({ a: 1 }, [{ op: 'add', path: '', value: { b: 2 } }])).toEqual({ b: 2 });
  });

  it('changes neither the document nor the patch, and shares nothing with them', () => {
    const before = { spec: { list: [1] } };
    const value = { nested: { deep: true } };
    const operations: JsonPatchOperation[] = [
      { op: 'add', path: '/spec/extra', value },
      { op: 'add', path: '/spec/list/-', value: 2 },
    ];
    const after = applyPatch(before, operations) as { spec: { extra: unknown } };
    expect(before).toEqual({ spec: { list: [1] } });
    expect(after).toEqual({ spec: { list: [1, 2], extra: { nested: { deep: true } } } });
    expect(after.spec.extra).not.toBe(value);
    expect(operations[0]!.value).toEqual({ nested: { deep: true } });
  });

  it.each<[string, unknown, JsonPatchOperation]>([
    ['a pointer without a leading slash', { a: 1 }, { op: 'replace', path: 'a', value: 2 }],
    ['an escape other than ~0 and ~1', { 'a~2': 1 }, { op: 'replace', path: '/a~2', value: 2 }],
    ['a trailing ~', { 'a~': 1 }, { op: 'replace', path: '/a~', value: 2 }],
    ['an operation kclguard does not emit', { a: 1 }, { op: 'move', path: '/b', from: '/a' }],
    ['removing a missing member', { a: 1 }, { op: 'remove', path: '/b' }],
    ['replacing a missing member', { a: 1 }, { op: 'replace', path: '/b', value: 2 }],
    ['removing an inherited member', { a: 1 }, { op: 'remove', path: '/toString' }],
    ['replacing the prototype', { a: 1 }, { op: 'replace', path: '/__proto__', value: { polluted: true } }],
    ['walking through the prototype', { a: 1 }, { op: 'add', path: '/__proto__/polluted', value: true }],
    ['walking through an inherited constructor', { a: 1 }, { op: 'add', path: '/constructor/prototype/polluted', value: true }],
    ['a parent that is missing', { a: 1 }, { op: 'add', path: '/b/c', value: 2 }],
    ['a parent that is a scalar', { a: 1 }, { op: 'add', path: '/a/c', value: 2 }],
    ['a list index past the end', { l: [1] }, { op: 'add', path: '/l/2', value: 2 }],
    ['a list index with a leading zero', { l: [1, 2] }, { op: 'replace', path: '/l/01', value: 2 }],
    ['a list index that is not a number', { l: [1] }, { op: 'replace', path: '/l/length', value: 0 }],
    ['replacing past the end', { l: [1] }, { op: 'replace', path: '/l/1', value: 2 }],
    ['removing with -', { l: [1] }, { op: 'remove', path: '/l/-' }],
    ['removing the whole document', { a: 1 }, { op: 'remove', path: '' }],
    ['an add without a value', { a: 1 }, { op: 'add', path: '/b' }],
  ])('refuses %s, and touches no prototype', (_name, document, operation) => {
    expect(() => applyPatch(document, [operation])).toThrow(PatchApplyError);
    expect((Object.prototype as Json).polluted).toBeUndefined();
    expect((Function.prototype as unknown as Json).polluted).toBeUndefined();
  });
});
