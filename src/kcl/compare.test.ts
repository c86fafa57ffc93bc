// Expected results captured from the reference implementation (kcl-lib 0.13.2), evaluating the
// same comparisons on values passed through an `any`-typed lambda (so they happen at run time).
import { describe, expect, test } from '@jest/globals';
import { compare, compareStrings, contains, equals } from './compare.js';
import { KclError } from './diagnostics.js';
import { KDict, KFloat, KFunction, SchemaInstance, UNDEFINED, type SchemaTypeRef, type Value } from './value.js';
import { makeUnit } from './units-core.js';

const dict = (...pairs: [string, Value][]) => new KDict(new Map(pairs));
const f = (x: number) => new KFloat(x);
const P: SchemaTypeRef = { __kcl: 'SchemaType', name: 'P', pkgpath: '__main__', instances: [] };
const Q: SchemaTypeRef = { __kcl: 'SchemaType', name: 'Q', pkgpath: '__main__', instances: [] };
const inst = (s: SchemaTypeRef) => new SchemaInstance(s, new Map<string, Value>([['a', 1], ['b', UNDEFINED]]));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof KclError ? e.diagnostic.code : 'not a KclError';
  }
  return undefined;
}

describe('equals', () => {
  test.each<[Value, Value, boolean]>([
    [1, f(1), true],
    [[1], [f(1)], true],
    [dict(['a', 1]), dict(['a', f(1)]), true],
    [dict(['a', 1], ['b', 2]), dict(['b', 2], ['a', 1]), true],
    [inst(P), dict(['a', 1], ['b', UNDEFINED]), false],
    [inst(P), inst(P), true],
    [inst(P), inst(Q), false],
    [null, UNDEFINED, false],
    [null, null, true],
    [UNDEFINED, UNDEFINED, true],
    [true, 1, false],
    [0, false, false],
    ['1', 1, false],
    [makeUnit(1, 'Ki'), 1024, false],
    [makeUnit(1, 'Ki'), f(1024), false],
    [[makeUnit(1, 'Mi')], [makeUnit(1, 'Mi')], false],
    [new KFunction('a', () => null), new KFunction('b', () => null), true],
    [dict(['a', [1]]), dict(['a', [1]]), true],
  ])('%p == %p is %p', (a, b, expected) => {
    expect(equals(a, b)).toBe(expected);
  });
});

describe('ordering', () => {
  test('numbers, strings and lists order', () => {
    expect(compare([1, 2], [1, 3])).toBeLessThan(0);
    expect(compare('a', 'b')).toBeLessThan(0);
    expect(compare(1, f(2.5))).toBeLessThan(0);
    expect(compare([1, 2], [1, 2, 3])).toBeLessThan(0);
    expect(compare(2, f(1.5))).toBeGreaterThan(0);
    expect(compare([2], [1, 5])).toBeGreaterThan(0);
    expect(compare('ab', 'ab')).toBe(0);
    expect(compare([1, 'a'], [1, 'b'])).toBeLessThan(0);
    expect(compare(true, 2)).toBeLessThan(0);
    expect(compare(true, false)).toBeGreaterThan(0);
  });
  test('strings order by code point', () => {
    expect(compareStrings('é', 'z')).toBeGreaterThan(0);
    expect(compareStrings('\u{1F600}', '\uFFFF')).toBeGreaterThan(0);
  });
  test('string order is the code points\' order on every pair, surrogates (paired and lone) included', () => {
    const byCodePoints = (a: string, b: string): number => {
      const pa = Array.from(a, (c) => c.codePointAt(0)!);
      const pb = Array.from(b, (c) => c.codePointAt(0)!);
      for (let i = 0; i < Math.min(pa.length, pb.length); i++) if (pa[i] !== pb[i]) return pa[i]! < pb[i]! ? -1 : 1;
      return Math.sign(pa.length - pb.length);
    };
    const units = ['a', 'z', '\u00e9', '\ue000', '\uffff', '\ud83d', '\ude00', '\udbff', '\udfff'];
    const strings = [''];
    for (const u of units) for (const v of ['', ...units]) strings.push(u + v, `x${u}${v}`);
    for (const a of strings) for (const b of strings) expect([a, b, compareStrings(a, b)]).toEqual([a, b, byCodePoints(a, b)]);
  });
  test('incompatible operands are an EvaluationError', () => {
    expect(codeOf(() => compare([1, 'a'], [1, 2]))).toBe('E3M38');
    expect(codeOf(() => compare(null, 1))).toBe('E3M38');
    expect(codeOf(() => compare(dict(), dict()))).toBe('E3M38');
    expect(codeOf(() => compare(makeUnit(1, 'Ki'), 2000))).toBe('E3M38');
    expect(codeOf(() => compare(f(1.5), 'a'))).toBe('E3M38');
  });
});

describe('membership', () => {
  test('containers', () => {
    expect(contains('cat', 'a')).toBe(true);
    expect(contains('abc', '')).toBe(true);
    expect(contains('123', 1)).toBe(false);
    expect(contains(dict(['a', 1]), 'a')).toBe(true);
    expect(contains(dict(['1', 2]), 1)).toBe(false);
    expect(contains([f(1)], 1)).toBe(true);
    expect(contains([1], true)).toBe(false);
    expect(contains([[f(1)]], [1])).toBe(true);
    expect(contains(inst(P), 'a')).toBe(true);
    expect(contains(inst(P), 'b')).toBe(true);
    expect(contains(inst(P), 'c')).toBe(false);
  });
  test('non-iterables are an EvaluationError', () => {
    expect(codeOf(() => contains(null, 'a'))).toBe('E3M38');
    expect(codeOf(() => contains(UNDEFINED, 'a'))).toBe('E3M38');
    expect(codeOf(() => contains(5, 1))).toBe('E3M38');
  });
});
