import { describe, expect, test } from '@jest/globals';
import { code, value } from './test-helpers.js';

describe('lambdas', () => {
  test('typed params, defaults, keywords, last expression', () => {
    const src = 'f = lambda x: int, y = 2 {\n    z = x * y\n    z + 1\n}\na = f(3)\nb = f(1, y = 5)\nc = (lambda { 4 })()';
    expect(value(src)).toEqual({ a: 7, b: 6, c: 4 });
  });
  test('closures and recursion through globals', () => {
    const src = 'fib = lambda n { 1 if n < 2 else fib(n - 1) + fib(n - 2) }\nmk = lambda k { lambda x { x + k } }\na = fib(10)\nb = mk(3)(4)';
    expect(value(src)).toEqual({ a: 89, b: 7 });
  });
  test('the last statement gives the result, assignments included', () => {
    expect(value('f = lambda { x = 1 }\na = f()\nh = lambda x {\n    y = 0\n    if x > 1:\n        y = 5\n    y + 1\n}\nc = h(2)')).toEqual({ a: 1, c: 6 });
  });
  test('lambdas made in a comprehension capture that iteration', () => {
    expect(value('fs = [lambda x { x + i } for i in range(3)]\nr = [f(10) for f in fs]')).toEqual({ fs: [], r: [10, 11, 12] });
  });
  test('defaults cannot see the other parameters', () => {
    expect(code('f = lambda a, b = a + 1 { a + b }\nr = f(1)')).toBe('E2L23');
  });
  test('parameter types are checked', () => {
    expect(code('f = lambda x: int { x }\na = f("s")')).toBe('E2G22');
  });
  test('runtime type errors inside a lambda', () => {
    // The reference only knows x's type at run time: an EvaluationError, not a TypeError.
    expect(code('f = lambda x { x + 1 }\na = f("s")')).toBe('E3M38');
  });
});

describe('comprehensions and quantifiers', () => {
  test('list and dict comprehensions', () => {
    const src = [
      'a = [x * 2 for x in [1, 2, 3] if x > 1]',
      'b = [i + v for i, v in [10, 20]]',
      'c = {k: v + 1 for k, v in {x: 1, y: 2}}',
      'd = [x + y for x in [1, 2] for y in [10, 20]]',
      'e = {"${k}": i for i, k in ["p", "q"]}',
    ].join('\n');
    expect(value(src)).toEqual({ a: [4, 6], b: [10, 21], c: { x: 2, y: 3 }, d: [11, 21, 12, 22], e: { p: 0, q: 1 } });
  });
  test('quantifiers', () => {
    const src = [
      'a = all x in [1, 2] { x > 0 }',
      'b = any x in [1, 2] { x > 1 }',
      'c = map x in [1, 2, 3] { x * 10 }',
      'd = filter x in [1, 2, 3] { x % 2 == 1 }',
      'e = filter k, v in {a: 1, b: 2} { v > 1 }',
      'f = all x in [1, -2] { x > 0 if x > 0 }',
    ].join('\n');
    expect(value(src)).toEqual({ a: true, b: true, c: [10, 20, 30], d: [1, 3], e: { b: 2 }, f: true });
  });
});
