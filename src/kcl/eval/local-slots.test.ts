/**
 * Local names resolved to frame slots at plan time (plan-name.ts): every kind of frame a read can
 * cross, at every depth, and the fall-through of a slot not bound yet. Expected values are the
 * reference's (kcl-lib 0.13.2) output for the same programs.
 */
import { describe, expect, test } from '@jest/globals';
import { code, run, value } from './test-helpers.js';

describe('local names in slots', () => {
  test('a local read before its assignment falls through to the global', () => {
    expect(value('x = 1\nf = lambda {\n    y = x\n    x = 2\n    y\n}\na = f()')).toEqual({ x: 1, a: 1 });
  });

  test('parameters, defaults, reassignment and augmented assignment share one slot', () => {
    const src = 'f = lambda x, x2 = 1 {\n    x = x + x2\n    x += 1\n    x\n}\nr = f(1)';
    expect(value(src)).toEqual({ r: 3 });
  });

  test('path assignments copy the value in a slot', () => {
    const src = [
      'g = lambda {\n    a = [1]\n    a[0] = 5\n    a\n}',
      's = g()',
      'h = lambda d {\n    d.z = 3\n    d\n}',
      't = h({z = 1, w = 2})',
    ].join('\n');
    expect(value(src)).toEqual({ s: [5], t: { z: 3, w: 2 } });
  });

  test('reads one, two and three frames out, through comprehensions and quantifiers', () => {
    const src = [
      'f = lambda a {\n    [[a + i + j for j in [100]] for i in [10, 20]]\n}',
      'g = lambda a {',
      '    h = lambda b {',
      '        k = lambda c { [a + b + c + x for x in [1000]] }',
      '        k(3)',
      '    }',
      '    h(2)',
      '}',
      'r = f(1)',
      's = g(1)',
      't = [all x in [i] { any y in [x] { y == i } } for i in [1, 2]]',
    ].join('\n');
    expect(value(src)).toEqual({ r: [[111], [121]], s: [1006], t: [true, true] });
  });

  test('lambdas made per iteration keep their own loop variables', () => {
    const src = 'u = [lambda { i + j } for i in [1, 2] for j in [10]]\nv = [fn() for fn in u]';
    expect(value(src)).toEqual({ u: [], v: [11, 12] });
  });

  test('a config literal reading its own keys, from comprehensions and lambdas inside it', () => {
    const src = [
      'cfg = {labels = {app = "x"}, selector = labels, n = [labels.app + str(i) for i in [1]]}',
      'g = lambda p {',
      '    {a = p, b = a + 1, c = [a + b + i for i in [1]], d = lambda { a + b + c[0] }}',
      '}',
      'h = g(1)',
      'hd = h.d()',
    ].join('\n');
    expect(value(src)).toEqual({
      cfg: { labels: { app: 'x' }, selector: { app: 'x' }, n: ['x1'] },
      h: { a: 1, b: 2, c: [4] },
      hd: 7,
    });
  });

  test('schema bodies: attributes read from comprehensions, lambdas, parents and mixins', () => {
    const src = [
      'schema NameMixin:\n    full: str = first + " " + last',
      'schema Base:\n    first: str = "a"\n    last: str = "b"',
      'schema Person(Base):',
      '    mixin [NameMixin]',
      '    first: str = "c"',
      '    items: [str] = [first + s for s in [last]]',
      '    nested: [[str]] = [[first + s + t for t in ["1"]] for s in [last]]',
      'p = Person {}',
      'q = Person {first = "z"}',
      'schema T:\n    a: int = 1\n    b: int = [a + x for x in [1]][0]\n    c = (lambda { a + b })()',
      't = T {a = 5}',
    ].join('\n');
    expect(value(src)).toEqual({
      p: { first: 'c', last: 'b', items: ['cb'], nested: [['cb1']], full: 'c b' },
      q: { first: 'z', last: 'b', items: ['zb'], nested: [['zb1']], full: 'z b' },
      t: { a: 5, b: 6, c: 11 },
    });
  });

  test('a named index signature key read from a quantifier in a check', () => {
    const src = 'schema Map:\n    [k: str]: int\n    check:\n        all v in [1] { k != "y" or v > 0 }\n        k != "bad"\nm = Map {x = 1, y = 20}\nb = Map {bad = 1}';
    expect(code(src)).toBe('E3M40');
    expect(value(src.replace('\nb = Map {bad = 1}', ''))).toEqual({ m: { y: 20, x: 1 } });
  });

  test('a lambda assigning thousands of names pays for its frame on every call', () => {
    // The names are in a branch never taken: before slots, a call cost one step whatever the
    // body named; a frame of 5,000 slots is filled on every call, so it is counted.
    const names = Array.from({ length: 5000 }, (_, i) => `        v${i} = ${i}`).join('\n');
    const src = `f = lambda x {\n    if False:\n${names}\n    x\n}\nr = [f(i) for i in range(100)]`;
    expect(code(src, {}, { maxSteps: 100_000 })).toBe('K9001');
    // A frame of up to 64 slots costs nothing of its own: the same loop with 60 names fits.
    const small = src.replace(names, names.split('\n').slice(0, 60).join('\n'));
    expect(run(small, {}, { maxSteps: 1_000 }).code).toBeUndefined();
  });

  test('recursion through slot frames still ends as K9002', () => {
    expect(code('f = lambda n { [f(n + 1) for _ in [1]] }\nr = f(0)')).toBe('K9002');
  });
});
