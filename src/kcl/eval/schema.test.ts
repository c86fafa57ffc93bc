import { describe, expect, test } from '@jest/globals';
import { code, run, value } from './test-helpers.js';

describe('schemas', () => {
  test('defaults, derived attributes and config union', () => {
    const src = 'schema S:\n    a: int = 1\n    b: {str:str} = {x: "1"}\n    c = a + 1\ns = S {a: 5, b: {y: "2"}}';
    expect(value(src)).toEqual({ s: { a: 5, b: { x: '1', y: '2' }, c: 6 } });
  });
  test('override replaces a default, and instance | config rebuilds', () => {
    const src = 'schema S:\n    b: {str:str} = {x: "1"}\ns = S {b = {y: "2"}}\nt = s | {b: {z: "1"}}';
    expect(value(src)).toEqual({ s: { b: { y: '2' } }, t: { b: { y: '2', z: '1' } } });
  });
  test('attributes may refer to later ones (lazy schema body)', () => {
    const src = 'schema S:\n    a: int = b + 1\n    b: int = 1\ns = S {}\nt = S {b = 5}';
    expect(value(src)).toEqual({ s: { a: 2, b: 1 }, t: { a: 6, b: 5 } });
  });
  test('inheritance puts parent attributes first', () => {
    const src = 'schema A:\n    x: int = 1\nschema B(A):\n    y: int = x + 1\nb = B {x: 3}\nc = B {}';
    expect(value(src)).toEqual({ b: { x: 3, y: 4 }, c: { x: 1, y: 2 } });
  });
  test('required attributes', () => {
    expect(code('schema S:\n    a: int\n    b?: str\nt = S {b: "x"}')).toBe('E2L23');
    expect(value('schema S:\n    a: int\n    b?: str\ns = S {a: 1}')).toEqual({ s: { a: 1 } });
  });
  test('attribute types are checked', () => {
    expect(code('schema S:\n    a: int\ns = S {a: "x"}')).toBe('E2G22');
  });
  test('undeclared attributes need an index signature', () => {
    expect(code('schema S:\n    a: int\ns = S {a: 1, c: 2}')).toBe('E2L23');
    expect(value('schema S:\n    a: int\n    [k: str]: int\ns = S {a: 1, c: 2}')).toEqual({ s: { a: 1, c: 2 } });
  });
  test('check blocks', () => {
    const src = 'schema S:\n    a: int\n    check:\n        a > 1, "a too small"\ns = S {a: 1}';
    const o = run(src);
    expect(o.code).toBe('E3M40');
    expect(o.line).toBe(5);
    expect(value('schema S:\n    a: int\n    check:\n        a > 1 if a != 0, "a too small"\ns = S {a: 0}')).toEqual({ s: { a: 0 } });
  });
  test('schema arguments', () => {
    expect(value('schema S[n: int]:\n    a: int = n\ns = S(3) {}')).toEqual({ s: { a: 3 } });
  });
  test('dict to schema conversion on typed assignment', () => {
    const src = 'schema P:\n    name: str\n    replicas: int = 1\np: P = {name: "x"}\nq: [P] = [{name: "y"}]';
    expect(value(src)).toEqual({ p: { name: 'x', replicas: 1 }, q: [{ name: 'y', replicas: 1 }] });
  });
  test('instances() lists what was built', () => {
    expect(value('schema S:\n    a: int\nx = S {a: 1}\ny = S {a: 2}\nn = len(S.instances())')).toMatchObject({ n: 2 });
  });
  test('mixins add attributes', () => {
    const src = 'mixin LabelMixin:\n    label: str = "m"\nschema S:\n    mixin [LabelMixin]\n    a: int = 1\ns = S {}';
    expect(value(src)).toEqual({ s: { a: 1, label: 'm' } });
  });
  test('changing an inherited attribute type is a TypeError', () => {
    expect(code('schema B:\n    v: int = 1\nschema C(B):\n    v: str = "x"\nc = C {}')).toBe('E2G22');
  });
  test('reading an undeclared attribute is a TypeError', () => {
    expect(code('schema S:\n    a: int = 1\ns = S {}\nx = s.b')).toBe('E2G22');
  });
  test('a misspelt name in a check is a compile error', () => {
    expect(code('schema S:\n    replicas: int = 1\n    check:\n        replica < 3\ns = S {}')).toBe('E2L23');
  });
  test('repeated unification statements union', () => {
    expect(value('schema S:\n    x?: int\n    y?: int\na: S {x = 1}\na: S {y = 2}')).toEqual({ a: { x: 1, y: 2 } });
    expect(code('a = {x = 1}\na: {str:int} = {y = 2}')).toBe('E1001');
  });
  test('unification statement', () => {
    expect(value('schema S:\n    a: int = 1\n    b: int = 2\ns: S {b = 3}')).toEqual({ s: { a: 1, b: 3 } });
  });
});
