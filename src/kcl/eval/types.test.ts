import { describe, expect, test } from '@jest/globals';
import { code, value } from './test-helpers.js';

describe('runtime type checks', () => {
  test('basic, union, literal and alias types', () => {
    const src = 'type Mode = "a" | "b"\na: int = 1\nb: float = 1\nc: int | str = "s"\nm: Mode = "b"\nn: str = None';
    expect(value(src)).toEqual({ a: 1, b: 1, c: 's', m: 'b', n: null });
  });
  test('a dict converts to the first schema of a union that accepts it', () => {
    const src = 'schema A:\n    a: int = 1\nschema B:\n    b: str = "x"\ntype AB = A | B\nx: AB = {a: 2}\ny: AB = {b: "y"}\nz: [A | B] = [{a: 3}, {b: "z"}]\nt = typeof(y)';
    expect(value(src)).toEqual({ x: { a: 2 }, y: { b: 'y' }, z: [{ a: 3 }, { b: 'z' }], t: 'B' });
  });
  test('a mismatch known from the source is a compile-time TypeError', () => {
    expect(code('a: int = "x"')).toBe('E2G22');
    expect(code('a = 1 + "x" if False else 0')).toBe('E2G22');
  });
  test('a mismatch only known at run time is an EvaluationError', () => {
    expect(code('a: int = option("v")', { v: 'str' })).toBe('E3M38');
    expect(code('x = option("x")\ny = x + 1', { x: 's' })).toBe('E3M38');
  });
  test('None is not a type', () => {
    expect(code('d: str | None = None')).toBe('E2L23');
  });
  test('as converts and checks', () => {
    expect(value('schema A:\n    x: int = 1\nschema B(A):\n    y: int = 2\n_a: A = B {}\nb = _a as B')).toEqual({ b: { x: 1, y: 2 } });
    expect(code('a = "s" as int')).toBe('E2G22');
  });
  test('function types', () => {
    expect(value('f: (int) -> int = lambda x: int -> int { x * 2 }\ng = f(2)')).toEqual({ g: 4 });
  });
});
