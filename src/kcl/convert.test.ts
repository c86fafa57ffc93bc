import { describe, expect, test } from '@jest/globals';
import { toKcl, toPlain } from './convert.js';
import { KDict, KFloat, KFunction, UNDEFINED, type Value } from './value.js';
import { makeUnit } from './units-core.js';

describe('toKcl', () => {
  test('objects keep key order; integers are ints, fractions floats', () => {
    const v = toKcl({ b: 1, a: [1.5, 'x', null, true, { c: 2 }] });
    expect(v).toBeInstanceOf(KDict);
    const d = v as KDict;
    expect([...d.keys()]).toEqual(['b', 'a']);
    expect(d.get('b')).toBe(1);
    const list = d.get('a') as Value[];
    expect(list[0]).toBeInstanceOf(KFloat);
    expect((list[0] as KFloat).value).toBe(1.5);
    expect(list.slice(1, 4)).toEqual(['x', null, true]);
    expect((list[4] as KDict).get('c')).toBe(2);
  });
});

describe('toPlain', () => {
  test('drops Undefined, functions and hidden keys; units become their quantity', () => {
    const d = new KDict(
      new Map<string, Value>([
        ['_k', 1],
        ['u', UNDEFINED],
        ['f', new KFunction('f', () => null)],
        ['l', [1, UNDEFINED, null, new KFloat(2.5)]],
        ['mem', makeUnit(1, 'Gi')],
      ]),
    );
    expect(toPlain(d)).toEqual({ l: [1, null, 2.5], mem: 1073741824 });
    expect(toPlain(d, { showHidden: true, dropNone: true })).toEqual({ _k: 1, l: [1, 2.5], mem: 1073741824 });
  });
});

describe('__proto__ keys', () => {
  test('survive a round trip as ordinary keys', () => {
    const input = JSON.parse('{"data": {"__proto__": "x", "a": "b"}}');
    const back = toPlain(toKcl(input), { showHidden: true }) as Record<string, Record<string, unknown>>;
    expect(Object.keys(back.data)).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(back.data, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(back.data)).toBe(Object.prototype);
  });
});
