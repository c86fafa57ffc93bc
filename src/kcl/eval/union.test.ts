import { describe, expect, test } from '@jest/globals';
import { code, value } from './test-helpers.js';

describe('config entries and union', () => {
  test('entry operators', () => {
    expect(value('t = {a: 1, a = 3, b: [1], b += [2]}\np = {x: 1, x = Undefined}\nr = {a: 1, a: 1}')).toEqual({
      t: { a: 3, b: [1, 2] }, p: {}, r: { a: 1 },
    });
  });
  test('conflicting scalars under `:` are an error', () => {
    expect(code('x = {a: 1, a: 2}')).toBe('E3M38');
    expect(code('x = {a: 1} | {a: 2}')).toBe('E3M38');
    expect(code('w = {a: [1, 2]} | {a: [3, 2]}')).toBe('E3M38');
  });
  test('override in union', () => {
    expect(value('v = {a = 1} | {a = 2}\nu = {a: 1} | {a = 2}')).toEqual({ v: { a: 2 }, u: { a: 2 } });
  });
  test('deep dict union and list union by index', () => {
    expect(value('z = {a: {b: 1}} | {a: {c: 2}}\ny = [1, 2, 3] | [4, 5]\ny3 = [{a: 1}] | [{b: 2}]')).toEqual({
      z: { a: { b: 1, c: 2 } }, y: [4, 5, 3], y3: [{ a: 1, b: 2 }],
    });
  });
  test('nested selector keys and unpacking', () => {
    expect(value('s = {a.b.c: 1, a.b.d: 2}\nq = {**{x: 1}, x = 2}\no = [*[1, 2], if False: 3 else: 6]')).toEqual({
      s: { a: { b: { c: 1, d: 2 } } }, q: { x: 2 }, o: [1, 2, 6],
    });
  });
  test('if entries in configs', () => {
    expect(value('c = {\n    if True:\n        a = 1\n    if False:\n        b = 2\n    else:\n        b = 3\n}')).toEqual({ c: { a: 1, b: 3 } });
  });
  test('union never mutates its operands', () => {
    expect(value('_a = {x: {y: 1}}\nb = _a | {x: {z: 2}}\nc = _a')).toEqual({ b: { x: { y: 1, z: 2 } }, c: { x: { y: 1 } } });
  });
});
