import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import jsonpatch from 'fast-json-patch';
import { changedProtectedField, jsonEqual, outputObject } from './run-policy.js';

describe('jsonEqual', () => {
  it('agrees with an empty RFC 6902 diff on arbitrary JSON objects', () => {
    const json = fc.jsonValue({ maxDepth: 3 });
    fc.assert(
      fc.property(fc.dictionary(fc.string(), json), fc.dictionary(fc.string(), json), (a, b) => {
        expect(jsonEqual(a, structuredClone(a))).toBe(true);
        // compare() treats -0 and 0 alike and so does ===; both sides see the same JSON values.
        expect(jsonEqual(a, b)).toBe(jsonpatch.compare(a, b).length === 0);
      }),
    );
  });

  it('distinguishes arrays from objects and key sets', () => {
    expect(jsonEqual([], {})).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEqual({ a: [1, { b: null }] }, { a: [1, { b: null }] })).toBe(true);
  });
});

describe('outputObject', () => {
  it('takes items[0], a document, or nothing', () => {
    expect(outputObject(new Map([['items', [{ a: 1 }]]]))).toEqual({ object: { a: 1 } });
    expect(outputObject(new Map<string, unknown>([['apiVersion', 'v1'], ['kind', 'Pod']]))).toEqual({ object: { apiVersion: 'v1', kind: 'Pod' } });
    expect(outputObject(new Map())).toEqual({});
    expect(outputObject(new Map([['items', []]])).error).toBeDefined();
    expect(outputObject(new Map([['items', [1]]])).error).toBeDefined();
    expect(outputObject(new Map([['other', 1]])).error).toBeDefined();
  });
});

describe('changedProtectedField', () => {
  const base = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'n', labels: {} } };
  it('names the first protected field changed and ignores the rest', () => {
    expect(changedProtectedField(base, { ...base, metadata: { ...base.metadata, labels: { x: '1' } } })).toBeUndefined();
    expect(changedProtectedField(base, { ...base, kind: 'Deployment' })).toBe('kind');
    expect(changedProtectedField(base, { ...base, metadata: { name: 'a' } })).toBe('metadata.namespace');
    expect(changedProtectedField(base, { kind: 'Pod', metadata: base.metadata })).toBe('apiVersion');
  });
});
