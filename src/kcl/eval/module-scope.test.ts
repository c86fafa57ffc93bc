import { describe, expect, test } from '@jest/globals';
import { code, value } from './test-helpers.js';

describe('lazy module scope', () => {
  test('the last assignment of a hidden name wins, whatever the order', () => {
    expect(value('_v = 1\nr = _v\n_v = 2')).toEqual({ r: 2 });
  });
  test('augmented assignments run once each', () => {
    expect(value('_a = [1]\nr = _a\n_a += [2]')).toEqual({ r: [1, 2] });
  });
  test('forward references', () => {
    expect(value('a = b + 1\nb = 2')).toEqual({ a: 3, b: 2 });
  });
  test('a cycle yields Undefined like the reference', () => {
    expect(value('a = b\nb = a')).toEqual({});
  });
  test('exported names are immutable', () => {
    expect(code('a = 1\na = 2')).toBe('E1001');
    expect(code('a = 1\na += 1')).toBe('E1001');
    expect(code('if True:\n    b = 1\nelse:\n    b = 2')).toBe('E1001');
  });
  test('hidden names support selector and subscript assignment', () => {
    expect(value('_a = {b: {c: 1}}\n_a.b.c = 2\n_a.b.d = 3\n_l = [1, 2]\n_l[0] = 5\nr = _a\ns = _l')).toEqual({
      r: { b: { c: 2, d: 3 } }, s: [5, 2],
    });
  });
  test('undefined names are compile errors', () => {
    expect(code('a = b')).toBe('E2L23');
  });
  test('if statements at top level', () => {
    expect(value('x = 3\nif x > 2:\n    y = "big"\nelif x > 1:\n    w = "mid"\nelse:\n    z = 1')).toEqual({ x: 3, y: 'big' });
  });
  test('a top-level config expression joins the output', () => {
    expect(value('{a: 1}\nb = 2')).toEqual({ a: 1, b: 2 });
  });
  test('assert failures carry their code', () => {
    expect(code('assert 1 == 2, "nope"')).toBe('E3M41');
    expect(value('x = 1\nassert x > 5 if x > 3, "big"')).toEqual({ x: 1 });
  });
  test('importing a module that does not exist, or the file system', () => {
    expect(code('import nosuchmodule')).toBe('E2F04');
    expect(code('import file')).toBe('K9005');
  });
});
